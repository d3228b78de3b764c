// actor.h: who is calling, for a structure that is confined to its first
// caller until another one touches it (the queue's ring: confinement.h). An
// actor is a thread; on a deterministic runtime, where every fiber runs on
// one thread, it is the fiber, so that exploring the fibers' interleavings
// explores the threads' races too.
#pragma once

#include <cstdint>

namespace tmpmc::runtime {

// thread_token_slow(): thread_token() through an out-of-line call (for
// architectures without the inline read below).
std::uintptr_t thread_token_slow() noexcept;

// thread_token(): the calling thread's identity, never 0-3 (the thread
// pointer, aligned). Read fresh on every call: a fiber may resume on another
// thread, and a plain thread_local's address is one the compiler may compute
// once per function, before the switch (see Worker::current).
[[gnu::always_inline]] inline std::uintptr_t thread_token() noexcept {
  std::uintptr_t token;
#if defined(__x86_64__)
  asm volatile("mov %%fs:0, %0" : "=r"(token));
#elif defined(__aarch64__)
  asm volatile("mrs %0, tpidr_el0" : "=r"(token));
#else
  token = thread_token_slow();
#endif
  return token;
}

// explored_actor_token(): on a deterministic runtime's fiber, that fiber's
// identity (odd, so never a thread's); anywhere else thread_token().
std::uintptr_t explored_actor_token() noexcept;

}  // namespace tmpmc::runtime
