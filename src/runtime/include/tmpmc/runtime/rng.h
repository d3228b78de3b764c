// rng.h: named, portable random generators.
//
// Everything seeded in tmpmc-bench (schedule policies, stress timing) draws
// from these, never from <random> distributions, whose output differs
// between standard libraries: a seed must replay the same run on any machine.
#pragma once

#include <cstdint>

namespace tmpmc::runtime {

// SplitMix64 (Steele, Lea, Flood 2014): used to expand one 64-bit seed into
// the state of a larger generator, and as a 64-bit mixing function.
class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}
  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

// mix64(a, b): a well-distributed 64-bit hash step, for trace hashes.
constexpr std::uint64_t mix64(std::uint64_t hash, std::uint64_t value) noexcept {
  return SplitMix64(hash ^ (value * 0x9e3779b97f4a7c15ULL)).next();
}

// Xoshiro256** (Blackman, Vigna 2018): the generator behind every seeded choice.
class Xoshiro256 {
 public:
  explicit constexpr Xoshiro256(std::uint64_t seed) noexcept {
    SplitMix64 expand(seed);
    for (auto& word : s_) word = expand.next();
  }
  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // below(n) returns a value in [0, n) (Lemire's multiply-shift; n >= 1).
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ using Wide = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<Wide>(next()) * n) >> 64);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4]{};
};

}  // namespace tmpmc::runtime
