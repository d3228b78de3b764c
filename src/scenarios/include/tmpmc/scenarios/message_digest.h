// message_digest.h: an order-independent digest of a multiset of messages,
// for the streaming check (streaming_checker.h): equal multisets give equal
// digests, whatever the order in which their messages were added.
//
// A message is its packed id (producer << kSeqBits | seq). Each one is mixed
// by a bijective 64-bit mix, and the digest keeps the count and two wrapping
// sums: of the mix, and of a second bijective mix of it. Because the first mix
// is a bijection, one message lost and another one received twice (the counts
// stay equal) always change the first sum; for larger differences to cancel,
// both sums would have to collide at once.
#pragma once

#include <cstdint>

namespace tmpmc::scenarios {

struct MessageDigest {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;        // wrapping sum of mix(id)
  std::uint64_t mixed_sum = 0;  // wrapping sum of remix(mix(id))

  // add() is on every consumer's hot path in streaming mode: three
  // multiplications, no memory but the digest itself.
  void add(std::uint64_t id) noexcept {
    const std::uint64_t h = mix(id);
    ++count;
    sum += h;
    mixed_sum += remix(h);
  }
  MessageDigest& operator+=(const MessageDigest& other) noexcept {
    count += other.count;
    sum += other.sum;
    mixed_sum += other.mixed_sum;
    return *this;
  }
  MessageDigest& operator-=(const MessageDigest& other) noexcept {
    count -= other.count;
    sum -= other.sum;
    mixed_sum -= other.mixed_sum;
    return *this;
  }
  friend MessageDigest operator-(MessageDigest a, const MessageDigest& b) noexcept {
    return a -= b;
  }
  bool operator==(const MessageDigest&) const = default;

  // mix(): splitmix64's finalizer, after adding the golden ratio (so that
  // id 0 does not map to 0). Each step (add, xor-shift, odd multiply) is a
  // bijection on 64 bits.
  static constexpr std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
  }
  // remix(): a second bijection with other constants, so that the two sums
  // do not cancel together.
  static constexpr std::uint64_t remix(std::uint64_t h) noexcept {
    h = (h ^ (h >> 32)) * 0xd6e8feb86659fd93;
    return h ^ (h >> 32);
  }
};

}  // namespace tmpmc::scenarios
