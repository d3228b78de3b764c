// driver_loops.h: one run of a scenario, written once for every queue
// implementation and executor (backends/*_executor.h): the coordinator that
// spawns the producers and consumers (their loops: driver_fiber_loops.h),
// applies the close timing and accounts for every message.
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

#include "driver_fiber_loops.h"
#include "driver_run_state.h"
#include "recorded_queue.h"
#include "tmpmc/queue/channel.h"
#include "tmpmc/runtime/rng.h"
#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios::loops {

// join_all(): joins every handle; the ones that miss the run's deadline are
// named, the queue is closed to release them, and the run reports a hang.
template <class Exec, class Handles, class Q>
void join_all(Exec& ex, Handles& handles, RunState& s, Q& q, std::vector<std::string>& stuck) {
  for (auto& h : handles) {
    if (!ex.join(h)) {
      if constexpr (requires { Exec::name(h); }) stuck.push_back(Exec::name(h));
    }
  }
  if constexpr (requires { ex.extend_deadline(); }) {
    if (stuck.empty()) return;
    s.close(q);
    ex.extend_deadline();
    for (auto& h : handles) ex.join(h);
  }
}

// describe_queue(): the queue's state for --trace lines, if the queue can tell.
template <class Q>
std::string describe_queue(const Q& q) {
  std::string out;
  if constexpr (requires { q.len(); }) out += "len=" + std::to_string(q.len());
  if constexpr (requires { q.is_closed(); }) out += q.is_closed() ? " closed" : " open";
  return out;
}

// end_of(): what a fiber sends into or receives from: its copy of a channel
// end, or the queue that every fiber shares by pointer. to_close(): the queue
// a consumer (after_received) or a producer (by_producer) closes, the shared
// one; nullptr with a channel end. Derived from the end rather than captured
// beside it: one pointer less live in the consumer's loop keeps it in registers.
template <class End>
End& end_of(End& end) {
  return end;
}
template <class Q>
Q& end_of(std::shared_ptr<Q>& queue) {
  return *queue;
}
template <class Q, class End>
Q* to_close(End&) {
  return nullptr;
}
template <class Q>
Q* to_close(std::shared_ptr<Q>& queue) {
  return queue.get();
}

// spawn_fibers(): a fiber per consumer, receiving from its copy of `rx`, and
// one per producer, sending into its copy of `tx`, then running
// producer_done(). Q is the backend's queue type.
template <class Exec, class Q, unsigned PayloadBytes, Recording R, bool Faults, class Rx, class Tx,
          class Done>
void spawn_fibers(Exec& ex, RunState& s, const Rx& rx, const Tx& tx, const Done& producer_done,
                  std::vector<typename Exec::Handle>& consumers,
                  std::vector<typename Exec::Handle>& producers) {
  const ScenarioConfig& c = s.config;
  for (std::uint32_t i = 0; i < c.consumers.count; ++i) {
    consumers.push_back(ex.spawn("consumer-" + std::to_string(i), [&s, rx = rx, i]() mutable {
      consume<PayloadBytes, R, Faults>(s, end_of(rx), i, to_close<Q>(rx));
    }));
  }
  for (std::uint32_t i = 0; i < c.producers.count; ++i) {
    producers.push_back(
        ex.spawn("producer-" + std::to_string(i), [&s, tx = tx, producer_done, i]() mutable {
          produce<Exec, PayloadBytes, R, Faults>(s, end_of(tx), i, to_close<Q>(tx));
          producer_done();
        }));
  }
}

// hang_error(): the error of a run whose `stuck` tasks (fibers, OS threads or
// coroutines, by backend) had not finished by its deadline. The count is
// taken before the names move into the error.
inline runtime::HangError hang_error(const ScenarioConfig& c, std::vector<std::string> stuck) {
  const std::string what = "hang: " + std::to_string(stuck.size()) +
                           " tasks had not finished after " +
                           (c.duration_ms ? "duration_ms + " : "") + "run.timeout_ms (" +
                           std::to_string(c.hang_after().count()) + " ms)";
  return runtime::HangError(what, std::move(stuck));
}

// AlignedQueue<Q>: the run's one queue, on cache lines of its own: every
// operation reads it, and a neighbour written on every message (say, a
// consumer's log) would bounce its line between cores.
template <class Q>
struct alignas(64) AlignedQueue {
  Q queue;
  template <class... Args>
  explicit AlignedQueue(Args&&... args) : queue(std::forward<Args>(args)...) {}
};

