// producer_steps.h: the steps of one producer's loop that do not depend on
// how it waits or sends: when it stops, when its next send is due, the
// message's stamps and bytes, and its log. produce() and produce_batches()
// (fibers, threads) and the Asio backend's coroutine each keep only their
// waits and their sends around them.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "driver/driver_run_state.h"
#include "driver/open_loop_pacer.h"

namespace tmpmc::scenarios::loops {

// Due: an open-loop send's schedule. The producer waits until `until` (the
// run's end when `past_end`, and then makes no more sends).
struct Due {
  runtime::TimePoint at, until;
  bool past_end;
};

// count_for_close(): close.when by_producer: a send went in, and the producer
// whose send is number close.messages closes the queue (and goes on sending
// into the closed queue).
template <class Q>
[[gnu::always_inline]] inline void count_for_close(RunState& s, Q& to_close) {
  if (s.sent_total.fetch_add(1, std::memory_order_relaxed) + 1 == s.config.close.messages) {
    s.close(to_close);
  }
}

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

// ProducerSteps: one producer's state. The config's values it needs are
// copied in once: a store into the producer's log could alias a config
// field, which would force reloads in the loop.
template <unsigned PayloadBytes, Recording R>
class ProducerSteps {
 public:
  using M = Message<PayloadBytes>;

  // `can_close`: the producer holds the queue itself, so a by_producer close
  // is its to make (a channel's Sender cannot close).
  ProducerSteps(RunState& s, std::uint32_t id, bool can_close, runtime::TimePoint start)
      : s_(s),
        log_(s.producer_logs[id]),
        id_(id),
        quota_(producer_quota(s.config, id)),
        work_ns_(s.config.producers.work_ns),
        sample_every_(s.config.latency_sample_every),
        duration_(s.config.duration_ms.has_value()),
        close_by_me_(can_close && s.config.close.when == CloseWhen::by_producer) {
    if (s.config.producers.rate_per_sec > 0) pacer_.emplace(s.config, start, s.lateness[id]);
  }

  const ScenarioConfig& config() const noexcept { return s_.config; }
  std::uint64_t quota() const noexcept { return quota_; }
  bool open_loop() const noexcept { return pacer_.has_value(); }

  // stop_before(seq, now): the run was interrupted or its duration is over.
  // A closed-loop producer reads the clock (now()) once per 64 sends, since a
  // read costs as much as a send; an open-loop one before each, since at a
  // slow rate 64 sends are seconds. A closed-loop producer's first send is
  // stopped only by an interruption, never by the clock: a producer that
  // starts after a short timed run's end (a thread scheduled late on a loaded
  // machine) still moves one message, so a run that attempted no send at all
  // is a defect of the driver or the queue (no_progress.h), never the load.
  template <class Now>
  [[gnu::always_inline]] bool stop_before(std::uint64_t seq, Now now) const {
    if (open_loop()) return stopped(now);
    return (seq & 63) == 0 && stopped_at(seq, now);
  }
  // stopped_at(seq, now): a closed-loop producer about to send message `seq`
  // stops: for its first, only if interrupted; after it, stopped(now) too.
  template <class Now>
  bool stopped_at(std::uint64_t seq, Now now) const {
    return seq == 0 ? s_.interrupted() : stopped(now);
  }
  // stopped(now): the same, reading the clock now.
  template <class Now>
  bool stopped(Now now) const {
    return s_.interrupted() || (duration_ && now() >= s_.end_time);
  }

  // due(seq): open loop only. A send due after the run's end is not made:
  // the run lasts its duration, and not one send interval more (nor less).
  Due due(std::uint64_t seq) const {
    const runtime::TimePoint at = pacer_->due(seq);
    const bool past_end = duration_ && at >= s_.end_time;
    return {at, past_end ? s_.end_time : at, past_end};
  }
  // horizon(): how long before a due time the wait should spin.
  std::chrono::nanoseconds horizon() const noexcept { return pacer_->horizon(); }
  // paced(due, now): the wait for `due` ended at `now`: its lateness is
  // recorded and the message stamped.
  Stamps paced(const Due& due, runtime::TimePoint now) {
    return pacer_->stamp(due.at, now, s_.clock);
  }

  // prepare(paced): the producer's work before a send; a closed-loop producer
  // stamps every latency_sample_every-th message (a countdown: a division per
  // message costs more than the queue operation it measures).
  [[gnu::always_inline]] Stamps prepare(Stamps paced) {
    busy_work(s_.clock, work_ns_);
    if constexpr (R != Recording::off) {
      if (!open_loop() && --until_sample_ == 0) {
        until_sample_ = sample_every_;
        paced.sent = paced.intended = s_.clock.now();
      }
    }
    return paced;
  }

  // packed(seq): message seq's id, the producer's in its top bits.
  std::uint64_t packed(std::uint64_t seq) const noexcept {
    return (std::uint64_t{id_} << ConsumerLog::kSeqBits) | seq;
  }
  // message(packed, stamps): built in place at the send. Unstamped messages
  // are built from constants: one written field by field and then copied
  // into the ring with wider loads stalls on store forwarding.
  [[gnu::always_inline]] M message(std::uint64_t packed, Stamps stamps) const {
    return stamps.sent == 0 ? M{packed, 0, 0, prototype_.payload}
                            : M{packed, stamps.intended, stamps.sent, prototype_.payload};
  }

  // The log counts a send once it returned: a producer left parked inside a
  // send (a hang) has not sent that message.
  // sent(to_close): one went in; a by_producer close may be this producer's
  // (never with MayClose false: the plain loop does not look).
  template <bool MayClose = true, class Q>
  [[gnu::always_inline]] void sent(Q* to_close) {
    ++log_.attempted;
    if constexpr (MayClose) {
      if (close_by_me_) count_for_close(s_, *to_close);
    }
  }
  // sent_many(n, to_close): a batch's first n went in.
  template <class Q>
  void sent_many(std::uint64_t n, Q* to_close) {
    log_.attempted += n;
    if (close_by_me_) count_many_for_close(s_, *to_close, n);
  }
  // refused(seq): message seq found the queue closed; this producer is done.
  void refused(std::uint64_t seq) {
    ++log_.attempted;
    log_.refused_closed.push_back(seq);
  }
  // timed_out(seq): message seq's timed send gave up and came back.
  void timed_out(std::uint64_t seq) {
    ++log_.attempted;
    if constexpr (R == Recording::streaming) {
      log_.timed_out_digest.add(packed(seq));
    } else {
      log_.timed_out.push_back(seq);
    }
  }

 private:
  RunState& s_;
  ProducerLog& log_;
  std::uint32_t id_;
  std::uint64_t quota_;
  std::uint64_t work_ns_;
  std::uint64_t sample_every_;
  bool duration_;
  bool close_by_me_;
  std::optional<OpenLoopPacer> pacer_;
  const M prototype_{};             // the payload's bytes, copied into every message
  std::uint64_t until_sample_ = 1;  // the first message is stamped
};

}  // namespace tmpmc::scenarios::loops
