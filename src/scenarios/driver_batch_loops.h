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

#include "driver_run_state.h"
#include "tmpmc/queue/status.h"

namespace tmpmc::scenarios::loops {

// count_many_for_close(): close.when by_producer, for `n` sends at once: the
// producer whose batch holds send number close.messages closes the queue.
template <class Q>
void count_many_for_close(RunState& s, Q& to_close, std::uint64_t n) {
  if (n == 0) return;
  const std::uint64_t before = s.sent_total.fetch_add(n, std::memory_order_relaxed);
  if (before < s.config.close.messages && s.config.close.messages <= before + n) {
    s.close(to_close);
  }
}

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
void produce_batches(RunState& s, Out& out, std::uint32_t id, Q* to_close, std::uint64_t quota) {
  using M = Message<PayloadBytes>;
  const ScenarioConfig& c = s.config;
  ProducerLog& log = s.producer_logs[id];
  const bool close_by_me = c.close.when == CloseWhen::by_producer && to_close != nullptr;
  const std::uint64_t work_ns = c.producers.work_ns;
  const std::uint64_t sample_every = c.latency_sample_every;
  std::vector<M> buffer(c.producers.batch);  // on the heap: a batch of payloads may be MiBs
  const M prototype{};
  std::uint64_t until_sample = 1;  // the first message is stamped
  std::uint64_t next_clock_check = 0;
  for (std::uint64_t seq = 0; seq < quota;) {
    // The clock once per 64 messages, as produce() does.
    if (seq >= next_clock_check) {
      next_clock_check = seq + 64;
      if (s.interrupted()) break;
      if (c.duration_ms && Exec::now() >= s.end_time) break;
    }
    const std::uint64_t n = std::min<std::uint64_t>(buffer.size(), quota - seq);
    for (std::uint64_t k = 0; k < n; ++k) {
      busy_work(s.clock, work_ns);
      std::uint64_t stamp = 0;
      if constexpr (R != Recording::off) {
        if (--until_sample == 0) {
          until_sample = sample_every;
          stamp = s.clock.now();
        }
      }
      const std::uint64_t packed = (std::uint64_t{id} << ConsumerLog::kSeqBits) | (seq + k);
      buffer[k] = M{packed, stamp, stamp, prototype.payload};
    }
    const SendManyResult r = send_batch<Faults>(c, out, std::span<M>(buffer.data(), n));
    if (close_by_me) count_many_for_close(s, *to_close, r.sent);
    if (r.status == QueueStatus::closed) {
      log.attempted += r.sent + 1;
      log.refused_closed.push_back(seq + r.sent);
      break;  // closed stays closed: this producer is done
    }
    log.attempted += n;
    if (r.status == QueueStatus::timeout) {
      for (std::uint64_t k = r.sent; k < n; ++k) {
        if constexpr (R == Recording::streaming) {
          log.timed_out_digest.add((std::uint64_t{id} << ConsumerLog::kSeqBits) | (seq + k));
        } else {
          log.timed_out.push_back(seq + k);
        }
      }
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
