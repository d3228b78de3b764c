// timestamp.h: the clock that stamps messages for latency.
//
// Reading steady_clock costs ~32 ns here, rdtsc ~13 ns, a queue operation
// ~9 ns: stamping every message would measure the clock. So messages are
// sampled (latency.sample_every), and where the CPU has an invariant TSC
// (constant_tsc and nonstop_tsc) stamps are TSC ticks, converted to
// nanoseconds with a ratio calibrated against steady_clock at start-up.
#pragma once

#include <cstdint>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace tmpmc::scenarios {

class TimestampClock {
 public:
  // calibrate() picks the TSC if it is invariant, measuring its rate against
  // steady_clock for `calibration_ms`; otherwise steady_clock.
  static TimestampClock calibrate(unsigned calibration_ms = 20);
  static TimestampClock steady();

  // now(): an opaque tick count (TSC or steady_clock nanoseconds).
  std::uint64_t now() const noexcept {
#if defined(__x86_64__) || defined(__i386__)
    if (use_tsc_) return __rdtsc();
#endif
    return steady_ns();
  }
  // to_ns(ticks): a difference of two now() readings in nanoseconds.
  std::uint64_t to_ns(std::uint64_t ticks) const noexcept {
    return use_tsc_ ? static_cast<std::uint64_t>(static_cast<double>(ticks) * ns_per_tick_) : ticks;
  }
  // from_ns(ns): nanoseconds as ticks (for intended send times).
  std::uint64_t from_ns(std::uint64_t ns) const noexcept {
    return use_tsc_ ? static_cast<std::uint64_t>(static_cast<double>(ns) / ns_per_tick_) : ns;
  }
  bool uses_tsc() const noexcept { return use_tsc_; }
  double ns_per_tick() const noexcept { return ns_per_tick_; }
  std::string describe() const;

 private:
  static std::uint64_t steady_ns() noexcept;
  bool use_tsc_ = false;
  double ns_per_tick_ = 1.0;
};

// cpu_has_invariant_tsc(): constant_tsc and nonstop_tsc in /proc/cpuinfo.
bool cpu_has_invariant_tsc();

}  // namespace tmpmc::scenarios
