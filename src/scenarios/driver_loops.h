// driver_loops.h: producers, consumers and a coordinator, written once for
// every queue implementation and executor (backends/*_executor.h).
//
// Every message carries (producer, seq, intended send time, send time).
// Producers number their sends and log only what did not go through;
// consumers log what they received in their own buffers. The coordinator (the
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
// and an executor (backends/*_executor.h) is
//   Executor(config, options, trace_state)  set up for one run
//   block_on(root)                  runs root() (the coordinator) to the end
//   spawn(name, f) -> Handle        starts f() beside it
//   join(handle) -> bool            false: the run's timeout passed first
//   now(), sleep_until(t)           its clock (steady_clock, or virtual time
//                                   in deterministic mode)
//   finish(result)                  adds its counters (and trace) to a result
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tmpmc/queue/channel.h"
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
  std::atomic<std::uint64_t> received_total{0};  // only for close.when = after_received
  std::atomic<std::uint64_t> sent_total{0};      // only for close.when = by_producer
  std::atomic<unsigned> producers_left{0};       // senders_dropped without a channel
  std::atomic<bool> close_called{false};         // set just before close()
  std::atomic<std::uint64_t> spurious_closed{0};
  std::atomic<unsigned> consumers_saw_drained{0};  // ended on "closed and drained"
  runtime::TimePoint end_time{};                   // duration_ms mode
  std::function<std::string()> queue_state;         // for trace lines, once the queue exists
  // Takes what is left in the queue into a log, after the run (even a stuck
  // one: what is still in the queue is not lost).
  std::function<void(ConsumerLog&)> drain_left;

  RunState(const ScenarioConfig& c, const TimestampClock& k, const DriverOptions& o)
      : config(c),
        clock(k),
        options(o),
        producer_logs(c.producers.count),
        histograms(c.consumers.count),
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

// Got: what one receive gave a consumer.
enum class Got { value, closed, timeout, error };

// receive_one(): one receive, plain or timed, on any queue's interface.
// Inlined and returned by value, so that the message is built in place: a
// message copied through an out-parameter with mixed-width moves stalls on
// store forwarding, which cost the consumer loop more than the queue.
template <class M, class In>
[[gnu::always_inline]] inline std::optional<M> receive_one(RunState& s, In& in, Got& got) {
  if constexpr (requires { in.receive_for(std::chrono::microseconds(1)); }) {
    if (const std::uint64_t timeout_us = s.config.consumers.receive_timeout_us; timeout_us != 0) {
      auto r = in.receive_for(std::chrono::microseconds(timeout_us));
      got = r.status == QueueStatus::ok        ? Got::value
            : r.status == QueueStatus::timeout ? Got::timeout
                                               : Got::closed;
      return std::move(r.value);
    }
  }
  if constexpr (requires { in.receive().error(); }) {
    // std::expected<std::optional<M>, QueueError> (the seed design): an error
    // from receive is a spurious closed by our contract.
    auto r = in.receive();
    if (!r.has_value()) {
      got = Got::error;
      return std::nullopt;
    }
    got = *r ? Got::value : Got::closed;
    return std::move(*r);
  } else {
    std::optional<M> r = in.receive();
    got = r ? Got::value : Got::closed;
    return r;
  }
}

// has_faults(): the scenario injects faults or closes from a producer. Then
// the loops below take their general form; otherwise the plain one, which is
// what the throughput figures measure (every branch counts at 50M msgs/s).
inline bool has_faults(const ScenarioConfig& c) noexcept {
  return c.producers.send_timeout_us != 0 || c.consumers.receive_timeout_us != 0 ||
         c.consumers.quit_after != 0 || c.close.when == CloseWhen::by_producer;
}

