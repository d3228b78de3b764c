// streaming_checker.h: the streaming check. It proves, in memory that does
// not grow with the number of messages, that none was lost, duplicated or
// invented, and (exactly, as check() does) that no consumer saw a producer's
// messages out of order.
//
// Each consumer keeps a ConsumerTally: for every producer, the lowest seq that
// keeps that producer's messages in order, and a digest (message_digest.h) of
// the messages it received from it. Producers keep their ProducerLog as in
// exact mode, with timed-out sends folded into a digest. After the run,
// check_streaming() compares, producer by producer, the count and digest of
// what was sent ok (every attempted seq, less the refused and timed out) with
// the sum of the consumers' counts and digests. Memory: 32 bytes per consumer
// and producer (16 more per producer at a consumer that saw one out of
// order); nothing per message.
//
// What it cannot do is name a message: a failure says which producer, and
// the fewest lost, duplicated and phantom messages that explain what it saw
// (exact mode, checker.h, names them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "tmpmc/scenarios/checker.h"
#include "tmpmc/scenarios/message_digest.h"

namespace tmpmc::scenarios {

// ConsumerTally: what one consumer received, producer by producer.
// alignas(64): each consumer updates its own tally on every message; one that
// shared a cache line with another consumer's would bounce it between cores.
class alignas(64) ConsumerTally {
 public:
  static constexpr std::uint64_t kNoSeq = ~std::uint64_t{0};

  explicit ConsumerTally(std::uint32_t producers);
  ConsumerTally(const ConsumerTally&) = delete;
  ConsumerTally& operator=(const ConsumerTally&) = delete;

  // record_packed() is on every consumer's hot path: inline, no allocation; a
  // message out of order goes out of line. A seq below the one expected is
  // the same seq again (a duplicate) or an earlier one (a reorder); either way
  // what comes next is compared with it, as check() does with its log.
  void record_packed(std::uint64_t producer_and_seq) {
    const std::uint64_t producer = producer_and_seq >> ConsumerLog::kSeqBits;
    const std::uint64_t seq = producer_and_seq & kSeqMask;
    if (producer >= producers_) [[unlikely]] {
      ++unknown_producer_;  // a phantom: nobody sent it
      return;
    }
    Entry& e = entries_[producer];
    if (seq < e.in_order_from) [[unlikely]]
      out_of_order(static_cast<std::uint32_t>(producer), seq, e.in_order_from);
    e.in_order_from = seq + 1;
    e.digest.add(producer_and_seq);
  }

  // After the run.
  std::uint32_t producers() const noexcept { return producers_; }
  std::uint64_t count() const noexcept;  // every message received, known producer or not
  const MessageDigest& digest(std::uint32_t producer) const noexcept {
    return entries_[producer].digest;
  }
  // repeats(): how often the same seq of `producer` came twice in a row
  // (duplicates for certain).
  std::uint64_t repeats(std::uint32_t producer) const noexcept;
  // highest_seq(): the highest seq received from `producer`, kNoSeq if none.
  std::uint64_t highest_seq(std::uint32_t producer) const noexcept;
  std::uint64_t reordered() const noexcept { return reordered_; }
  std::uint64_t unknown_producer() const noexcept { return unknown_producer_; }

 private:
  static constexpr std::uint64_t kSeqMask = (std::uint64_t{1} << ConsumerLog::kSeqBits) - 1;
  struct alignas(32) Entry {
    std::uint64_t in_order_from = 0;  // the last seq received + 1
    MessageDigest digest;
  };
  // What out_of_order() saw of one producer; allocated at the first one.
  struct Disorder {
    std::uint64_t repeats = 0;
    std::uint64_t highest = 0;  // the highest seq before order broke
  };
  struct FreeAligned {
    void operator()(Entry* entries) const noexcept {
      ::operator delete[](entries, std::align_val_t{64});
    }
  };
  void out_of_order(std::uint32_t producer, std::uint64_t seq, std::uint64_t in_order_from);

  std::uint32_t producers_;
  std::unique_ptr<Entry[], FreeAligned> entries_;  // on cache lines of this consumer's own
  std::vector<Disorder> disorder_;                 // empty while every producer was in order
  std::uint64_t reordered_ = 0;
  std::uint64_t unknown_producer_ = 0;
};

// check_streaming(): the accounting of check() from tallies. `left` is what
// was drained from the queue after the run, unless facts say that the
// consumers had all seen it drained (then it counts as lost). The result has
// mode streaming and, for each producer that did not add up, a mismatch.
CheckResult check_streaming(const std::vector<ProducerLog>& producers,
                            const std::vector<const ConsumerTally*>& consumers,
                            const ConsumerTally& left, const RunFacts& facts);

}  // namespace tmpmc::scenarios
