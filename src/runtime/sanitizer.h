// sanitizer.h: tells ASan and TSan about our stack switches.
//
// Debian's Boost.Context is built for fcontext only, so Boost's own
// BOOST_USE_ASAN/TSAN hooks (ucontext backend) are not available: every switch
// the scheduler makes is annotated here instead, so the sanitizer builds test
// the same fcontext code that the release build runs.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define TMPMC_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#define TMPMC_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif

#include "tmpmc/runtime/detail/fiber.h"

namespace tmpmc::runtime::detail::sanitizer {

// tsan_switch_to: makes `fiber` TSan's current context. flags 0: the switch is
// a happens-before edge, as it is on one thread.
inline void tsan_switch_to([[maybe_unused]] void* fiber) noexcept {
#if TMPMC_TSAN
  __tsan_switch_to_fiber(fiber, 0);
#endif
}

// start_switch: immediately before jumping from `from` to a stack [to_base,
// to_base + to_size). `from_fake_stack` is null when `from` will never run again.
inline void start_switch([[maybe_unused]] void** from_fake_stack,
                         [[maybe_unused]] const void* to_base, [[maybe_unused]] std::size_t to_size,
                         [[maybe_unused]] void* to_tsan_fiber) noexcept {
#if TMPMC_ASAN
  __sanitizer_start_switch_fiber(from_fake_stack, to_base, to_size);
#endif
  if (from_fake_stack != nullptr) tsan_switch_to(to_tsan_fiber);
  // else: a fiber's last switch. It still returns through instrumented frames
  // (Boost.Context's entry) after this point, and TSan pops its shadow call
  // stack on each return: so the fiber switched to adopts TSan's context
  // itself, first thing after the jump (tsan_switch_to in switch_to/fiber_main).
}

// finish_switch: first thing on the stack we switched to. Reports the stack we
// came from (ASan only), which is how a worker learns its own thread stack's bounds.
inline void finish_switch([[maybe_unused]] void* fake_stack,
                          [[maybe_unused]] const void** from_base,
                          [[maybe_unused]] std::size_t* from_size) noexcept {
#if TMPMC_ASAN
  __sanitizer_finish_switch_fiber(fake_stack, from_base, from_size);
#endif
}

inline void* create_fiber() noexcept {
#if TMPMC_TSAN
  return __tsan_create_fiber(0);
#else
  return nullptr;
#endif
}
inline void destroy_fiber([[maybe_unused]] void* tsan_fiber) noexcept {
#if TMPMC_TSAN
  if (tsan_fiber != nullptr) __tsan_destroy_fiber(tsan_fiber);
#endif
}
inline void* current_thread_fiber() noexcept {
#if TMPMC_TSAN
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}
// poison_memory / unpoison_memory: memory we keep for reuse is off limits to
// everyone else meanwhile (ASan only).
inline void poison_memory([[maybe_unused]] void* base, [[maybe_unused]] std::size_t size) noexcept {
#if TMPMC_ASAN
  ASAN_POISON_MEMORY_REGION(base, size);
#endif
}
inline void unpoison_memory([[maybe_unused]] void* base,
                            [[maybe_unused]] std::size_t size) noexcept {
#if TMPMC_ASAN
  ASAN_UNPOISON_MEMORY_REGION(base, size);
#endif
}

inline void unpoison_stack([[maybe_unused]] void* base,
                           [[maybe_unused]] std::size_t size) noexcept {
#if TMPMC_ASAN
  ASAN_UNPOISON_MEMORY_REGION(base, size);
#endif
}

}  // namespace tmpmc::runtime::detail::sanitizer
