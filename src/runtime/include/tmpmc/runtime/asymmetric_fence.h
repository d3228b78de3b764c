// asymmetric_fence.h: the two halves of a Dekker pair whose one side runs on
// every operation and the other almost never (folly's asymmetricLightBarrier
// and asymmetricHeavyBarrier). The hot side pays a compiler fence; the rare
// side makes every running thread of the process execute a full fence
// (Linux membarrier(2), MEMBARRIER_CMD_PRIVATE_EXPEDITED) before it goes on.
//
// The pair: thread A stores x, light_fence(), loads y; thread B stores y,
// heavy_fence(), loads x. Either A's load sees B's store or B's load sees
// A's store: the heavy fence runs a full fence on A's CPU at some instant
// between B's store and B's load, and A's store and load, kept in program
// order by the compiler fence, both fall before that instant (B then sees x)
// or the load falls after it (A then sees y).
#pragma once

#include <atomic>

namespace tmpmc::runtime {

// light_fence(): the hot side. Only valid paired with heavy_fence().
[[gnu::always_inline]] inline void light_fence() noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

// heavy_fence_available(): heavy_fence() works on this host (the kernel has
// membarrier's private expedited command and let this process register for
// it; the first call registers). Without it, there is no cheap hot side:
// callers keep their read-modify-writes.
bool heavy_fence_available() noexcept;

// heavy_fence(): the rare side; a few microseconds (a system call and an
// interrupt to every CPU running this process). Precondition:
// heavy_fence_available().
void heavy_fence() noexcept;

}  // namespace tmpmc::runtime
