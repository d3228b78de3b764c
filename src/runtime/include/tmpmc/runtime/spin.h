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

// claim_backoff(backoffs): after a lost compare-and-swap on a contended
// word (a ring's head or tail), wait 2, 4, ... up to 64 pauses, doubling
// with each loss in a row. Retrying at once makes two cores trade the
// word's cache line on every operation; waiting lets the winner run on with
// the line in its cache (the classic exponential backoff). Never yields:
// the winner is running, not preempted. Out of line and cold: inlined, its
// loop grew the ring's push and pop, whose confined fast path then ran
// measurably slower on one core.
[[gnu::noinline, gnu::cold]] inline void claim_backoff(unsigned& backoffs) noexcept {
  const unsigned pauses = 2u << (backoffs < 5 ? backoffs : 5);
  if (backoffs < 5) ++backoffs;
  for (unsigned i = 0; i < pauses; ++i) cpu_pause();
}

}  // namespace tmpmc::runtime
