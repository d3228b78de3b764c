// spin.h: how tmpmc code waits for another thread that is a few instructions
// from finishing something (a lock holder, a push that claimed its slot).
#pragma once

#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tmpmc::runtime {

// cpu_pause(): one spin-wait hint to the CPU.
inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// spin_pause(spins): pause, and after 64 rounds give the CPU away: the thread
// we wait for may have been preempted on an oversubscribed host.
inline void spin_pause(unsigned& spins) noexcept {
  if (++spins < 64) {
    cpu_pause();
  } else {
    std::this_thread::yield();
  }
}

}  // namespace tmpmc::runtime
