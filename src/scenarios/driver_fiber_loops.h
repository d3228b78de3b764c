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

#include "driver_batch_loops.h"
#include "driver_run_state.h"
#include "open_loop_pacer.h"
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

// count_for_close(): close.when by_producer: a send went in, and the producer
// whose send is number close.messages closes the queue (and goes on sending
// into the closed queue).
template <class Q>
[[gnu::always_inline]] inline void count_for_close(RunState& s, Q& to_close) {
  if (s.sent_total.fetch_add(1, std::memory_order_relaxed) + 1 == s.config.close.messages) {
    s.close(to_close);
  }
}

// producer_quota(): how many messages producer `id` sends at most: its share
// of `messages` (the first ones take the remainder), or its stop_after if it
// stops early; unbounded for a run of a duration.
inline std::uint64_t producer_quota(const ScenarioConfig& c, std::uint32_t id) noexcept {
  std::uint64_t quota = ~std::uint64_t{0};
  if (c.messages) {
    quota = *c.messages / c.producers.count + (id < *c.messages % c.producers.count ? 1 : 0);
  }
  if (c.producers.stop_after != 0 && id < c.producers.stoppers) {
    quota = std::min(quota, c.producers.stop_after);
  }
  return quota;
}

// consumer_quota(): how many messages consumer `id` receives before it quits
// (quit_after, for the first `quitters`); unbounded otherwise.
inline std::uint64_t consumer_quota(const ScenarioConfig& c, std::uint32_t id) noexcept {
  if (c.consumers.quit_after != 0 && id < c.consumers.quitters) return c.consumers.quit_after;
  return ~std::uint64_t{0};
}

// produce(): one producer's loop. `Out` is a queue or a Sender; `to_close` the
// queue a by_producer close closes (nullptr with a Sender).
template <class Exec, unsigned PayloadBytes, Recording R, bool Faults, class Out, class Q>
void produce(RunState& s, Out& out, std::uint32_t id, Q* to_close) {
  const ScenarioConfig& c = s.config;
  ProducerLog& log = s.producer_logs[id];
  const bool open_loop = c.producers.rate_per_sec > 0;
  const std::uint64_t sample_every = open_loop ? 1 : c.latency_sample_every;
  const bool close_by_me = c.close.when == CloseWhen::by_producer && to_close != nullptr;
  const auto send_timeout = std::chrono::microseconds(c.producers.send_timeout_us);
  const std::uint64_t work_ns = c.producers.work_ns;  // a local: log stores may alias the config
  const std::uint64_t quota = producer_quota(c, id);
  if constexpr (requires { out.send_many(std::span<Message<PayloadBytes>>{}); }) {
    if (c.producers.batch > 1) {
      produce_batches<Exec, PayloadBytes, R, Faults>(s, out, id, to_close, quota);
      return;
    }
  }
  std::optional<OpenLoopPacer> pacer;
  if (open_loop) pacer.emplace(c, Exec::now(), s.lateness[id]);
  const Message<PayloadBytes> prototype{};  // the payload's bytes, copied into every message
  std::uint64_t until_sample = 1;           // the first message is stamped
  for (std::uint64_t seq = 0; seq < quota; ++seq) {
    // A closed-loop producer looks at the clock once per 64 sends (a clock
    // read costs as much as a send); an open-loop one before each, since at a
    // slow rate 64 sends are seconds.
    if (open_loop || (seq & 63) == 0) {
      if (s.interrupted()) break;
      if (c.duration_ms && Exec::now() >= s.end_time) break;
    }
    std::uint64_t intended = 0, sent = 0;
    if (open_loop) {
      const auto due = pacer->due(seq);
      if (c.duration_ms && due >= s.end_time) {
        // Due after the run's end: the run lasts its duration, and not one
        // send interval more (nor less, whatever the rate).
        Exec::pace_until(s.end_time, pacer->horizon());
        break;
      }
      Exec::pace_until(due, pacer->horizon());  // parks the fiber (or thread) until due
      const auto stamps = pacer->stamp(due, Exec::now(), s.clock);
      intended = stamps.intended;
      sent = stamps.sent;
    }
    busy_work(s.clock, work_ns);
    if constexpr (R != Recording::off) {
      // A countdown, not seq % sample_every: a division per message costs more
      // than the queue operation it measures.
      if (!open_loop && --until_sample == 0) {
        until_sample = sample_every;
        sent = intended = s.clock.now();
      }
    }
    const std::uint64_t packed = (std::uint64_t{id} << ConsumerLog::kSeqBits) | seq;
    if constexpr (Faults && requires { out.try_send(Message<PayloadBytes>{}).status; }) {
      if (c.producers.try_first) {
        // A try first; only a full queue goes on to the (timed) send below.
        auto tried = out.try_send(Message<PayloadBytes>{packed, intended, sent, prototype.payload});
        if (tried.status == QueueStatus::ok) {
          ++log.attempted;
          if (close_by_me) count_for_close(s, *to_close);
          continue;
        }
        if (tried.status == QueueStatus::closed) {
          ++log.attempted;
          log.refused_closed.push_back(seq);
          break;
        }
      }
    }
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
          if constexpr (R == Recording::streaming) {
            log.timed_out_digest.add(packed);
          } else {
            log.timed_out.push_back(seq);
          }
          continue;
        }
        if (result.status != QueueStatus::ok) {
          log.refused_closed.push_back(seq);
          break;
        }
        if (close_by_me) count_for_close(s, *to_close);
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
      if (close_by_me) count_for_close(s, *to_close);
    }
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
