// driver_loops.h: one run of a scenario, written once for every queue
// implementation and executor (backends/*_executor.h): it sets the run up,
// runs the coordinator (driver_coordinator.h) that spawns the producers and
// consumers (their loops: driver_fiber_loops.h) and applies the close
// timing, then checks and accounts for every message.
//
// Every message carries (producer, seq, intended send time, send time).
// Producers number their sends and log only what did not go through;
// consumers record what they received, each in its own log (exact mode,
// checker.h) or tally (streaming mode, streaming_checker.h). The coordinator (the
// root fiber) applies the close timing. A run that does not finish within
// timeout_ms ends with the stuck fibers named: by the runtime's watchdog on our
// runtime, by join() deadlines elsewhere.
//
// A backend is a struct with
//   template <class T> using Queue = ...;   the queue (a shared handle or not)
//   using Executor = ...;                   where fibers run
//   static constexpr bool kChannel;         close.when senders_dropped uses
//                                           tmpmc's channel; otherwise the last
//                                           producer to finish closes the queue
//
// or, for a peer whose tasks are not fibers the executor can spawn (Asio's
// coroutines, backends/asio.cpp), a struct with
//   using Executor = ...;
//   template <unsigned PayloadBytes, Recording R, bool Faults>
//   static void run(Executor&, RunState&);  the whole run, from the same
//                                           pieces (driver_fiber_loops.h)
//
// and an executor (backends/*_executor.h) is
//   Executor(config, options, trace_state)  set up for one run
//   block_on(root)                  runs root() (the coordinator) to the end
//   spawn(name, f) -> Handle        starts f() beside it
//   spawn_on(worker, name, f)       the same, on worker `worker` and kept
//     -> Handle                     there as well as the executor can
//                                   (runtime.placement spread)
//   join(handle) -> bool            false: the run's timeout passed first
//   now(), sleep_until(t)           its clock (steady_clock, or virtual time
//                                   in deterministic mode)
//   finish(result)                  adds its counters (and trace) to a result
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "driver/driver_coordinator.h"
#include "driver/driver_fiber_loops.h"
#include "driver/driver_run_state.h"
#include "driver/recorded_queue.h"
#include "tmpmc/queue/channel.h"
#include "tmpmc/runtime/rng.h"
#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/abandoned.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios::loops {

// run_tasks(): the backend's own producer and consumer tasks, if it brings
// them (Asio's coroutines are not the fibers of spawn_fibers()), or else
// run_fibers().
template <class Backend, unsigned PayloadBytes, Recording R, bool Faults>
void run_tasks(typename Backend::Executor& ex, RunState& s) {
  if constexpr (requires { Backend::template run<PayloadBytes, R, Faults>(ex, s); }) {
    Backend::template run<PayloadBytes, R, Faults>(ex, s);
  } else {
    run_fibers<Backend, PayloadBytes, R, Faults>(ex, s);
  }
}

// run_recording(): run_tasks() for the scenario's faults, recording as R.
template <class Backend, unsigned PayloadBytes, Recording R>
void run_recording(typename Backend::Executor& ex, RunState& s) {
  if (has_faults(s.config)) {
    run_tasks<Backend, PayloadBytes, R, true>(ex, s);
  } else {
    run_tasks<Backend, PayloadBytes, R, false>(ex, s);
  }
}

// check_run(): the check of the run's mode, on what its fibers recorded.
inline CheckResult check_run(const RunState& s, std::uint64_t hung) {
  RunFacts facts;
  facts.hung_fibers = hung;
  facts.spurious_closed = s.spurious_closed.load();
  facts.consumers_saw_drained = s.consumers_saw_drained.load() == s.config.consumers.count;
  if (s.check_mode == CheckMode::streaming) {
    std::vector<const ConsumerTally*> tallies;
    tallies.reserve(s.consumer_tallies.size());
    for (const auto& tally : s.consumer_tallies) tallies.push_back(tally.get());
    return check_streaming(s.producer_logs, tallies, s.left_tally, facts);
  }
  std::vector<const ConsumerLog*> logs;
  logs.reserve(s.consumer_logs.size());
  for (const auto& log : s.consumer_logs) logs.push_back(log.get());
  return check(s.producer_logs, logs, s.left_log, facts);
}

