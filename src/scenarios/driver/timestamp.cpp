// timestamp.cpp: the message clock's calibration against steady_clock.
#include "tmpmc/scenarios/timestamp.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace tmpmc::scenarios {

std::uint64_t TimestampClock::steady_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

bool cpu_has_invariant_tsc() {
#if defined(__x86_64__) || defined(__i386__)
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    bool constant = false, nonstop = false;
    std::string word;
    while (words >> word) {
      constant |= word == "constant_tsc";
      nonstop |= word == "nonstop_tsc";
    }
    return constant && nonstop;
  }
#endif
  return false;
}

TimestampClock TimestampClock::steady() { return TimestampClock(); }

TimestampClock TimestampClock::calibrate(unsigned calibration_ms) {
  TimestampClock clock;
#if defined(__x86_64__) || defined(__i386__)
  if (!cpu_has_invariant_tsc()) return clock;
  const std::uint64_t ns0 = steady_ns();
  const std::uint64_t tsc0 = __rdtsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(calibration_ms));
  const std::uint64_t ns1 = steady_ns();
  const std::uint64_t tsc1 = __rdtsc();
  if (tsc1 <= tsc0 || ns1 <= ns0) return clock;
  clock.use_tsc_ = true;
  clock.ns_per_tick_ = static_cast<double>(ns1 - ns0) / static_cast<double>(tsc1 - tsc0);
#else
  (void)calibration_ms;
#endif
  return clock;
}

std::string TimestampClock::describe() const {
  if (!use_tsc_) return "steady_clock";
  char text[64];
  std::snprintf(text, sizeof text, "invariant TSC (%.3f GHz, calibrated)", 1.0 / ns_per_tick_);
  return text;
}

}  // namespace tmpmc::scenarios
