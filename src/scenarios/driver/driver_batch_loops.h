// driver_batch_loops.h: the producer and consumer loops of a run whose
// producers.batch or consumers.batch is above 1 (driver_fiber_loops.h calls
// them): messages go in with send_many and come out with receive_many, up to
// `batch` at a time, on a queue (or channel end) that has them.
//
// The logs say what the single loops' logs say, message by message: a
// producer's `attempted` counts the messages of each batch that returned,
// and on close the first message that did not go in is the refused one (the
// rest of that batch were never offered); on a timeout, each message of the
// batch that did not go in is a timed-out send.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "driver/driver_run_state.h"
#include "driver/producer_steps.h"
#include "tmpmc/queue/status.h"

namespace tmpmc::scenarios::loops {

// SendManyResult: what the sends of one batch did.
struct SendManyResult {
  std::uint64_t sent = 0;
  QueueStatus status = QueueStatus::ok;  // ok, closed or timeout
};

// send_batch(): the batch's sends, as configured (a try first; timed).
template <bool Faults, class Out, class M>
[[gnu::always_inline]] inline SendManyResult send_batch(const ScenarioConfig& c, Out& out,
                                                        std::span<M> batch) {
  SendManyResult r;
  if constexpr (Faults) {
    if (c.producers.try_first) {
      // A try first; only the part that did not fit goes on to the (timed) send.
      const BatchOutcome tried = out.try_send_many(batch);
      r.sent = tried.count;
      if (tried.status != QueueStatus::full) {
        r.status = tried.status;
        return r;
      }
    }
    if (c.producers.send_timeout_us != 0) {
      const BatchOutcome timed = out.send_many_for(
          batch.subspan(r.sent), std::chrono::microseconds(c.producers.send_timeout_us));
      r.sent += timed.count;
      r.status = timed.status;
      return r;
    }
  }
  r.sent += out.send_many(batch.subspan(r.sent));
  r.status = r.sent == batch.size() ? QueueStatus::ok : QueueStatus::closed;
  return r;
}

// produce_batches(): produce() with producers.batch > 1 (closed loop only:
// the config refuses batches with rate_per_sec).
template <class Exec, unsigned PayloadBytes, Recording R, bool Faults, class Out, class Q>
void produce_batches(ProducerSteps<PayloadBytes, R>& p, Out& out, Q* to_close) {
  using M = Message<PayloadBytes>;
  const ScenarioConfig& c = p.config();
  std::vector<M> buffer(c.producers.batch);  // on the heap: a batch of payloads may be MiBs
  std::uint64_t next_clock_check = 0;
  for (std::uint64_t seq = 0; seq < p.quota();) {
    // The clock once per 64 messages, as produce() does; the first batch
    // goes whatever the clock says (stop_before() says why).
    if (seq >= next_clock_check) {
      next_clock_check = seq + 64;
      if (p.stopped_at(seq, Exec::now)) break;
    }
    const std::uint64_t n = std::min<std::uint64_t>(buffer.size(), p.quota() - seq);
    for (std::uint64_t k = 0; k < n; ++k) buffer[k] = p.message(p.packed(seq + k), p.prepare({}));
    const SendManyResult r = send_batch<Faults>(c, out, std::span<M>(buffer.data(), n));
    p.sent_many(r.sent, to_close);
    if (r.status == QueueStatus::closed) {
      p.refused(seq + r.sent);  // the rest of the batch was never offered
      break;                    // closed stays closed: this producer is done
    }
    if (r.status == QueueStatus::timeout) {
      for (std::uint64_t k = r.sent; k < n; ++k) p.timed_out(seq + k);
    }
    seq += n;
  }
}

// receive_batch(): one batch receive, as configured: ok with count >= 1,
// closed (and drained) or timeout with count 0.
template <bool Faults, class In, class M>
[[gnu::always_inline]] inline BatchOutcome receive_batch(const ScenarioConfig& c, In& in,
                                                         std::span<M> buffer) {
  if constexpr (Faults) {
    if (c.consumers.try_first) {
      const BatchOutcome tried = in.try_receive_many(buffer);
      if (tried.status != QueueStatus::empty) return tried;
    }
    if (c.consumers.receive_timeout_us != 0) {
      return in.receive_many_for(buffer, std::chrono::microseconds(c.consumers.receive_timeout_us));
    }
  }
  const std::size_t got = in.receive_many(buffer);
  return {got != 0 ? QueueStatus::ok : QueueStatus::closed, got};
}

// consume_batches(): consume() with consumers.batch > 1. `consumed` is what
// the consumer does with each message (driver_fiber_loops.h's consumed()).
template <unsigned PayloadBytes, bool Faults, class In, class Consumed, class SawClosed>
void consume_batches(RunState& s, In& in, std::uint64_t quota, Consumed&& consumed,
                     SawClosed&& saw_closed) {
  using M = Message<PayloadBytes>;
  std::vector<M> buffer(s.config.consumers.batch);
  for (std::uint64_t received = 0; received < quota;) {
    const std::uint64_t room = std::min<std::uint64_t>(buffer.size(), quota - received);
    const BatchOutcome r = receive_batch<Faults>(s.config, in, std::span<M>(buffer.data(), room));
    if (r.status == QueueStatus::timeout) continue;  // nothing was consumed; wait again
    if (r.status != QueueStatus::ok) {
      saw_closed();
      return;
    }
    for (std::size_t k = 0; k < r.count; ++k) consumed(buffer[k]);
    received += r.count;
  }
}

}  // namespace tmpmc::scenarios::loops
