// clock.h: the runtime's notion of time.
//
// Fibers read time through now(): on a real runtime it is steady_clock; on a
// deterministic runtime it is virtual time, which starts at the same instant
// on every run and jumps to the next timer when nothing can run, so a seed
// replays the same schedule whatever the host's speed.
#pragma once

#include <chrono>

namespace tmpmc::runtime {

using Clock = std::chrono::steady_clock;
using Duration = Clock::duration;
using TimePoint = Clock::time_point;

// now() returns the current runtime's time (virtual in deterministic mode),
// or steady_clock::now() when called outside a runtime.
TimePoint now() noexcept;

}  // namespace tmpmc::runtime
