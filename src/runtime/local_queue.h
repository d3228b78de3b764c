// local_queue.h: a worker's local run queue.
//
// A fixed ring that only its owner pushes to and that any worker may steal
// half of (the design of Go's runq). The owner pushes with a release store of
// `tail_` (no read-modify-write); the owner's pop and a thief's grab both CAS
// `head_`, which is how they agree on who took a fiber.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace tmpmc::runtime::detail {

class Fiber;

class LocalQueue {
 public:
  static constexpr std::uint32_t kCapacity = 256;

  // push() is owner-only; false when full (the caller moves work elsewhere).
  // push and pop_unshared are forced inline: they sit on every yield's switch.
  [[gnu::always_inline]] bool push(Fiber* fiber) noexcept {
    const std::uint32_t head = head_.load(std::memory_order_acquire);  // sync with thieves' CAS
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);  // only we write it
    if (tail - head >= kCapacity) return false;
    slots_[tail % kCapacity].store(fiber, std::memory_order_relaxed);
    tail_.store(tail + 1, std::memory_order_release);  // publishes the slot to pop/steal
    return true;
  }

  // pop() is owner-only: the oldest fiber, or nullptr.
  Fiber* pop() noexcept {
    std::uint32_t head = head_.load(std::memory_order_acquire);
    for (;;) {
      const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
      if (head == tail) return nullptr;
      Fiber* fiber = slots_[head % kCapacity].load(std::memory_order_relaxed);
      // release: a thief reading head_ afterwards must not see the slot reused early.
      if (head_.compare_exchange_weak(head, head + 1, std::memory_order_release,
                                      std::memory_order_acquire)) {
        return fiber;
      }
    }
  }

  // pop_unshared() is pop() for a queue nobody steals from (a one-worker runtime).
  [[gnu::always_inline]] Fiber* pop_unshared() noexcept {
    const std::uint32_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_.load(std::memory_order_relaxed)) return nullptr;
    Fiber* fiber = slots_[head % kCapacity].load(std::memory_order_relaxed);
    head_.store(head + 1, std::memory_order_relaxed);
    return fiber;
  }

  // steal_half_into(thief) moves about half of this queue into `thief` (which
  // must be empty and owned by the caller) and returns one of them, or nullptr.
  Fiber* steal_half_into(LocalQueue& thief) noexcept {
    for (;;) {
      std::uint32_t head = head_.load(std::memory_order_acquire);
      const std::uint32_t tail = tail_.load(std::memory_order_acquire);  // sync with owner's push
      std::uint32_t n = tail - head;
      n -= n / 2;
      if (n == 0) return nullptr;
      if (n > kCapacity / 2) continue;  // read a torn head/tail pair; retry
      const std::uint32_t thief_tail = thief.tail_.load(std::memory_order_relaxed);
      Fiber* first = slots_[head % kCapacity].load(std::memory_order_relaxed);
      // The rest go into the thief's ring beyond its tail, unpublished until the CAS wins.
      for (std::uint32_t i = 1; i < n; ++i) {
        Fiber* fiber = slots_[(head + i) % kCapacity].load(std::memory_order_relaxed);
        thief.slots_[(thief_tail + i - 1) % kCapacity].store(fiber, std::memory_order_relaxed);
      }
      // acq_rel: acquire the owner's slot writes, release our claim to other thieves.
      if (head_.compare_exchange_strong(head, head + n, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
        thief.tail_.store(thief_tail + n - 1, std::memory_order_release);
        return first;
      }
    }
  }

  // head_position(): advances each time a fiber leaves the queue; a thief
  // compares two readings to see whether the owner is getting through its backlog.
  std::uint32_t head_position() const noexcept { return head_.load(std::memory_order_relaxed); }

  std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_relaxed);
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  alignas(64) std::array<std::atomic<Fiber*>, kCapacity> slots_{};
};

}  // namespace tmpmc::runtime::detail
