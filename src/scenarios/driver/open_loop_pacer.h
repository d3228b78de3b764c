// open_loop_pacer.h: when an open-loop producer (producers.rate_per_sec > 0)
// sends each message, and what it records of how late it was. Every backend's
// producer loop uses it, each with its own wait (an executor's pace_until(),
// an Asio timer): the schedule, the stamps and the lateness are the same.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "tmpmc/runtime/clock.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/histogram.h"
#include "tmpmc/scenarios/timestamp.h"

namespace tmpmc::scenarios::loops {

// Stamps: a message's intended and sent times (TimestampClock ticks); zero
// for an unstamped message.
struct Stamps {
  std::uint64_t intended = 0, sent = 0;
};

class OpenLoopPacer {
 public:
  // c.producers.rate_per_sec > 0. `lateness` is the producer's own histogram.
  OpenLoopPacer(const ScenarioConfig& c, runtime::TimePoint start, Histogram& lateness)
      : start_(start),
        period_ns_(1e9 / c.producers.rate_per_sec),
        horizon_(std::chrono::microseconds(c.runtime.timer_spin_us)),
        lateness_(lateness) {}

  // due(seq): message seq's intended send time, on a fixed schedule from the
  // start: a stalled queue delays the sends behind it, and their latency
  // counts from the intended time (no coordinated omission).
  runtime::TimePoint due(std::uint64_t seq) const noexcept {
    return start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns_ * seq));
  }
  // horizon(): how long before due() the wait should spin (runtime.timer_spin_us).
  std::chrono::nanoseconds horizon() const noexcept { return horizon_; }

  // stamp(due, now, clock): the wait for `due` ended at `now`, and the send
  // starts. Its lateness (now - due: the tool's pacing error, not the
  // queue's) goes into the producer's histogram; the message is stamped as
  // sent now and intended that much earlier.
  Stamps stamp(runtime::TimePoint due, runtime::TimePoint now, const TimestampClock& clock) {
    const auto late = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, std::chrono::nanoseconds(now - due).count()));
    lateness_.record(late);
    const std::uint64_t sent = clock.now();
    return {sent - clock.from_ns(late), sent};
  }

 private:
  runtime::TimePoint start_;
  double period_ns_;
  std::chrono::nanoseconds horizon_;
  Histogram& lateness_;
};

}  // namespace tmpmc::scenarios::loops
