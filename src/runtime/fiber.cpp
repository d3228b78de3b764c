// fiber.cpp: a fiber's control block (detail/fiber.h): its memory, its
// references, joining it, and submitting it to a runtime.
#include "tmpmc/runtime/detail/fiber.h"

#include <stdexcept>
#include <string>

#include "runtime_core.h"
#include "worker.h"

namespace tmpmc::runtime::detail {

Fiber::~Fiber() = default;

void* Fiber::operator new(std::size_t size) {
  if (!BlockCache::cacheable(size)) return ::operator new(size);
  if (Worker* worker = Worker::current()) {
    if (void* block = worker->blocks().take(size)) return block;
  }
  return ::operator new(BlockCache::rounded(size));
}

void Fiber::operator delete(void* block, std::size_t size) noexcept {
  if (!BlockCache::cacheable(size)) return ::operator delete(block, size);
  Worker* worker = Worker::current();
  if (worker != nullptr && worker->blocks().put(block, size)) return;
  ::operator delete(block, BlockCache::rounded(size));
}

void Fiber::release() noexcept {
  // A count of 1 is our own reference, and nobody can take a new one without
  // holding one (the registry lists only unfinished fibers, which the runtime
  // holds): we are the last owner, and need no read-modify-write. acquire
  // pairs with the other owners' releasing decrements, as acq_rel does below:
  // the last owner sees every write the others made before letting go.
  if (refs_.load(std::memory_order_acquire) == 1 ||
      refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    delete this;
  }
}

void Fiber::join_wait() {
  // acquire: pairs with mark_finished's exchange; the result is visible.
  if (join_state_.load(std::memory_order_acquire) == kJoinDone) return;
  // PARK until this fiber finishes: resumed only by its mark_finished() (or
  // unwound at teardown, which throws out of park_for_join).
  Worker::require_fiber("join").park_for_join(this);
}

void Fiber::mark_finished() noexcept {
  // acq_rel: releases the result to the joiner (and to finished()), and
  // acquires the joiner's saved context and park word (After::park_join).
  const std::uintptr_t joiner = join_state_.exchange(kJoinDone, std::memory_order_acq_rel);
  if (joiner == 0) return;
  // The word holds a Fiber* or a tag (kJoinDone); a pointer by design.
  Fiber* fiber = reinterpret_cast<Fiber*>(joiner);  // NOLINT(performance-no-int-to-ptr)
  // WAKE: its only waker; it is parked in the epoch its word shows (its
  // complete_switch stored kParked before publishing it in join_state_).
  unpark_exclusive(fiber->park_token());
}

std::string Fiber::display_name() const {
  return name_.empty() ? "fiber-" + std::to_string(id_) : name_;
}

void submit(RuntimeCore* core, Fiber* fiber, std::string* name, unsigned home) {
  Worker* worker = Worker::current();
  if (core == nullptr && worker != nullptr) core = &worker->core();
  if (core == nullptr) {
    fiber->release();  // the runtime's reference; the caller's JoinHandle drops the other
    throw std::logic_error("tmpmc: spawn() outside a fiber needs a Runtime (use Runtime::spawn)");
  }
  core->submit(fiber, worker, name, home);
}

}  // namespace tmpmc::runtime::detail
