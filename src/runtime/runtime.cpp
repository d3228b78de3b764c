// runtime.cpp: the public face of the runtime (runtime.h).
#include "tmpmc/runtime/runtime.h"

#include <thread>

#include "runtime_core.h"
#include "timers.h"
#include "worker.h"

namespace tmpmc::runtime {

using detail::Fiber;
using detail::RuntimeCore;
using detail::Worker;

// ---------------------------------------------------------------- Fiber

namespace detail {

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
  Worker* worker = Worker::current();
  if (worker == nullptr || worker->current_fiber()->is_idle_context_) {
    throw std::logic_error("tmpmc: 'join' must suspend, but was called outside a fiber");
  }
  // PARK until this fiber finishes: resumed only by its mark_finished() (or
  // unwound at teardown, which throws out of park_for_join).
  worker->park_for_join(this);
}

void Fiber::mark_finished() noexcept {
  // acq_rel: releases the result to the joiner (and to finished()), and
  // acquires the joiner's saved context and park word (After::park_join).
  const std::uintptr_t joiner = join_state_.exchange(kJoinDone, std::memory_order_acq_rel);
  if (joiner == 0) return;
  Fiber* fiber = reinterpret_cast<Fiber*>(joiner);
  // WAKE: its only waker; it is parked in the epoch its word shows.
  unpark_exclusive(ParkToken{fiber, fiber->park_word_.load(std::memory_order_relaxed) >> 2});
}

std::string Fiber::display_name() const {
  return name_.empty() ? "fiber-" + std::to_string(id_) : name_;
}

void submit(RuntimeCore* core, Fiber* fiber, std::string* name) {
  Worker* worker = Worker::current();
  if (core == nullptr && worker != nullptr) core = &worker->core();
  if (core == nullptr) {
    fiber->release();  // the runtime's reference; the caller's JoinHandle drops the other
    throw std::logic_error("tmpmc: spawn() outside a fiber needs a Runtime (use Runtime::spawn)");
  }
  if (name != nullptr) fiber->name_ = std::move(*name);
  core->submit(fiber, worker);
}

}  // namespace detail

// ---------------------------------------------------------------- Runtime

Runtime::Runtime(Options options) : core_(std::make_unique<RuntimeCore>(std::move(options))) {}
Runtime::~Runtime() = default;

void Runtime::run_root(Fiber* root) {
  root->retain();  // run_root's own reference while it runs
  struct Release {
    Fiber* f;
    ~Release() { f->release(); }
  } release{root};
  core_->run_root(root);
}

RuntimeStats Runtime::stats() const { return core_->stats(); }
std::size_t Runtime::live_fibers() const { return core_->live_fibers(); }
unsigned Runtime::workers() const noexcept { return core_->options.workers; }
bool Runtime::deterministic() const noexcept { return core_->deterministic; }
std::uint64_t Runtime::trace_hash() const noexcept { return core_->trace_hash; }
std::vector<TraceEvent> Runtime::trace() const { return core_->trace; }
std::vector<std::uint32_t> Runtime::choices() const { return core_->choices; }

std::string StuckError::report() const {
  std::string text = what();
  for (const auto& line : parked_) text += "\n  " + line;
  return text;
}

// ---------------------------------------------------------------- time

TimePoint now() noexcept {
  Worker* worker = Worker::current();
  if (worker != nullptr && worker->deterministic()) return worker->core().virtual_now();
  return Clock::now();
}

// ---------------------------------------------------------------- this_fiber

namespace this_fiber {

bool on_fiber() noexcept {
  Worker* worker = Worker::current();
  return worker != nullptr && !worker->current_fiber()->is_idle_context();
}

void yield() {
  Worker* worker = Worker::current();
  if (worker == nullptr || worker->current_fiber()->is_idle_context()) {
    std::this_thread::yield();
    return;
  }
  worker->yield_current("yield");
}

void sleep_until(TimePoint deadline) {
  Worker* worker = Worker::current();
  if (worker == nullptr || worker->current_fiber()->is_idle_context()) {
    std::this_thread::sleep_until(deadline);
    return;
  }
  if (deadline <= now()) {
    worker->yield_current("sleep");
    return;
  }
  detail::Timer timer;
  timer.deadline = deadline;
  timer.token = prepare_park();
  worker->timers().add(timer);
  // PARK: woken only by this timer (the token's epoch makes any other wake stale).
  try {
    worker->park_current(timer.token.epoch, nullptr, "sleep", /*racing_wakers=*/true);
  } catch (...) {
    timer.heap->cancel(timer);
    throw;
  }
  timer.heap->cancel(timer);
}

void sleep_for(Duration d) { sleep_until(now() + d); }

std::string name() {
  Worker* worker = Worker::current();
  if (worker == nullptr || worker->current_fiber()->is_idle_context()) return {};
  return worker->current_fiber()->display_name();
}

}  // namespace this_fiber

void yield_point(const char* where) {
  Worker* worker = Worker::current();
  if (worker != nullptr && worker->deterministic()) [[unlikely]]
    worker->yield_point(where);
}

bool exploring() noexcept {
  Worker* worker = Worker::current();
  return worker != nullptr && worker->deterministic();
}

}  // namespace tmpmc::runtime