template <class Backend, unsigned PayloadBytes, Recording R, bool Faults>
void run_fibers(typename Backend::Executor& ex, RunState& s) {
  using M = Message<PayloadBytes>;
  using Exec = typename Backend::Executor;
  using Q = typename Backend::template Queue<M>;
  const ScenarioConfig& c = s.config;
  using Handle = typename Exec::Handle;
  std::vector<Handle> producers, consumers;
  if constexpr (Backend::kChannel) {
    if (c.close.when == CloseWhen::senders_dropped) {
      // The last Sender to go (each producer's, when its fiber ends) closes the channel.
      auto [tx, rx] = channel<M>(c.queue.capacity, "q0");
      spawn_fibers<Exec, Q, PayloadBytes, R, Faults>(
          ex, s, rx, tx,
          [&s] {
            // This producer's Sender goes with its fiber; the last one closes.
            if (s.producers_left.fetch_sub(1, std::memory_order_relaxed) == 1) {
              s.close_called.store(true, std::memory_order_seq_cst);
            }
          },
          consumers, producers);
      { auto drop = std::move(tx); }  // the coordinator's own Sender
      s.drain_left = [&s, rx = std::move(rx)]() mutable {
        while (auto m = rx.try_receive().value) s.record_left(m->id);
      };
      for (auto& p : producers) ex.join(p);
      for (auto& k : consumers) ex.join(k);
      return;
    }
  }
  // One queue, shared by pointer: it outlives every fiber that uses it, even
  // fibers unwound by a runtime that gave up on a stuck run. A recorded queue
  // (recorded_queue.h) also takes the run's history.
  using Aligned = AlignedQueue<Q>;
  auto holder = [&] {
    if constexpr (std::is_constructible_v<Q, std::size_t, const char*, History*>) {
      return std::make_shared<Aligned>(c.queue.capacity, "q0", s.history.get());
    } else {
      return std::make_shared<Aligned>(c.queue.capacity, "q0");
    }
  }();
  std::shared_ptr<Q> q(holder, &holder->queue);
  s.queue_state = [raw = q.get()] { return describe_queue(*raw); };
  s.drain_left = [&s, q] {
    while (auto m = q->try_receive().value) s.record_left(m->id);
  };
  const bool last_producer_closes = c.close.when == CloseWhen::senders_dropped;
  spawn_fibers<Exec, Q, PayloadBytes, R, Faults>(
      ex, s, q, q,
      [&s, raw = q.get(), last_producer_closes] {
        // Without a channel, senders_dropped is the last producer closing.
        if (last_producer_closes && s.producers_left.fetch_sub(1, std::memory_order_relaxed) == 1) {
          s.close(*raw);
        }
      },
      consumers, producers);
  std::vector<std::string> stuck;
  switch (c.close.when) {
    case CloseWhen::after_ms:
      // Close while producers may still be sending.
      Exec::sleep_until(Exec::now() + std::chrono::milliseconds(c.close.ms));
      s.close(*q);
      join_all(ex, producers, s, *q, stuck);
      break;
    case CloseWhen::after_producers:
    case CloseWhen::after_received:
    case CloseWhen::by_producer:
      // after_received and by_producer: a consumer or a producer closes at
      // close.messages; if the producers finish first, close after them.
      join_all(ex, producers, s, *q, stuck);
      s.close(*q);
      break;
    case CloseWhen::senders_dropped:
      join_all(ex, producers, s, *q, stuck);
      break;
  }
  join_all(ex, consumers, s, *q, stuck);
  if (!stuck.empty()) throw hang_error(c, std::move(stuck));
}

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
    for (const auto& tally : s.consumer_tallies) tallies.push_back(tally.get());
    return check_streaming(s.producer_logs, tallies, s.left_tally, facts);
  }
  std::vector<const ConsumerLog*> logs;
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
  std::optional<RunState> state;
  try {
    state.emplace(c, clock, options, mode);
  } catch (const std::bad_alloc&) {
    result.error = "out of memory: the " + std::string(to_string(mode)) + " check of " +
                   std::to_string(c.producers.count) + " producers x " +
                   std::to_string(c.consumers.count) + " consumers";
    return result;
  }
  RunState& s = *state;
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
    // kept alive by drain_left.
    if (s.drain_left) s.drain_left();
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
