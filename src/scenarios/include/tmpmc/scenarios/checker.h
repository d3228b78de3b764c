// checker.h: proves that no message was lost, duplicated, invented or
// reordered, exactly: by a log of every message.
//
// During a run each consumer writes only to its own ConsumerLog and each
// producer to its own ProducerLog: no shared state on the hot path. After the
// run, check() does the exact accounting. A message is (producer, seq); each
// producer numbers its sends 0, 1, 2, ... and records the ones that did not
// go through (refused after close, timed out). The logs take 8 bytes a
// message; streaming_checker.h checks in memory that does not grow with the
// run, and counts what this check names.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tmpmc/scenarios/message_digest.h"

namespace tmpmc::scenarios {

// CheckMode: how a run's messages were checked. exact: a log of every message
// (check() below); streaming: a tally per consumer and producer, memory that
// does not grow with the run (streaming_checker.h).
enum class CheckMode { exact, streaming };
const char* to_string(CheckMode mode) noexcept;

// LogArena: chunks of log memory kept from one run to the next, so that a
// measured run does not pay a page fault per 512 entries (the warm-up does).
// Thread-safe: consumers on different workers take chunks (once per 64Ki messages).
class LogArena {
 public:
  LogArena() = default;
  LogArena(const LogArena&) = delete;
  LogArena& operator=(const LogArena&) = delete;
  ~LogArena();
  std::uint64_t* take(std::size_t words);
  void give_back(std::uint64_t* chunk) noexcept;

 private:
  std::mutex mu_;
  std::vector<std::uint64_t*> free_;
};

// ConsumerLog: the (producer, seq) pairs one consumer received, in order, in
// fixed-size chunks (no reallocation copies; 8 bytes a message).
// alignas(64): each consumer writes its own log on every message; a log that
// shared a cache line with another's (or with anything producers read) would
// bounce that line between cores.
class alignas(64) ConsumerLog {
 public:
  static constexpr int kSeqBits = 40;  // up to 2^40 messages per producer, 2^24 producers
  static constexpr std::size_t kChunk = 1 << 16;

  // arena: where chunks come from and go back to (nullptr: the heap).
  explicit ConsumerLog(LogArena* arena = nullptr) : arena_(arena) {}
  ~ConsumerLog();

  // record() is on every consumer's hot path: inline, one store; a new chunk
  // (every 64Ki messages) is out of line. Reordering is found after the run,
  // from the order of the log (check()).
  void record(std::uint32_t producer, std::uint64_t seq) {
    record_packed((static_cast<std::uint64_t>(producer) << kSeqBits) | seq);
  }
  void record_packed(std::uint64_t producer_and_seq) {
    if (fill_ == kChunk) [[unlikely]]
      add_chunk();
    current_[fill_++] = producer_and_seq;
  }

  std::uint64_t count() const noexcept {
    return chunks_.empty() ? 0 : (chunks_.size() - 1) * kChunk + fill_;
  }
  ConsumerLog(const ConsumerLog&) = delete;
  ConsumerLog& operator=(const ConsumerLog&) = delete;
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t c = 0; c < chunks_.size(); ++c) {
      const std::size_t n = c + 1 == chunks_.size() ? fill_ : kChunk;  // the last one is partial
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t e = chunks_[c][i];
        visit(static_cast<std::uint32_t>(e >> kSeqBits), e & ((std::uint64_t{1} << kSeqBits) - 1));
      }
    }
  }

 private:
  void add_chunk();
  LogArena* arena_;
  std::vector<std::uint64_t*> chunks_;
  std::uint64_t* current_ = nullptr;
  std::size_t fill_ = kChunk;  // full: the first record() adds a chunk
};

// ProducerLog: how many sends a producer attempted, and which did not go through.
// alignas(64): `attempted` is written on every send, by one producer each.
struct alignas(64) ProducerLog {
  std::uint64_t attempted = 0;
  // Seqs refused because the queue was closed: at most one, the last
  // attempted (closed stays closed, and the producer stops).
  std::vector<std::uint64_t> refused_closed;
  std::vector<std::uint64_t> timed_out;  // exact mode: seqs whose send timed out (handed back)
  MessageDigest timed_out_digest;        // streaming mode: the same, as a digest of their ids
};

// ProducerMismatch: what the streaming check can say about one producer whose
// messages did not all arrive exactly once. It counts and hashes messages, so
// it cannot name them: lost, duplicated and phantom are the fewest that
// explain the counts and digests.
struct ProducerMismatch {
  std::uint32_t producer = 0;
  std::uint64_t sent_ok = 0;
  std::uint64_t received = 0;  // by consumers, and left in the queue when that counts
  std::uint64_t lost = 0, duplicated = 0, phantom = 0;
};

// MessageName: one message, as exact mode names it.
struct MessageName {
  std::uint32_t producer = 0;
  std::uint64_t seq = 0;
};

struct CheckResult {
  std::uint64_t sent = 0;         // sends that returned ok
  std::uint64_t send_closed = 0;  // sends refused because the queue was closed
  std::uint64_t send_timeout = 0;
  std::uint64_t received = 0;
  std::uint64_t left_in_queue = 0;
  std::uint64_t lost = 0;        // sent ok, never received, not left in the queue
  std::uint64_t duplicated = 0;  // received (or left) more than once
  std::uint64_t phantom = 0;     // received but never sent ok
  std::uint64_t reordered = 0;   // a consumer saw one producer's seqs go backwards
  std::uint64_t hung = 0;        // fibers that did not finish
  // Of `lost`: found in the queue after every consumer had seen it closed and
  // drained (accepted after close, or a receiver told "drained" too early).
  std::uint64_t lost_after_close = 0;
  // Receives that reported closed while the queue still held items, or
  // before anyone closed it, or answered with an error (never allowed).
  std::uint64_t spurious_closed = 0;
  CheckMode mode = CheckMode::exact;
  // Exact mode: the first message that broke each rule (in the consumers'
  // order; the first lost in seq order).
  std::optional<MessageName> first_lost, first_duplicated, first_phantom, first_reordered;
  // Streaming mode, which cannot name messages: the producers that did not add up.
  std::vector<ProducerMismatch> mismatches;
  bool ok() const noexcept {
    return lost + duplicated + phantom + reordered + hung + spurious_closed == 0;
  }
  // failures(): one line per broken rule, e.g. "3 lost".
  std::vector<std::string> failures() const;
};

// What the driver saw besides the logs.
struct RunFacts {
  std::uint64_t hung_fibers = 0;
  std::uint64_t spurious_closed = 0;
  // Every consumer ended by seeing the queue closed and drained: then nothing
  // may be left in it, and what is left counts as lost.
  bool consumers_saw_drained = false;
};

// check(): exact accounting. `left` is what was drained from the queue after
// the run (as if a last consumer had received it), unless facts say that the
// consumers had all seen it drained.
CheckResult check(const std::vector<ProducerLog>& producers,
                  const std::vector<const ConsumerLog*>& consumers, const ConsumerLog& left,
                  const RunFacts& facts);

}  // namespace tmpmc::scenarios
