// switch.h: the stack switch and the hand-over (see hand_over.h). Internal
// to the worker's translation units (worker.cpp, carriers.cpp, idle.cpp,
// deterministic_picker.cpp), which all include it: everything here is forced
// inline, because each call frame between a fiber's yield or park and the
// jump costs a call and a return after every switch, and the sanitizer
// builds have no LTO to inline across files.
#pragma once

#include <utility>

#include "real_pick.h"
#include "runtime_core.h"
#include "sanitizer.h"
#include "stack_switch.h"
#include "tmpmc/runtime/contract.h"
#include "worker.h"

namespace tmpmc::runtime::detail {

// start() readies a fiber's first run: on an idle carrier (inline, it is
// on the spawn-and-join path), else on a fresh stack (try_start, out of line).
[[gnu::always_inline]] inline bool Worker::start(Fiber* fiber) noexcept {
  Carrier* carrier = idle_carriers_;
  if (carrier == nullptr) return try_start(fiber);
  // Switching to the fiber resumes the carrier in retire(), which returns
  // `fiber` to fiber_main's loop.
  idle_carriers_ = carrier->next;
  --idle_carrier_count_;
  carrier->assigned = fiber;
  fiber->context_ = std::move(carrier->context);
  fiber->stack_base_ = carrier->stack_base;
  fiber->stack_size_ = carrier->stack_size;
  fiber->asan_fake_stack_ = carrier->asan_fake_stack;
  fiber->tsan_fiber_ = carrier->tsan_fiber;
  fiber->started_ = true;
  return true;
}

// complete_switch() performs hand_over_ for the fiber that just switched
// out; runs first thing on the stack switched to (see resumed()), on the
// worker that made the switch. `from` is the switched-out fiber's saved
// continuation (empty if its stack is gone).
[[gnu::always_inline]] inline void Worker::complete_switch(boost::context::fiber&& from) {
  Fiber* previous = hand_over_.previous;
  HandOver::After& what = hand_over_.after;
  switch (what.index()) {
    case HandOver::index_of<after::Save>:
      TMPMC_ASSERT(static_cast<bool>(from),
                   "complete_switch: a fiber that lives on has a continuation");
      previous->context_ = std::move(from);
      break;
    case HandOver::index_of<after::Requeue>:
      TMPMC_ASSERT(static_cast<bool>(from),
                   "complete_switch: a fiber that lives on has a continuation");
      previous->context_ = std::move(from);
      push_back(previous);
      break;
    case HandOver::index_of<after::Park>: {
      const after::Park& park = *std::get_if<after::Park>(&what);
      TMPMC_ASSERT(static_cast<bool>(from),
                   "complete_switch: a fiber that lives on has a continuation");
      // An untimed park hands over the list it parked on, still locked: the
      // unlock below is what lets its only waker find it (park.h).
      TMPMC_ASSERT(park.racing || (park.unlock_after != nullptr && park.unlock_after->locked()),
                   "complete_switch: an untimed park hands over its list, locked");
      previous->context_ = std::move(from);
      if (!park.racing) {
        // kRunning -> kParked, plain store: its only waker needs the lock we
        // release below, so no one can race us. The unlock's release store
        // publishes the word and the saved context to that waker.
        previous->park_word_.store(park_word(park.epoch, kParked), std::memory_order_relaxed);
        park.unlock_after->unlock_after_switch();
        break;
      }
      std::uint64_t expected = park_word(park.epoch, kRunning);
      // kRunning -> kParked by CAS: a timer may unpark it without the lock.
      // release: whoever unparks it (acquire on this word) sees the saved context.
      if (!previous->park_word_.compare_exchange_strong(expected, park_word(park.epoch, kParked),
                                                        std::memory_order_acq_rel,
                                                        std::memory_order_acquire)) {
        // kNotified: it was woken while switching out, so it must not sleep. Its
        // epoch ends here, as it would have on a wake from kParked; nobody
        // else writes a word in kNotified.
        previous->park_word_.store(ended_park(park.epoch), std::memory_order_relaxed);
        push_back(previous);
      }
      // Only now may a waker find it in the list (park.h).
      if (park.unlock_after != nullptr) park.unlock_after->unlock_after_switch();
      break;
    }
    case HandOver::index_of<after::ParkJoin>: {
      const after::ParkJoin& join = *std::get_if<after::ParkJoin>(&what);
      TMPMC_ASSERT(static_cast<bool>(from),
                   "complete_switch: a fiber that lives on has a continuation");
      previous->context_ = std::move(from);
      // kRunning -> kParked, plain store: its only waker (the target's
      // mark_finished) finds it only through the CAS below, which publishes it.
      previous->park_word_.store(park_word(join.epoch, kParked), std::memory_order_relaxed);
      std::uintptr_t nobody = 0;
      // release: the finisher that takes it (acq_rel exchange in mark_finished)
      // sees the saved context and the park word. Only now may it be found.
      if (!join.target->join_state_.compare_exchange_strong(
              nobody, reinterpret_cast<std::uintptr_t>(previous), std::memory_order_acq_rel,
              std::memory_order_acquire)) {
        // It finished while we switched out: this park's epoch ends here, as on a wake.
        previous->park_word_.store(ended_park(join.epoch), std::memory_order_relaxed);
        push_back(previous);
      }
      break;
    }
    case HandOver::index_of<after::Finish>:
      // `from` is empty: Boost.Context freed the finished fiber's stack on our stack.
      core_.fiber_finished(previous);
      break;
    case HandOver::index_of<after::Retire>: {
      // Its stack waits in retire() for the next new fiber; the fiber itself is done.
      Carrier* carrier = std::get_if<after::Retire>(&what)->carrier;
      carrier->context = std::move(from);
      carrier->next = idle_carriers_;
      idle_carriers_ = carrier;
      ++idle_carrier_count_;
      core_.fiber_finished(previous);
      break;
    }
    case HandOver::index_of<after::DropCarrier>:
      // `from` is empty: the carrier returned and Boost.Context freed its stack.
      sanitizer::destroy_fiber(std::get_if<after::DropCarrier>(&what)->tsan_fiber);
      break;
  }
  what.emplace<after::Save>();
}

// resumed(): the first thing a fiber does whenever it gets a worker back.
// fake_stack: the ASan fake stack saved when this stack switched out.
[[gnu::always_inline]] inline void Worker::resumed(void* fake_stack, boost::context::fiber&& from,
                                                   Worker* worker) {
  const void* from_base = nullptr;
  std::size_t from_size = 0;
  sanitizer::finish_switch(fake_stack, &from_base, &from_size);
#if TMPMC_ASAN
  worker->learn_stack(from_base, from_size);
#endif
  worker->complete_switch(std::move(from));
}

// jump(): every stack switch that comes back here. Runs `to` (its stack
// [to_base, to_base + to_size), its TSan context to_tsan) and returns the
// context that later switches back, empty if that one finished. own_*: this
// stack's ASan fake-stack slot and TSan context.
[[gnu::always_inline]] inline boost::context::fiber jump(void** own_fake_stack,
                                                         void* const* own_tsan,
                                                         boost::context::fiber&& to,
                                                         const void* to_base, std::size_t to_size,
                                                         void* to_tsan) {
  sanitizer::start_switch(own_fake_stack, to_base, to_size, to_tsan);
  boost::context::fiber from = resume_balanced(std::move(to));
  // An empty `from` means the fiber that switched here has finished: take
  // TSan's context over from it (see sanitizer::start_switch).
  if (!from) sanitizer::tsan_switch_to(*own_tsan);
  return from;
}

// switch_to(next) runs `next` and returns when the calling fiber runs again.
// On entry hand_over_.after says what to do with the caller once it is off
// its stack; on return (possibly on another worker) that has been done.
// Inlined into each caller: with the return-stack buffer balanced (see
// stack_switch.h) a frame no longer costs a mispredict, but its six
// callee-saved pushes and pops still run on every switch.
[[gnu::always_inline]] inline void Worker::switch_to(Fiber* next) {
  Fiber* self = current_;
  hand_over_.previous = self;
  current_ = next;
  bump(counters_.switches);
  boost::context::fiber from =
      jump(&self->asan_fake_stack_, &self->tsan_fiber_, std::move(next->context_),
           next->stack_base_, next->stack_size_, next->tsan_fiber_);
  // Back on `self`'s stack, possibly on another worker thread: `this` is stale.
  // On a one-worker runtime a fiber cannot migrate: skip the thread-local read.
  resumed(self->asan_fake_stack_, std::move(from), shared_queues_ ? Worker::current() : this);
  if (self->cancelled_) [[unlikely]]
    throw FiberCancelledTag{};
}

}  // namespace tmpmc::runtime::detail