// produce(): one producer's loop. `Out` is a queue or a Sender; `to_close` the
// queue a by_producer close closes (nullptr with a Sender).
template <class Exec, unsigned PayloadBytes, bool Record, bool Faults, class Out, class Q>
void produce(RunState& s, Out& out, std::uint32_t id, Q* to_close) {
  const ScenarioConfig& c = s.config;
  ProducerLog& log = s.producer_logs[id];
  const bool open_loop = c.producers.rate_per_sec > 0;
  const double period_ns = open_loop ? 1e9 / c.producers.rate_per_sec : 0;
  const std::uint64_t sample_every = open_loop ? 1 : c.latency_sample_every;
  const bool close_by_me = c.close.when == CloseWhen::by_producer && to_close != nullptr;
  const auto send_timeout = std::chrono::microseconds(c.producers.send_timeout_us);
  const std::uint64_t work_ns = c.producers.work_ns;  // a local: log stores may alias the config
  // messages: this producer's share of the total (the first ones take the remainder).
  std::uint64_t quota = ~std::uint64_t{0};
  if (c.messages) {
    quota = *c.messages / c.producers.count + (id < *c.messages % c.producers.count ? 1 : 0);
  }
  if (c.producers.stop_after != 0 && id < c.producers.stoppers) {
    quota = std::min(quota, c.producers.stop_after);  // a producer that stops early
  }
  const auto start = Exec::now();
  const Message<PayloadBytes> prototype{};  // the payload's bytes, copied into every message
  std::uint64_t until_sample = 1;           // the first message is stamped
  for (std::uint64_t seq = 0; seq < quota; ++seq) {
    if ((seq & 63) == 0) {
      if (s.interrupted()) break;
      if (c.duration_ms && Exec::now() >= s.end_time) break;
    }
    std::uint64_t intended = 0, sent = 0;
    if (open_loop) {
      // Open loop: each message has an intended time; a stalled queue delays
      // the sends behind it, and their latency counts from the intended time
      // (no coordinated omission).
      const auto due = start + std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns * seq));
      if (Exec::now() < due) Exec::sleep_until(due);
      const auto late = std::chrono::duration_cast<std::chrono::nanoseconds>(Exec::now() - due);
      sent = s.clock.now();
      intended = sent - s.clock.from_ns(static_cast<std::uint64_t>(late.count()));
    }
    busy_work(s.clock, work_ns);
    if constexpr (Record) {
      // A countdown, not seq % sample_every: a division per message costs more
      // than the queue operation it measures.
      if (!open_loop && --until_sample == 0) {
        until_sample = sample_every;
        sent = intended = s.clock.now();
      }
    }
    const std::uint64_t packed = (std::uint64_t{id} << ConsumerLog::kSeqBits) | seq;
    // log.attempted counts a send once it returned: a producer left parked
    // inside a send (a hang) has not sent that message.
    if constexpr (Faults && requires { out.send_for(Message<PayloadBytes>{}, send_timeout); }) {
      if (send_timeout.count() != 0) {
        // A timed send: cancelled in the middle of its wait when the queue
        // stays full; the message comes back and the producer goes on.
        auto result = out.send_for(Message<PayloadBytes>{packed, intended, sent, prototype.payload},
                                   send_timeout);
        ++log.attempted;
        if (result.status == QueueStatus::timeout) {
          log.timed_out.push_back(seq);
          continue;
        }
        if (result.status != QueueStatus::ok) {
          log.refused_closed.push_back(seq);
          break;
        }
        if (close_by_me &&
            s.sent_total.fetch_add(1, std::memory_order_relaxed) + 1 == c.close.messages) {
          s.close(*to_close);
        }
        continue;
      }
    }
    // Unstamped messages are built from constants, as with recording compiled
    // out: a message written field by field and then copied into the ring with
    // wider loads stalls on store forwarding, so stamps stay off the common path.
    auto result = sent == 0
                      ? out.send(Message<PayloadBytes>{packed, 0, 0, prototype.payload})
                      : out.send(Message<PayloadBytes>{packed, intended, sent, prototype.payload});
    ++log.attempted;
    if (!result) {
      log.refused_closed.push_back(seq);
      break;  // closed stays closed: this producer is done
    }
    if constexpr (Faults) {
      if (close_by_me &&
          s.sent_total.fetch_add(1, std::memory_order_relaxed) + 1 == c.close.messages) {
        s.close(*to_close);  // this producer closes, and goes on sending into the closed queue
      }
    }
  }
}

// consumed(): what a consumer does with each message.
// The config's values it needs are read once, by the caller, into `k`: a
// ConsumerLog store could alias a config field, which would force reloads.
struct ConsumerConstants {
  std::uint64_t work_ns;
  bool count_for_close;
  std::uint64_t close_at;
};

