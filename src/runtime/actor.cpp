// actor.cpp: the out-of-line actor tokens (actor.h).
#include "tmpmc/runtime/actor.h"

#include "worker.h"

namespace tmpmc::runtime {

using detail::Worker;

namespace {
// One byte per thread: its address is the thread's token.
alignas(4) thread_local unsigned char thread_anchor = 0;
}  // namespace

std::uintptr_t thread_token_slow() noexcept {
  return reinterpret_cast<std::uintptr_t>(&thread_anchor);
}

std::uintptr_t explored_actor_token() noexcept {
  Worker* worker = Worker::on_fiber();
  if (worker == nullptr || !worker->deterministic()) return thread_token();
  // Fiber ids are unique for the runtime's life and start at 1: tokens 7, 11, 15, ...:
  // odd, never a thread's (aligned) nor a reserved 0-3.
  return (worker->current_fiber()->id() << 2) | 3;
}

}  // namespace tmpmc::runtime