// outcome_of(): what an exact-mode run delivered, as one hash: each
// consumer's messages in the order it received them, what was left in the
// queue, each producer's sends and the ones refused or timed out, and the
// fibers left hung. Two runs with the same outcome are indistinguishable to a
// user of the queue (RunResult::outcome).
inline std::uint64_t outcome_of(const RunState& s, std::uint64_t hung) {
  std::uint64_t h = runtime::mix64(0x6f7574636f6d65, hung);
  const auto add_log = [&h](const ConsumerLog& log) {
    h = runtime::mix64(h, log.count());
    log.for_each([&h](std::uint32_t p, std::uint64_t seq) {
      h = runtime::mix64(runtime::mix64(h, p), seq);
    });
  };
  for (const auto& log : s.consumer_logs) add_log(*log);
  add_log(s.left_log);
  for (const ProducerLog& log : s.producer_logs) {
    h = runtime::mix64(h, log.attempted);
    for (const std::uint64_t seq : log.refused_closed) h = runtime::mix64(h, seq + 1);
    for (const std::uint64_t seq : log.timed_out) h = runtime::mix64(h, ~seq);
  }
  return h;
}

// records_history<Backend>(): whether the backend's runs can record a
// history: those on our runtime (deterministic mode), with fibers the driver
// spawns (not a backend's own tasks).
template <class Backend>
constexpr bool records_history() {
  if constexpr (requires { Backend::Executor::kCanBeDeterministic; }) {
    return !requires(typename Backend::Executor & ex, RunState & s) {
      Backend::template run<0, Recording::exact, false>(ex, s);
    };
  } else {
    return false;
  }
}

// run_exact(): run_recording() in exact mode, through the recorded queue
// when the run keeps a history.
template <class Backend, unsigned PayloadBytes>
void run_exact(typename Backend::Executor& ex, RunState& s) {
  if constexpr (records_history<Backend>()) {
    if (s.history) {
      run_recording<HistoryBackend<Backend>, PayloadBytes, Recording::exact>(ex, s);
      return;
    }
  }
  run_recording<Backend, PayloadBytes, Recording::exact>(ex, s);
}

