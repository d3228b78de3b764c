// driver_run_state.h: what one run of the driver's loops (driver_loops.h)
// shares: the message its producers send, and the state its fibers share
// with each other and with the checks after the run.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interval_monitor.h"
#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios::loops {

// Message: producer and sequence number packed into one word (as in the
// consumer logs), then the intended and actual send times (clock ticks; 0: not
// stamped), then the payload. All 8-byte fields: the copy into the ring reads
// it back with wide loads, which stall if the fields were written narrower.
template <unsigned PayloadBytes>
struct Message {
  std::uint64_t id;  // producer << ConsumerLog::kSeqBits | seq
  std::uint64_t intended;
  std::uint64_t sent;
  std::array<std::byte, PayloadBytes> payload;
  std::uint32_t producer() const noexcept {
    return static_cast<std::uint32_t>(id >> ConsumerLog::kSeqBits);
  }
  std::uint64_t seq() const noexcept {
    return id & ((std::uint64_t{1} << ConsumerLog::kSeqBits) - 1);
  }
};

// Everything one run shares between its fibers and the code that checks it.
struct RunState {
  const ScenarioConfig& config;
  const TimestampClock& clock;
  const DriverOptions& options;
  std::vector<ProducerLog> producer_logs;
  std::vector<std::unique_ptr<ConsumerLog>> consumer_logs;
  std::vector<Histogram> histograms;             // one per consumer
  std::vector<ConsumerProgress> progress;        // one per consumer, for intervals
  std::atomic<std::uint64_t> received_total{0};  // only for close.when = after_received
  std::atomic<std::uint64_t> sent_total{0};      // only for close.when = by_producer
  std::atomic<unsigned> producers_left{0};       // senders_dropped without a channel
  std::atomic<bool> close_called{false};         // set just before close()
  std::atomic<std::uint64_t> spurious_closed{0};
  std::atomic<unsigned> consumers_saw_drained{0};  // ended on "closed and drained"
  runtime::TimePoint end_time{};                   // duration_ms mode
  std::function<std::string()> queue_state;        // for trace lines, once the queue exists
  // Takes what is left in the queue into a log, after the run (even a stuck
  // one: what is still in the queue is not lost).
  std::function<void(ConsumerLog&)> drain_left;

  RunState(const ScenarioConfig& c, const TimestampClock& k, const DriverOptions& o)
      : config(c),
        clock(k),
        options(o),
        producer_logs(c.producers.count),
        histograms(c.consumers.count),
        progress(c.consumers.count),
        producers_left(c.producers.count) {
    for (unsigned i = 0; i < c.consumers.count; ++i) {
      consumer_logs.push_back(std::make_unique<ConsumerLog>(o.log_arena));
    }
  }
  bool interrupted() const noexcept {
    return options.interrupt != nullptr && options.interrupt->load(std::memory_order_relaxed);
  }
  // close(q): every close goes through here, so that a receive that reports
  // closed before it can be told apart (close_called, seq_cst: a consumer
  // that saw the queue closed by this call also sees the flag).
  template <class Q>
  void close(Q& q) {
    close_called.store(true, std::memory_order_seq_cst);
    q.close();
  }
};

}  // namespace tmpmc::scenarios::loops
