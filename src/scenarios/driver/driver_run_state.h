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

#include "driver/interval_monitor.h"
#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/driver.h"
#include "tmpmc/scenarios/streaming_checker.h"

namespace tmpmc::scenarios::loops {

// Recording: what the loops keep of each message, a template parameter so
// that each loop carries the code of one only. off: nothing, no stamps either
// (DriverOptions::record = false); exact: its id in the consumer's log;
// streaming: its id counted and hashed into the consumer's tally.
enum class Recording { off, exact, streaming };

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
  const CheckMode check_mode;
  std::vector<ProducerLog> producer_logs;
  // One per consumer: logs in exact mode (and with recording off, unused),
  // tallies in streaming mode; and what was left in the queue, the same way.
  std::vector<std::unique_ptr<ConsumerLog>> consumer_logs;
  std::vector<std::unique_ptr<ConsumerTally>> consumer_tallies;
  ConsumerLog left_log;
  ConsumerTally left_tally;
  std::vector<Histogram> histograms;             // one per consumer
  std::vector<Histogram> lateness;               // one per producer, open loop only
  std::vector<ConsumerProgress> progress;        // one per consumer, for intervals
  std::atomic<std::uint64_t> received_total{0};  // only for close.when = after_received
  std::atomic<std::uint64_t> sent_total{0};      // only for close.when = by_producer
  std::atomic<unsigned> producers_left{0};       // senders_dropped without a channel
  std::atomic<bool> close_called{false};         // set just before close()
  std::atomic<std::uint64_t> spurious_closed{0};
  std::atomic<unsigned> consumers_saw_drained{0};  // ended on "closed and drained"
  runtime::TimePoint end_time{};                   // duration_ms mode
  std::function<std::string()> queue_state;        // for trace lines, once the queue exists
  // Queues that can say (ours): the ring ran shared across threads by the
  // run's end (RunResult::queue_shared).
  std::optional<bool> queue_shared;
  // Takes what is left in the queue into record_left(), after the run (even
  // a stuck one: what is still in the queue is not lost).
  std::function<void()> drain_left;
  // Every queue operation, when the run checks linearizability
  // (recorded_queue.h); null otherwise.
  std::unique_ptr<History> history;

  RunState(const ScenarioConfig& c, const TimestampClock& k, const DriverOptions& o, CheckMode mode)
      : config(c),
        clock(k),
        options(o),
        check_mode(mode),
        producer_logs(c.producers.count),
        left_tally(mode == CheckMode::streaming ? c.producers.count : 0),
        histograms(c.consumers.count),
        lateness(c.producers.rate_per_sec > 0 ? c.producers.count : 0),
        progress(c.consumers.count),
        producers_left(c.producers.count),
        history(o.check_linearizability && c.runtime.deterministic && mode == CheckMode::exact
                    ? std::make_unique<History>()
                    : nullptr) {
    for (unsigned i = 0; i < c.consumers.count; ++i) {
      if (mode == CheckMode::streaming) {
        consumer_tallies.push_back(std::make_unique<ConsumerTally>(c.producers.count));
      } else {
        consumer_logs.push_back(std::make_unique<ConsumerLog>(o.log_arena));
      }
    }
  }
  // consumer_record<R>(i): where consumer i records each message.
  template <Recording R>
  auto& consumer_record(std::uint32_t i) {
    if constexpr (R == Recording::streaming) {
      return *consumer_tallies[i];
    } else {
      return *consumer_logs[i];
    }
  }
  // record_left(): one message drained from the queue after the run.
  void record_left(std::uint64_t producer_and_seq) {
    if (check_mode == CheckMode::streaming) {
      left_tally.record_packed(producer_and_seq);
    } else {
      left_log.record_packed(producer_and_seq);
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