template <class Backend, unsigned PayloadBytes, bool Record>
RunResult run_with_payload(const ScenarioConfig& c, const DriverOptions& options) {
  const TimestampClock& clock = *options.clock;
  RunResult result;
  // With recording off, the exact mode's (empty) logs: nothing is recorded.
  const CheckMode mode = Record ? check_mode(c) : CheckMode::exact;
  // What the run's tasks share. An executor that may abandon a task (a
  // peer's thread stuck for good: DeadlineExecutor, abandoned.h) gets it on
  // the heap with the run's own copies of the config, clock and options: the
  // task may still touch it after this returns, so then it is kept for the
  // rest of the process instead of freed. Every other executor's tasks end
  // within the run, and the caller's config and options serve, uncopied
  // (stress runs this once per schedule).
  constexpr bool kMayAbandon = requires { Backend::Executor::kMayAbandonTasks; };
  struct Shared {
    std::optional<ScenarioConfig> config;
    std::optional<TimestampClock> clock;
    std::optional<DriverOptions> options;
    std::optional<RunState> state;
  };
  std::shared_ptr<Shared> shared;
  const std::uint64_t abandoned_before = abandoned_tasks();
  try {
    shared = std::make_shared<Shared>();
    if constexpr (kMayAbandon) {
      shared->state.emplace(shared->config.emplace(c), shared->clock.emplace(clock),
                            shared->options.emplace(options), mode);
    } else {
      shared->state.emplace(c, clock, options, mode);
    }
  } catch (const std::bad_alloc&) {
    result.error = "out of memory: the " + std::string(to_string(mode)) + " check of " +
                   std::to_string(c.producers.count) + " producers x " +
                   std::to_string(c.consumers.count) + " consumers";
    return result;
  }
  RunState& s = *shared->state;
  std::uint64_t hung = 0;
  const auto start = std::chrono::steady_clock::now();
  // Intervals in real time only: virtual time has no seconds to sample.
  std::optional<IntervalMonitor> monitor;
  if (Record && options.interval.count() > 0 && !c.runtime.deterministic) {
    monitor.emplace(options.interval, s.progress, s.histograms, options.on_interval);
  }
  try {
    typename Backend::Executor ex(c, options,
                                  [&s] { return s.queue_state ? s.queue_state() : std::string(); });
    try {
      ex.block_on([&] {
        const runtime::TimePoint clock_start = Backend::Executor::now();
        if (c.duration_ms) {
          s.end_time = clock_start + std::chrono::milliseconds(*c.duration_ms);
        }
        if constexpr (!Record) {
          run_recording<Backend, PayloadBytes, Recording::off>(ex, s);
        } else if (mode == CheckMode::streaming) {
          run_recording<Backend, PayloadBytes, Recording::streaming>(ex, s);
        } else {
          run_exact<Backend, PayloadBytes>(ex, s);
        }
        result.clock_elapsed_s =
            std::chrono::duration<double>(Backend::Executor::now() - clock_start).count();
      });
    } catch (const runtime::StuckError& e) {
      hung = e.parked().size();
      result.stuck_fibers = e.parked();
      result.stuck_summary = e.what();
    }
    // Outside every fiber now (no choice point can switch), with the queue
    // kept alive by drain_left. A queue a stopped run left half-way through
    // an operation (a claimed slot whose push no fiber will finish) cannot be
    // drained: what is left is then not counted, and the report says so.
    try {
      if (s.drain_left) s.drain_left();
    } catch (const runtime::SpinWithoutRunner& e) {
      result.stuck_summary += std::string(result.stuck_summary.empty() ? "" : "; ") +
                              "what is left in the queue was not counted: " + e.what();
    }
    ex.finish(result);
  } catch (const std::bad_alloc&) {
    // The run failed, and says why; the accounting below still covers what ran.
    result.error = "out of memory: queue.capacity " + std::to_string(c.queue.capacity) + " x " +
                   std::to_string(sizeof(Message<PayloadBytes>)) + "-byte messages, " +
                   std::to_string(c.producers.count + c.consumers.count) + " fibers";
  } catch (const std::exception& e) {
    result.error = e.what();  // e.g. no fiber stack could be mapped
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (monitor) result.intervals = monitor->stop();
  result.elapsed_s = std::chrono::duration<double>(elapsed).count();
  if constexpr (Record) {
    result.check = check_run(s, hung);
    if (s.check_mode == CheckMode::exact) result.outcome = outcome_of(s, hung);
    if (s.history) {
      // Against the capacity the config asked for: a queue that holds more
      // than that while reporting it is what the check is for.
      result.linearizability = check_linearizability(*s.history, c.queue.capacity);
      result.linearizability_report = report(*s.history, *result.linearizability);
    }
  } else {
    for (auto& log : s.producer_logs)
      result.check.sent += log.attempted - log.refused_closed.size();
    result.check.received = result.check.sent;
  }
  for (const auto& h : s.histograms) result.latency.merge(h);
  for (const auto& h : s.lateness) result.send_lateness.merge(h);
  result.msgs_per_sec =
      result.elapsed_s > 0 ? static_cast<double>(result.check.received) / result.elapsed_s : 0;
  result.interrupted = s.interrupted();
  result.queue_shared = s.queue_shared;
  if (abandoned_tasks() != abandoned_before) keep_forever(std::move(shared));
  return result;
}

// run_backend(): run_with_payload for the config's payload bucket.
template <class Backend, bool Record, std::size_t... Bucket>
RunResult run_in_bucket(unsigned payload_bytes, const ScenarioConfig& config,
                        const DriverOptions& options, std::index_sequence<Bucket...>) {
  RunResult result;
  ((payload_bytes == kPayloadBuckets[Bucket] &&
    (result = run_with_payload<Backend, kPayloadBuckets[Bucket], Record>(config, options), true)) ||
   ...);
  return result;
}

template <class Backend, bool Record>
RunResult run_backend(const ScenarioConfig& config, const DriverOptions& options) {
  return run_in_bucket<Backend, Record>(effective_payload_bytes(config.producers.payload_bytes),
                                        config, options,
                                        std::make_index_sequence<std::size(kPayloadBuckets)>{});
}

}  // namespace tmpmc::scenarios::loops
