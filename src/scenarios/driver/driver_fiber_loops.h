// driver_fiber_loops.h: the loop each producer fiber and each consumer fiber
// of a run runs (driver_loops.h), on any queue's interface: a queue, or a
// channel's Sender and Receiver.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "driver/driver_batch_loops.h"
#include "driver/driver_run_state.h"
#include "driver/producer_steps.h"
#include "tmpmc/queue/status.h"

namespace tmpmc::scenarios::loops {

// Got: what one receive gave a consumer.
enum class Got { value, closed, timeout, error };

// receive_one(): one receive, plain or timed, on any queue's interface.
// Inlined and returned by value, so that the message is built in place: a
// message copied through an out-parameter with mixed-width moves stalls on
// store forwarding, which cost the consumer loop more than the queue.
template <class M, class In>
[[gnu::always_inline]] inline std::optional<M> receive_one(RunState& s, In& in, Got& got) {
  if constexpr (requires { in.try_receive().status; }) {
    if (s.config.consumers.try_first) {
      // A try first; only an empty queue goes on to the (timed) receive below.
      auto r = in.try_receive();
      if (r.status == QueueStatus::ok) {
        got = Got::value;
        return std::move(r.value);
      }
      if (r.status == QueueStatus::closed) {
        got = Got::closed;
        return std::nullopt;
      }
    }
  }
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

// has_faults(): the scenario injects faults, closes from a producer, or
// tries before it waits (try_first). Then
// the loops below take their general form; otherwise the plain one, which is
// what the throughput figures measure (every branch counts at 50M msgs/s).
inline bool has_faults(const ScenarioConfig& c) noexcept {
  return c.producers.send_timeout_us != 0 || c.consumers.receive_timeout_us != 0 ||
         c.consumers.quit_after != 0 || c.close.when == CloseWhen::by_producer ||
         c.producers.try_first || c.consumers.try_first;
}

// consumer_quota(): how many messages consumer `id` receives before it quits
// (quit_after, for the first `quitters`); unbounded otherwise.
inline std::uint64_t consumer_quota(const ScenarioConfig& c, std::uint32_t id) noexcept {
  if (c.consumers.quit_after != 0 && id < c.consumers.quitters) return c.consumers.quit_after;
  return ~std::uint64_t{0};
}

// produce(): one producer's loop. `Out` is a queue or a Sender; `to_close` the
// queue a by_producer close closes (nullptr with a Sender). Its steps are
// ProducerSteps'; here are its waits and its sends.
template <class Exec, unsigned PayloadBytes, Recording R, bool Faults, class Out, class Q>
void produce(RunState& s, Out& out, std::uint32_t id, Q* to_close) {
  using M = Message<PayloadBytes>;
  const ScenarioConfig& c = s.config;
  ProducerSteps<PayloadBytes, R> p(s, id, to_close != nullptr, Exec::now());
  if constexpr (requires { out.send_many(std::span<M>{}); }) {
    if (c.producers.batch > 1) {
      produce_batches<Exec, PayloadBytes, R, Faults>(p, out, to_close);
      return;
    }
  }
  const auto send_timeout = std::chrono::microseconds(c.producers.send_timeout_us);
  const bool try_first = c.producers.try_first;
  for (std::uint64_t seq = 0; seq < p.quota(); ++seq) {
    if (p.stop_before(seq, Exec::now)) break;
    Stamps stamps;
    if (p.open_loop()) {
      const Due due = p.due(seq);
      Exec::pace_until(due.until, p.horizon());  // parks the fiber (or thread) until due
      if (due.past_end) break;
      stamps = p.paced(due, Exec::now());
    }
    stamps = p.prepare(stamps);
    const std::uint64_t packed = p.packed(seq);
    if constexpr (Faults && requires { out.try_send(M{}).status; }) {
      if (try_first) {
        // A try first; only a full queue goes on to the (timed) send below.
        auto tried = out.try_send(p.message(packed, stamps));
        if (tried.status == QueueStatus::ok) {
          p.sent(to_close);
          continue;
        }
        if (tried.status == QueueStatus::closed) {
          p.refused(seq);
          break;
        }
      }
    }
    if constexpr (Faults && requires { out.send_for(M{}, send_timeout); }) {
      if (send_timeout.count() != 0) {
        // A timed send: cancelled in the middle of its wait when the queue
        // stays full; the message comes back and the producer goes on.
        auto result = out.send_for(p.message(packed, stamps), send_timeout);
        if (result.status == QueueStatus::timeout) {
          p.timed_out(seq);
          continue;
        }
        if (result.status != QueueStatus::ok) {
          p.refused(seq);
          break;
        }
        p.sent(to_close);
        continue;
      }
    }
    if (!out.send(p.message(packed, stamps))) {
      p.refused(seq);
      break;  // closed stays closed: this producer is done
    }
    p.template sent<Faults>(to_close);  // a by_producer close is a fault
  }
}

// consumed(): what a consumer does with each message.
// The config's values it needs are read once, by the caller, into `k`: a
// store into the consumer's log or tally could alias a config field, which
// would force reloads.
struct ConsumerConstants {
  std::uint64_t work_ns;
  bool count_for_close;
  std::uint64_t close_at;
};

template <unsigned PayloadBytes, Recording R, class Record, class Q>
[[gnu::always_inline]] inline void consumed(RunState& s, const ConsumerConstants k,
                                            const Message<PayloadBytes>& m, Record& record,
                                            Histogram& latency, ConsumerProgress& progress,
                                            Q* to_close) {
  if constexpr (R != Recording::off) {
    if (m.intended != 0) latency.record(s.clock.to_ns(s.clock.now() - m.intended));
    record.record_packed(m.id);  // a ConsumerLog or a ConsumerTally
    progress.add_one();
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
// has closed the queue yet, if the queue does not say it is closed, or if it
// still holds items (checked at once; in deterministic mode these reads are
// choice points of their own, and closed stays closed, drained stays drained).
template <class In>
void saw_closed(RunState& s, In& in) {
  if constexpr (requires { in.is_closed(); }) {
    if (!in.is_closed()) s.spurious_closed.fetch_add(1, std::memory_order_relaxed);
  }
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
template <unsigned PayloadBytes, Recording R, bool Faults, class In, class Q>
void consume(RunState& s, In& in, std::uint32_t id, Q* to_close) {
  using M = Message<PayloadBytes>;
  const ScenarioConfig& c = s.config;
  auto& record = s.consumer_record<R>(id);
  Histogram& latency = s.histograms[id];
  ConsumerProgress& progress = s.progress[id];
  const ConsumerConstants k{c.consumers.work_ns, c.close.when == CloseWhen::after_received,
                            c.close.messages};
  if constexpr (requires { in.receive_many(std::span<M>{}); }) {
    if (c.consumers.batch > 1) {
      consume_batches<PayloadBytes, Faults>(
          s, in, consumer_quota(c, id),
          [&](const M& m) {
            consumed<PayloadBytes, R>(s, k, m, record, latency, progress, to_close);
          },
          [&] { saw_closed(s, in); });
      return;
    }
  }
  if constexpr (!Faults && !requires { in.receive().error(); }) {
    // The plain loop: receive until closed and drained.
    while (auto m = in.receive()) {
      consumed<PayloadBytes, R>(s, k, *m, record, latency, progress, to_close);
    }
    saw_closed(s, in);
    return;
  }
  const std::uint64_t quota = consumer_quota(c, id);
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
    consumed<PayloadBytes, R>(s, k, *m, record, latency, progress, to_close);
  }
}

}  // namespace tmpmc::scenarios::loops
