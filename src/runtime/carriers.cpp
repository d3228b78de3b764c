// carriers.cpp: the life of a fiber stack. A new fiber gets a fresh stack
// (try_start) or an idle carrier's (Worker::start, switch.h); the stack runs
// fiber_main, which runs one fiber's task after another: when a task returns
// its stack retires as an idle carrier, until the worker keeps enough of them
// or the runtime stops; then the stack's last switch frees it. At teardown
// every idle carrier is resumed once more to return (release_carriers).
#include <stdexcept>
#include <string>

#include "switch.h"

namespace tmpmc::runtime::detail {

// PooledStack: the StackAllocator Boost.Context sees. Stacks come from the
// creating worker's pool and go back to the pool of whichever worker the
// fiber finished on (same runtime, same size).
struct Worker::PooledStack {
  StackPool* pool;
  Fiber* fiber;

  boost::context::stack_context allocate() {
    void* base = pool->allocate();
    fiber->stack_base_ = base;
    fiber->stack_size_ = pool->usable_size();
    boost::context::stack_context context;
    context.size = pool->usable_size();
    context.sp = static_cast<char*>(base) + context.size;
    return context;
  }
  void deallocate(boost::context::stack_context& context) noexcept {
    void* base = static_cast<char*>(context.sp) - context.size;
    Worker* worker = Worker::current();
    if (worker != nullptr && worker->stacks_.usable_size() == context.size) {
      worker->stacks_.deallocate(base);
    } else {
      StackPool::unmap(base, context.size);
    }
  }
};

bool Worker::try_start(Fiber* fiber) noexcept {
  // Boost.Context's constructor jumps onto the new stack and back once (its
  // entry frame settles there). Under TSan that frame belongs to the new fiber,
  // so the new fiber is TSan's current context for the duration.
  void* tsan_fiber = sanitizer::create_fiber();
  sanitizer::tsan_switch_to(tsan_fiber);
  try {
    fiber->context_ = boost::context::fiber(
        std::allocator_arg, PooledStack{&stacks_, fiber},
        [fiber](boost::context::fiber&& from) { return fiber_main(fiber, std::move(from)); });
  } catch (...) {
    sanitizer::tsan_switch_to(current_->tsan_fiber_);
    sanitizer::destroy_fiber(tsan_fiber);
    // No stack for it: it finishes at once with the error, which join() rethrows.
    fiber->error_ = std::current_exception();
    fiber->mark_finished();
    core_.fiber_finished(fiber);
    return false;
  }
  sanitizer::tsan_switch_to(current_->tsan_fiber_);
  fiber->started_ = true;
  fiber->tsan_fiber_ = tsan_fiber;
  return true;
}

// fiber_main() is a stack's whole life: it runs its first fiber's task, then,
// as a carrier, the task of each new fiber it is given, until it may not retire.
boost::context::fiber Worker::fiber_main(Fiber* self, boost::context::fiber&& from) {
  if (!from) sanitizer::tsan_switch_to(self->tsan_fiber_);  // started by a finishing fiber
  resumed(self->asan_fake_stack_, std::move(from), Worker::current());
  Carrier carrier;
  for (;;) {
    run_task(self);
    Worker* worker = Worker::current();
    if (!worker->may_retire(self)) return worker->exit_current(self);
    self = worker->retire(self, carrier);
    if (self == nullptr) return Worker::current()->exit_carrier(carrier);
  }
}

void Worker::run_task(Fiber* self) noexcept {
  try {
    if (self->cancelled_) throw FiberCancelledTag{};
    self->run();  // stores the result or the user's exception
  } catch (const FiberCancelledTag&) {
    try {
      self->error_ = std::make_exception_ptr(
          std::runtime_error("fiber '" + self->name_ + "' cancelled: its runtime was destroyed"));
    } catch (...) {
      self->error_ = std::current_exception();  // out of memory for the message
    }
  }
  self->mark_finished();
}

bool Worker::may_retire(const Fiber* self) const noexcept {
  // At teardown (stopping, or a cancelled fiber) stacks are freed, not kept.
  return idle_carrier_count_ < kMaxIdleCarriers && !self->cancelled_ &&
         !core_.stopping(std::memory_order_relaxed);
}

// retire() ends `self` but keeps its stack: the carrier switches out like a
// parked fiber, and complete_switch links it idle and releases `self`.
// PARK (as a carrier): resumed by start() with a new fiber to run, which
// retire() returns, or by release_carriers at teardown (nullptr).
Fiber* Worker::retire(Fiber* self, Carrier& carrier) {
  Fiber* next = pick_next(self, "exit");
  carrier.stack_base = self->stack_base_;
  carrier.stack_size = self->stack_size_;
  carrier.tsan_fiber = std::exchange(self->tsan_fiber_, nullptr);  // the carrier keeps it
  carrier.assigned = nullptr;
  hand_over_ = HandOver{.previous = self, .after = after::Retire{.carrier = &carrier}};
  current_ = next;
  bump(counters_.switches);
  boost::context::fiber from =
      jump(&carrier.asan_fake_stack, &carrier.tsan_fiber, std::move(next->context_),
           next->stack_base_, next->stack_size_, next->tsan_fiber_);
  // Back on this stack, on whichever thread resumed it: `this` may be stale.
  resumed(carrier.asan_fake_stack, std::move(from), Worker::current());
  return carrier.assigned;
}

// exit_carrier(): an idle carrier's return at teardown, to release_carriers.
boost::context::fiber Worker::exit_carrier(Carrier& carrier) {
  hand_over_ =
      HandOver{.previous = nullptr, .after = after::DropCarrier{.tsan_fiber = carrier.tsan_fiber}};
  // nullptr: this stack is leaving for good (ASan frees its fake stack).
  sanitizer::start_switch(nullptr, idle_.stack_base_, idle_.stack_size_, idle_.tsan_fiber_);
  return std::move(idle_.context_);
}

// exit_current(): the last switch of a fiber whose stack is not kept; returns
// the context to run next (Boost.Context frees this stack on it).
boost::context::fiber Worker::exit_current(Fiber* self) {
  Fiber* next = pick_next(self, "exit");
  hand_over_ = HandOver{.previous = self, .after = after::Finish{}};
  current_ = next;
  bump(counters_.switches);
  // nullptr: this stack is leaving for good (ASan frees its fake stack).
  sanitizer::start_switch(nullptr, next->stack_base_, next->stack_size_, next->tsan_fiber_);
  return std::move(next->context_);
}

void Worker::release_carriers(Worker& owner) {
  // Called by RuntimeCore::cancel_all_fibers on this thread's own stack.
  enter_thread();
  while (Carrier* carrier = owner.idle_carriers_) {
    owner.idle_carriers_ = carrier->next;
    --owner.idle_carrier_count_;
    carrier->assigned = nullptr;  // retire() returns nullptr: fiber_main returns
    hand_over_ = HandOver{.previous = &idle_, .after = after::Save{}};
    bump(counters_.switches);
    boost::context::fiber from =
        jump(&idle_.asan_fake_stack_, &idle_.tsan_fiber_, std::move(carrier->context),
             carrier->stack_base, carrier->stack_size, carrier->tsan_fiber);
    // The carrier returned through exit_carrier: `from` is empty.
    resumed(idle_.asan_fake_stack_, std::move(from), this);
  }
}

}  // namespace tmpmc::runtime::detail
