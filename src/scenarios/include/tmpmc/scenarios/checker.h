// checker.h: proves that no message was lost, duplicated, invented or
// reordered.
//
// During a run each consumer writes only to its own ConsumerLog and each
// producer to its own ProducerLog: no shared state on the hot path. After the
// run, check() does the exact accounting. A message is (producer, seq); each
// producer numbers its sends 0, 1, 2, ... and records the ones that did not
// go through (refused after close, timed out).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tmpmc::scenarios {

// ConsumerLog: the (producer, seq) pairs one consumer received, in order, in
// fixed-size chunks (no reallocation copies; 8 bytes a message).
class ConsumerLog {
 public:
  static constexpr int kSeqBits = 40;  // up to 2^40 messages per producer, 2^24 producers
  static constexpr std::size_t kChunk = 1 << 16;

  explicit ConsumerLog(std::size_t producers) : last_seq_(producers, kNone) {}

  void record(std::uint32_t producer, std::uint64_t seq) {
    if (fill_ == kChunk || chunks_.empty()) {
      chunks_.push_back(std::make_unique<std::uint64_t[]>(kChunk));
      fill_ = 0;
    }
    chunks_.back()[fill_++] = (static_cast<std::uint64_t>(producer) << kSeqBits) | seq;
    ++count_;
    // Reorder check on the fly: one producer's sequence numbers must rise.
    if (producer < last_seq_.size()) {
      // Strictly backwards; the same seq twice is a duplicate, counted by check().
      if (last_seq_[producer] != kNone && seq < last_seq_[producer]) ++reordered_;
      last_seq_[producer] = seq;
    }
  }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t reordered() const noexcept { return reordered_; }
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t c = 0; c < chunks_.size(); ++c) {
      const std::size_t n = c + 1 == chunks_.size() ? fill_ : kChunk;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t e = chunks_[c][i];
        visit(static_cast<std::uint32_t>(e >> kSeqBits), e & ((std::uint64_t{1} << kSeqBits) - 1));
      }
    }
  }

 private:
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  std::vector<std::unique_ptr<std::uint64_t[]>> chunks_;
  std::size_t fill_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t reordered_ = 0;
  std::vector<std::uint64_t> last_seq_;
};

// ProducerLog: how many sends a producer attempted, and which did not go through.
struct ProducerLog {
  std::uint64_t attempted = 0;
  std::vector<std::uint64_t> refused_closed;  // seqs refused because the queue was closed
  std::vector<std::uint64_t> timed_out;       // seqs whose send timed out (handed back)
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
  bool ok() const noexcept { return lost + duplicated + phantom + reordered + hung == 0; }
  // failures(): one line per broken rule, e.g. "3 lost".
  std::vector<std::string> failures() const;
};

// check(): exact accounting. `left` is what was drained from the queue after
// the run (as if a last consumer had received it).
CheckResult check(const std::vector<ProducerLog>& producers,
                  const std::vector<const ConsumerLog*>& consumers, const ConsumerLog& left,
                  std::uint64_t hung_fibers);

}  // namespace tmpmc::scenarios