template <unsigned PayloadBytes, bool Record, class Q>
[[gnu::always_inline]] inline void consumed(RunState& s, const ConsumerConstants k,
                                            const Message<PayloadBytes>& m, ConsumerLog& log,
                                            Histogram& latency, Q* to_close) {
  if constexpr (Record) {
    if (m.intended != 0) latency.record(s.clock.to_ns(s.clock.now() - m.intended));
    log.record_packed(m.id);
  }
  busy_work(s.clock, k.work_ns);
  if (k.count_for_close) {
    // The consumer that receives message number close.messages closes the queue.
    if (s.received_total.fetch_add(1, std::memory_order_relaxed) + 1 == k.close_at) {
      s.close(*to_close);
    }
  }
}

// saw_closed(): a receive answered "closed and drained". Spurious if nobody
// has closed the queue yet, or if it still holds items (checked at once: in
// deterministic mode no other fiber runs in between).
template <class In>
void saw_closed(RunState& s, In& in) {
  if constexpr (requires { in.len(); }) {
    if (in.len() > 0) s.spurious_closed.fetch_add(1, std::memory_order_relaxed);
  }
  if (!s.close_called.load(std::memory_order_seq_cst)) {
    s.spurious_closed.fetch_add(1, std::memory_order_relaxed);
  }
  s.consumers_saw_drained.fetch_add(1, std::memory_order_relaxed);
}

// consume(): one consumer's loop. `In` is a queue or a Receiver; `to_close`
// the queue an after_received close closes.
template <unsigned PayloadBytes, bool Record, bool Faults, class In, class Q>
void consume(RunState& s, In& in, std::uint32_t id, Q* to_close) {
  using M = Message<PayloadBytes>;
  const ScenarioConfig& c = s.config;
  ConsumerLog& log = *s.consumer_logs[id];
  Histogram& latency = s.histograms[id];
  const ConsumerConstants k{c.consumers.work_ns, c.close.when == CloseWhen::after_received,
                            c.close.messages};
  if constexpr (!Faults && !requires { in.receive().error(); }) {
    // The plain loop: receive until closed and drained.
    while (auto m = in.receive()) consumed<PayloadBytes, Record>(s, k, *m, log, latency, to_close);
    saw_closed(s, in);
    return;
  }
  std::uint64_t quota = ~std::uint64_t{0};
  if (c.consumers.quit_after != 0 && id < c.consumers.quitters) quota = c.consumers.quit_after;
  for (std::uint64_t received = 0; received < quota;) {
    Got got;
    std::optional<M> m = receive_one<M>(s, in, got);
    switch (got) {
      case Got::value:
        break;
      case Got::timeout:
        continue;  // nothing was consumed; wait again
      case Got::closed:
        saw_closed(s, in);
        return;
      case Got::error:
        s.spurious_closed.fetch_add(1, std::memory_order_relaxed);
        return;  // as a user of the seed would: an error ends the loop
    }
    ++received;
    consumed<PayloadBytes, Record>(s, k, *m, log, latency, to_close);
  }
}

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

