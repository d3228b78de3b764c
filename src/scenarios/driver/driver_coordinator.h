// driver_coordinator.h: the coordinator of a run on fibers (or threads) an
// executor spawns: it starts the producers and consumers (their loops:
// driver_fiber_loops.h), closes the queue when the config says, waits for
// them with the run's deadline and names the ones that missed it.
// coordinate() is shared with backends that bring their own tasks (Asio).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "driver/driver_fiber_loops.h"
#include "driver/driver_run_state.h"
#include "tmpmc/queue/channel.h"
#include "tmpmc/runtime/runtime.h"

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
  // runtime.placement: local starts each task where the executor likes;
  // spread puts each on its own worker (config.h) and keeps it there.
  const bool spread = c.runtime.placement == Placement::spread;
  const auto start = [&ex, spread](std::string name, unsigned worker, auto&& task) {
    return spread ? ex.spawn_on(worker, std::move(name), std::forward<decltype(task)>(task))
                  : ex.spawn(std::move(name), std::forward<decltype(task)>(task));
  };
  for (std::uint32_t i = 0; i < c.consumers.count; ++i) {
    consumers.push_back(
        start("consumer-" + std::to_string(i), consumer_worker(c, i), [&s, rx = rx, i]() mutable {
          consume<PayloadBytes, R, Faults>(s, end_of(rx), i, to_close<Q>(rx));
        }));
  }
  for (std::uint32_t i = 0; i < c.producers.count; ++i) {
    producers.push_back(start("producer-" + std::to_string(i), producer_worker(c, i),
                              [&s, tx = tx, producer_done, i]() mutable {
                                produce<Exec, PayloadBytes, R, Faults>(s, end_of(tx), i,
                                                                       to_close<Q>(tx));
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

// coordinate(): the coordinator's part of a run, whatever runs its tasks:
// it closes the queue when close.when says, around its waits for the
// producers and then the consumers (await_producers(), await_consumers():
// each returns once its tasks have ended or the run's deadline passed).
template <class Q, class SleepFor, class AwaitProducers, class AwaitConsumers>
void coordinate(RunState& s, Q& q, SleepFor sleep_for, AwaitProducers await_producers,
                AwaitConsumers await_consumers) {
  switch (s.config.close.when) {
    case CloseWhen::after_ms:
      // Close while producers may still be sending.
      sleep_for(std::chrono::milliseconds(s.config.close.ms));
      s.close(q);
      await_producers();
      break;
    case CloseWhen::after_producers:
    case CloseWhen::after_received:
    case CloseWhen::by_producer:
      // after_received and by_producer: a consumer or a producer closes at
      // close.messages; if the producers finish first, close after them.
      await_producers();
      s.close(q);
      break;
    case CloseWhen::senders_dropped:
      // The last producer closes as it ends (each backend's producer_done).
      await_producers();
      break;
  }
  await_consumers();
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
  coordinate(
      s, *q, [](std::chrono::milliseconds ms) { Exec::sleep_until(Exec::now() + ms); },
      [&] { join_all(ex, producers, s, *q, stuck); },
      [&] { join_all(ex, consumers, s, *q, stuck); });
  if constexpr (requires { q->shared_across_threads(); }) {
    s.queue_shared = q->shared_across_threads();
  }
  if (!stuck.empty()) throw hang_error(c, std::move(stuck));
}

}  // namespace tmpmc::scenarios::loops
