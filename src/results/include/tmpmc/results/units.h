// units.h: rates and durations as people read them (the tables, the live progress line).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace tmpmc::results::detail {

// humane_rate(2.5e6): "2.50M".
inline std::string humane_rate(double per_sec) {
  char text[32];
  if (per_sec >= 1e9) {
    std::snprintf(text, sizeof text, "%.2fG", per_sec / 1e9);
  } else if (per_sec >= 1e6) {
    std::snprintf(text, sizeof text, "%.2fM", per_sec / 1e6);
  } else if (per_sec >= 1e3) {
    std::snprintf(text, sizeof text, "%.1fk", per_sec / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.0f", per_sec);
  }
  return text;
}

// humane_ns(1500): "1.5us".
inline std::string humane_ns(std::uint64_t ns) {
  char text[32];
  if (ns >= 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.2fs", ns / 1e9);
  } else if (ns >= 1'000'000) {
    std::snprintf(text, sizeof text, "%.2fms", ns / 1e6);
  } else if (ns >= 1'000) {
    std::snprintf(text, sizeof text, "%.1fus", ns / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%lluns", static_cast<unsigned long long>(ns));
  }
  return text;
}

// hex16(trace_hash): 16 hex digits, as trace hashes are printed and written.
inline std::string hex16(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace tmpmc::results::detail