template <class Backend, unsigned PayloadBytes, bool Record, bool Faults>
void run_fibers(typename Backend::Executor& ex, RunState& s) {
  using M = Message<PayloadBytes>;
  using Exec = typename Backend::Executor;
  using Q = typename Backend::template Queue<M>;
  const ScenarioConfig& c = s.config;
  using Handle = typename Exec::Handle;
  std::vector<Handle> producers, consumers;
  if constexpr (Backend::kChannel) {
    if (c.close.when == CloseWhen::senders_dropped) {
      // The last Sender to go (each producer's, when it returns) closes the channel.
      auto [tx, rx] = channel<M>(c.queue.capacity, "q0");
      for (std::uint32_t i = 0; i < c.consumers.count; ++i) {
        consumers.push_back(ex.spawn("consumer-" + std::to_string(i), [&s, rx = rx, i]() mutable {
          consume<PayloadBytes, Record, Faults>(s, rx, i, static_cast<Queue<M>*>(nullptr));
        }));
      }
      for (std::uint32_t i = 0; i < c.producers.count; ++i) {
        producers.push_back(ex.spawn("producer-" + std::to_string(i), [&s, tx = tx, i]() mutable {
          produce<Exec, PayloadBytes, Record, Faults>(s, tx, i, static_cast<Queue<M>*>(nullptr));
          // This producer's Sender goes with the lambda; the last one closes.
          if (s.producers_left.fetch_sub(1, std::memory_order_relaxed) == 1) {
            s.close_called.store(true, std::memory_order_seq_cst);
          }
        }));
      }
      { auto drop = std::move(tx); }  // the coordinator's own Sender
      s.drain_left = [rx = std::move(rx)](ConsumerLog& left) mutable {
        while (auto m = rx.try_receive().value) left.record(m->producer(), m->seq());
      };
      for (auto& p : producers) ex.join(p);
      for (auto& k : consumers) ex.join(k);
      return;
    }
  }
  // One queue, shared by pointer: it outlives every fiber that uses it, even
  // fibers unwound by a runtime that gave up on a stuck run. On cache lines of
  // its own: every operation reads it, and a neighbour written on every
  // message (say, a consumer's log) would bounce its line between cores.
  struct alignas(64) Aligned {
    Q queue;
    Aligned(std::size_t capacity, const char* name) : queue(capacity, name) {}
  };
  auto holder = std::make_shared<Aligned>(c.queue.capacity, "q0");
  std::shared_ptr<Q> q(holder, &holder->queue);
  s.queue_state = [raw = q.get()] { return describe_queue(*raw); };
  s.drain_left = [q](ConsumerLog& left) {
    while (auto m = q->try_receive().value) left.record(m->producer(), m->seq());
  };
  for (std::uint32_t i = 0; i < c.consumers.count; ++i) {
    consumers.push_back(ex.spawn("consumer-" + std::to_string(i), [&s, q, i]() {
      consume<PayloadBytes, Record, Faults>(s, *q, i, q.get());
    }));
  }
  const bool last_producer_closes = c.close.when == CloseWhen::senders_dropped;
  for (std::uint32_t i = 0; i < c.producers.count; ++i) {
    producers.push_back(ex.spawn("producer-" + std::to_string(i), [&s, q, i,
                                                                   last_producer_closes]() {
      produce<Exec, PayloadBytes, Record, Faults>(s, *q, i, q.get());
      // Without a channel, senders_dropped is the last producer closing.
      if (last_producer_closes && s.producers_left.fetch_sub(1, std::memory_order_relaxed) == 1) {
        s.close(*q);
      }
    }));
  }
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
  if (!stuck.empty()) {
    throw runtime::HangError("hang: " + std::to_string(stuck.size()) +
                                 " fibers had not finished after run.timeout_ms (" +
                                 std::to_string(c.run.timeout_ms) + " ms)",
                             std::move(stuck));
  }
}

template <class Backend, unsigned PayloadBytes, bool Record>
RunResult run_with_payload(const ScenarioConfig& c, const DriverOptions& options) {
  const TimestampClock& clock = *options.clock;
  RunState s(c, clock, options);
  ConsumerLog left;
  RunResult result;
  std::uint64_t hung = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    typename Backend::Executor ex(
        c, options, [&s] { return s.queue_state ? s.queue_state() : std::string(); });
    try {
      ex.block_on([&] {
        if (c.duration_ms) {
          s.end_time = Backend::Executor::now() + std::chrono::milliseconds(*c.duration_ms);
        }
        if (has_faults(c)) {
          run_fibers<Backend, PayloadBytes, Record, true>(ex, s);
        } else {
          run_fibers<Backend, PayloadBytes, Record, false>(ex, s);
        }
      });
    } catch (const runtime::StuckError& e) {
      hung = e.parked().size();
      result.stuck_fibers = e.parked();
      result.stuck_summary = e.what();
    }
    // Outside every fiber now (no yield point can switch), with the queue
    // kept alive by drain_left.
    if (s.drain_left) s.drain_left(left);
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
  result.elapsed_s = std::chrono::duration<double>(elapsed).count();
  std::vector<const ConsumerLog*> logs;
  for (auto& log : s.consumer_logs) logs.push_back(log.get());
  if constexpr (Record) {
    RunFacts facts;
    facts.hung_fibers = hung;
    facts.spurious_closed = s.spurious_closed.load();
    facts.consumers_saw_drained = s.consumers_saw_drained.load() == c.consumers.count;
    result.check = check(s.producer_logs, logs, left, facts);
  } else {
    for (auto& log : s.producer_logs)
      result.check.sent += log.attempted - log.refused_closed.size();
    result.check.received = result.check.sent;
  }
  for (const auto& h : s.histograms) result.latency.merge(h);
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
  return run_in_bucket<Backend, Record>(
      effective_payload_bytes(config.producers.payload_bytes), config, options,
      std::make_index_sequence<std::size(kPayloadBuckets)>{});
}

}  // namespace tmpmc::scenarios::loops
