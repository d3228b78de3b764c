// worker.cpp: the stack switch and the scheduling loop.
//
// Every switch goes through switch_to() (or exit_current() for a fiber's last
// one). The fiber that gives up the worker states what must happen to it in
// after_; the fiber that runs next performs it in complete_switch(), once the
// previous fiber's continuation is saved. That hand-over is what makes parking
// race-free (see park.h).
#include "worker.h"

#include <thread>

#include "runtime_core.h"
#include "sanitizer.h"
#include "stack_switch.h"
#include "tmpmc/runtime/spin.h"

namespace tmpmc::runtime::detail {

namespace {
thread_local Worker* t_worker = nullptr;
}  // namespace

// PooledStack: the StackAllocator Boost.Context sees. Stacks come from the
// creating worker's pool and go back to the pool of whichever worker the
// fiber finished on (same runtime, same size).
struct PooledStack {
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
    if (worker != nullptr && worker->stacks().usable_size() == context.size) {
      worker->stacks().deallocate(base);
    } else {
      StackPool::unmap(base, context.size);
    }
  }
};

IdleContext::IdleContext() {
  is_idle_context_ = true;
  started_ = true;
}

Worker::Worker(RuntimeCore& core, unsigned index)
    : core_(core),
      index_(index),
      deterministic_(core.deterministic),
      shared_queues_(core.options.workers > 1),
      stacks_(core.options.stack_size),
      rng_(core.options.seed * 0x9e3779b97f4a7c15ULL + index) {}

Worker::~Worker() = default;

[[gnu::noinline, gnu::noipa]] Worker* Worker::current() noexcept { return t_worker; }
[[gnu::noinline, gnu::noipa]] void Worker::set_current(Worker* worker) noexcept {
  t_worker = worker;
}

void Worker::learn_stack(const void* base, std::size_t size) noexcept {
  // ASan tells a fiber where it came from; that is how a worker learns the
  // bounds of its own thread stack, the one thing we did not allocate.
  Fiber* from = previous_;
  if (from != nullptr && from->is_idle_context_ && from->stack_base_ == nullptr) {
    from->stack_base_ = const_cast<void*>(base);
    from->stack_size_ = size;
  }
}

// ---------------------------------------------------------------- hot path helpers
// Inlined into the switch: each call frame between a fiber's yield or park and
// the jump costs a call and a return after every switch.

[[gnu::always_inline]] inline Fiber* Worker::take_next_slot() noexcept {
  Fiber* fiber = next_slot_.load(std::memory_order_relaxed);
  if (fiber == nullptr) return nullptr;
  if (!shared_queues_) {
    next_slot_.store(nullptr, std::memory_order_relaxed);
    return fiber;
  }
  // acquire: pairs with the release half of the exchange that stored it.
  return next_slot_.exchange(nullptr, std::memory_order_acquire);
}

[[gnu::always_inline]] inline Fiber* Worker::pop_local() noexcept {
  return shared_queues_ ? queue_.pop() : queue_.pop_unshared();
}

[[gnu::always_inline]] inline void Worker::push_back(Fiber* fiber) {
  if (deterministic_) {
    runnable_.push_back(fiber);
    return;
  }
  if (!queue_.push(fiber)) {
    core_.inject(fiber);  // ring full: overflow to the shared queue (wakes a worker)
    return;
  }
  if (!shared_queues_) return;
  // Surplus work: if a worker is in deep sleep and none is already looking,
  // wake one to watch for a backlog. A stale read only costs parallelism, never
  // a fiber: we run it ourselves.
  if (core_.sleeping_workers.load(std::memory_order_relaxed) != 0 &&
      core_.spinning_workers.load(std::memory_order_relaxed) == 0) {
    core_.wake_idle_worker(false);
  }
}

// queue_back(): push_back for callers outside the switch (wakes that missed
// the LIFO slot, steals), kept out of line.
void Worker::queue_back(Fiber* fiber) { push_back(fiber); }

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

[[gnu::always_inline]] inline Fiber* Worker::pick_next(Fiber* previous, const char* at) {
  if (deterministic_) return pick_next_deterministic(previous, at);
  for (;;) {
    if (core_.stopping.load(std::memory_order_relaxed)) [[unlikely]]
      return &idle_;
    Fiber* fiber = nullptr;
    ++tick_;
    // Every 64th pick: timers, the injection queue and the watchdog, so that
    // a busy worker neither starves outside work nor misses deadlines.
    if ((tick_ & 63) == 0) fiber = periodic_check();
    // Every 8th pick the oldest queued fiber goes before the LIFO slot: two
    // fibers that keep waking each other would otherwise run alone forever,
    // and a queue head that does not move looks like a stalled worker to the
    // stealers (steal_from_stalled), which would split fibers that talk.
    if (fiber == nullptr && (tick_ & 7) == 0) fiber = pop_local();
    if (fiber == nullptr) fiber = take_next_slot();
    if (fiber == nullptr) fiber = pop_local();
    if (fiber == nullptr) return &idle_;  // the idle loop looks further, then sleeps
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

[[gnu::always_inline]] inline void Worker::complete_switch(boost::context::fiber&& from) {
  Fiber* previous = previous_;
  switch (after_) {
    case After::save:
      previous->context_ = std::move(from);
      break;
    case After::requeue:
      previous->context_ = std::move(from);
      push_back(previous);
      break;
    case After::park: {
      previous->context_ = std::move(from);
      if (!park_racing_) {
        // Its only waker needs the lock we release below: no one can race us.
        previous->park_word_.store(park_epoch_ << 2 | kParked, std::memory_order_relaxed);
        unlock_after_->unlock();
        break;
      }
      std::uint64_t expected = park_epoch_ << 2 | kRunning;
      // release: whoever unparks it (acquire on this word) sees the saved context.
      if (!previous->park_word_.compare_exchange_strong(expected, park_epoch_ << 2 | kParked,
                                                        std::memory_order_acq_rel,
                                                        std::memory_order_acquire)) {
        // kNotified: it was woken while switching out, so it must not sleep. Its
        // epoch ends here, as it would have on a wake from kParked.
        previous->park_word_.store((park_epoch_ + 1) << 2 | kRunning, std::memory_order_relaxed);
        push_back(previous);
      }
      // Only now may a waker find it in the list (park.h).
      if (unlock_after_ != nullptr) unlock_after_->unlock();
      break;
    }
    case After::park_join: {
      previous->context_ = std::move(from);
      previous->park_word_.store(park_epoch_ << 2 | kParked, std::memory_order_relaxed);
      std::uintptr_t nobody = 0;
      // release: the finisher that takes it (acq_rel exchange in mark_finished)
      // sees the saved context and the park word. Only now may it be found.
      if (!join_target_->join_state_.compare_exchange_strong(
              nobody, reinterpret_cast<std::uintptr_t>(previous), std::memory_order_acq_rel,
              std::memory_order_acquire)) {
        // It finished while we switched out: this park's epoch ends here, as on a wake.
        previous->park_word_.store((park_epoch_ + 1) << 2 | kRunning, std::memory_order_relaxed);
        push_back(previous);
      }
      join_target_ = nullptr;
      break;
    }
    case After::finish:
      // `from` is empty: Boost.Context freed the finished fiber's stack on our stack.
      core_.fiber_finished(previous);
      break;
    case After::retire:
      // Its stack waits in retire() for the next new fiber; the fiber itself is done.
      retiring_->context = std::move(from);
      retiring_->next = idle_carriers_;
      idle_carriers_ = retiring_;
      ++idle_carrier_count_;
      retiring_ = nullptr;
      core_.fiber_finished(previous);
      break;
    case After::drop_carrier:
      // `from` is empty: the carrier returned and Boost.Context freed its stack.
      sanitizer::destroy_fiber(std::exchange(dropped_tsan_fiber_, nullptr));
      break;
  }
  after_ = After::save;
  unlock_after_ = nullptr;
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

// ---------------------------------------------------------------- switching

namespace {
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
}  // namespace

// Inlined into each caller: with the return-stack buffer balanced (see
// stack_switch.h) a frame no longer costs a mispredict, but its six
// callee-saved pushes and pops still run on every switch.
[[gnu::always_inline]] inline void Worker::switch_to(Fiber* next) {
  Fiber* self = current_;
  previous_ = self;
  current_ = next;
  bump(counters.switches);
  boost::context::fiber from = jump(&self->asan_fake_stack_, &self->tsan_fiber_,
                                    std::move(next->context_), next->stack_base_,
                                    next->stack_size_, next->tsan_fiber_);
  // Back on `self`'s stack, possibly on another worker thread: `this` is stale.
  // On a one-worker runtime a fiber cannot migrate: skip the thread-local read.
  resumed(self->asan_fake_stack_, std::move(from), shared_queues_ ? Worker::current() : this);
  if (self->cancelled_) [[unlikely]]
    throw FiberCancelledTag{};
}

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
         !core_.stopping.load(std::memory_order_relaxed);
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
  previous_ = self;
  current_ = next;
  after_ = After::retire;
  retiring_ = &carrier;
  bump(counters.switches);
  boost::context::fiber from =
      jump(&carrier.asan_fake_stack, &carrier.tsan_fiber, std::move(next->context_),
           next->stack_base_, next->stack_size_, next->tsan_fiber_);
  // Back on this stack, on whichever thread resumed it: `this` may be stale.
  resumed(carrier.asan_fake_stack, std::move(from), Worker::current());
  return carrier.assigned;
}

// exit_carrier(): an idle carrier's return at teardown, to release_carriers.
boost::context::fiber Worker::exit_carrier(Carrier& carrier) {
  previous_ = nullptr;
  after_ = After::drop_carrier;
  dropped_tsan_fiber_ = carrier.tsan_fiber;
  // nullptr: this stack is leaving for good (ASan frees its fake stack).
  sanitizer::start_switch(nullptr, idle_.stack_base_, idle_.stack_size_, idle_.tsan_fiber_);
  return std::move(idle_.context_);
}

boost::context::fiber Worker::exit_current(Fiber* self) {
  Fiber* next = pick_next(self, "exit");
  previous_ = self;
  current_ = next;
  after_ = After::finish;
  bump(counters.switches);
  // nullptr: this stack is leaving for good (ASan frees its fake stack).
  sanitizer::start_switch(nullptr, next->stack_base_, next->stack_size_, next->tsan_fiber_);
  return std::move(next->context_);
}

// ---------------------------------------------------------------- fiber-side operations

void Worker::yield_current(const char* at) {
  Fiber* self = current_;
  if (deterministic_) {
    runnable_.push_back(self);
    Fiber* next = pick_next_deterministic(self, at);
    if (next == self) return;
    after_ = After::save;  // it is in runnable_ already (or we are stopping)
    switch_to(next);
    return;
  }
  Fiber* next = pick_next(self, at);
  if (next == &idle_ && !core_.stopping.load(std::memory_order_relaxed) && !core_.has_injected()) {
    return;  // nothing else to run here: keep going
  }
  after_ = After::requeue;
  switch_to(next);
}

void Worker::yield_point(const char* at) {
  if (!deterministic_ || current_ == &idle_) return;
  yield_current(at);
}

void Worker::park_current(std::uint64_t epoch, WaitList* unlock_after, const char* why,
                          bool racing_wakers) {
  Fiber* self = current_;
  bump(counters.parks);
  self->waiting_for_ = why;
  self->waiting_on_ = unlock_after;  // for hang reports: the list names the wait
  // Where it parked names the scheduling point; only a deterministic trace
  // reads it, so the label is not looked up on the real-mode hot path.
  const char* at = !deterministic_           ? nullptr
                   : why != nullptr          ? why
                   : unlock_after != nullptr ? unlock_after->label().c_str()
                                             : "park";
  Fiber* next = pick_next(self, at);
  after_ = After::park;
  park_epoch_ = epoch;
  park_racing_ = racing_wakers || unlock_after == nullptr;
  unlock_after_ = unlock_after;
  switch_to(next);
  self->waiting_for_ = nullptr;
  self->waiting_on_ = nullptr;
}

void Worker::park_for_join(Fiber* target) {
  Fiber* self = current_;
  bump(counters.parks);
  self->waiting_for_ = "join";
  self->waiting_on_ = nullptr;
  Fiber* next = pick_next(self, deterministic_ ? "join" : nullptr);
  after_ = After::park_join;
  // Only the fiber itself moves its word out of kRunning: this is its next epoch.
  park_epoch_ = self->park_word_.load(std::memory_order_relaxed) >> 2;
  join_target_ = target;
  try {
    switch_to(next);
  } catch (...) {
    // Unwound at teardown while joining: withdraw, unless the target took us already.
    std::uintptr_t us = reinterpret_cast<std::uintptr_t>(self);
    target->join_state_.compare_exchange_strong(us, 0, std::memory_order_acq_rel);
    self->waiting_for_ = nullptr;
    throw;
  }
  self->waiting_for_ = nullptr;
}

// ---------------------------------------------------------------- run queues

Fiber* Worker::pick_next_deterministic(Fiber* previous, const char* at) {
  for (;;) {
    core_.tick_virtual_time();
    if (!timers_.empty()) timers_.fire_due(core_.virtual_now());
    if (Fiber* injected = core_.take_injected()) runnable_.push_back(injected);
    if (core_.stopping.load(std::memory_order_relaxed) || runnable_.empty()) return &idle_;
    Fiber* fiber = core_.choose(runnable_, previous, at);
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

bool Worker::fire_timers_or_watchdog() {
  if (!timers_.empty()) timers_.fire_due(Clock::now());
  // The watchdog belongs to worker 0, the block_on caller's thread.
  if (index_ == 0 && core_.watchdog_deadline && Clock::now() >= *core_.watchdog_deadline) {
    core_.declare_stuck(RuntimeCore::Stuck::hang);
    return true;
  }
  return false;
}

Fiber* Worker::periodic_check() {
  if (fire_timers_or_watchdog()) return &idle_;
  return core_.take_injected();
}

// ---------------------------------------------------------------- idle loop

Fiber* Worker::find_work() {
  if (deterministic_) {
    Fiber* fiber = pick_next_deterministic(&idle_, "idle");
    return fiber == &idle_ ? nullptr : fiber;
  }
  for (;;) {
    Fiber* fiber = nullptr;
    if (fire_timers_or_watchdog()) return nullptr;
    // No stealing here: an idle worker steals only a backlog (idle_wait).
    fiber = take_next_slot();
    if (fiber == nullptr) fiber = queue_.pop();
    if (fiber == nullptr) fiber = core_.take_injected();
    if (fiber == nullptr) return nullptr;
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

bool Worker::any_queue_holds_work() const noexcept {
  for (const auto& other : core_.workers) {
    if (!other->queue_.empty() || other->next_slot_.load(std::memory_order_relaxed) != nullptr) {
      return true;
    }
  }
  return false;
}

bool Worker::work_visible() const noexcept {
  if (core_.stopping.load(std::memory_order_seq_cst) || core_.has_injected()) return true;
  return next_slot_.load(std::memory_order_seq_cst) != nullptr || !queue_.empty();
}

// steal_from_stalled() watches the other workers for kStealWindow and takes
// half of the run queue of one whose queue head did not move at all meanwhile
// (or its next slot, if it did not switch at all). Fibers that talk through a
// queue run best together on one worker (no cache line crosses cores per
// message), so a worker that gets through its queue keeps it; only a real
// backlog (fibers doing CPU work) is spread.
Fiber* Worker::steal_from_stalled() {
  constexpr auto kStealWindow = std::chrono::microseconds(100);
  const std::size_t n = core_.workers.size();
  struct Seen {
    std::uint32_t head;
    std::uint64_t switches;
  };
  std::vector<Seen> seen(n);
  for (std::size_t i = 0; i < n; ++i) {
    seen[i] = {core_.workers[i]->queue_.head_position(),
               core_.workers[i]->counters.switches.load(std::memory_order_relaxed)};
  }
  const auto until = Clock::now() + kStealWindow;
  while (Clock::now() < until) {
    for (int i = 0; i < 32; ++i) cpu_pause();
    if (work_visible()) return nullptr;  // our own work arrived: the loop takes it
  }
  const std::size_t start = rng_.below(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    Worker& victim = *core_.workers[i];
    if (&victim == this) continue;
    if (!victim.queue_.empty() && victim.queue_.head_position() == seen[i].head) {
      if (Fiber* fiber = victim.queue_.steal_half_into(queue_)) {
        bump(counters.steals);
        return fiber;
      }
    }
    Fiber* next = victim.next_slot_.load(std::memory_order_relaxed);
    if (next != nullptr &&
        victim.counters.switches.load(std::memory_order_relaxed) == seen[i].switches &&
        victim.next_slot_.compare_exchange_strong(next, nullptr, std::memory_order_acquire)) {
      bump(counters.steals);
      return next;
    }
  }
  return nullptr;
}

void Worker::idle_wait() {
  // One worker at a time watches for a backlog to steal; then sleep. While
  // some queue holds fibers, sleep watchfully (a short timeout, to look again);
  // otherwise deeply, until a wake.
  if (core_.workers.size() > 1 &&
      core_.spinning_workers.fetch_add(1, std::memory_order_seq_cst) == 0) {
    Fiber* stolen = steal_from_stalled();
    core_.spinning_workers.fetch_sub(1, std::memory_order_seq_cst);
    if (stolen != nullptr) {
      make_runnable(stolen, true);
      // More stalled work may remain: let another sleeper look too.
      if (!queue_.empty()) core_.wake_idle_worker(false);
      return;
    }
    if (work_visible()) return;
  } else if (core_.workers.size() > 1) {
    core_.spinning_workers.fetch_sub(1, std::memory_order_seq_cst);
  }

  constexpr auto kWatchfulSleep = std::chrono::milliseconds(1);
  const bool watchful = core_.workers.size() > 1 && any_queue_holds_work();
  parker_.set_watchful(watchful);
  core_.sleeping_workers.fetch_add(1, std::memory_order_seq_cst);
  parker_.announce_sleep();
  if (work_visible()) {
    parker_.cancel_sleep();
  } else {
    std::optional<TimePoint> deadline = timers_.next_deadline();
    if (watchful) {
      const TimePoint look_again = Clock::now() + kWatchfulSleep;
      if (!deadline || look_again < *deadline) deadline = look_again;
    }
    if (index_ == 0 && core_.watchdog_deadline &&
        (!deadline || *core_.watchdog_deadline < *deadline)) {
      deadline = core_.watchdog_deadline;
    }
    parker_.sleep_until(deadline);
  }
  core_.sleeping_workers.fetch_sub(1, std::memory_order_seq_cst);
  parker_.set_watchful(false);
}

void Worker::enter_thread() {
  // The idle context is whichever thread runs this worker now: its stack
  // bounds are learned again (ASan) and its TSan context is this thread's.
  current_ = &idle_;
  idle_.stack_base_ = nullptr;
  idle_.stack_size_ = 0;
  idle_.tsan_fiber_ = sanitizer::current_thread_fiber();
}

void Worker::loop() {
  enter_thread();
  while (!core_.stopping.load(std::memory_order_acquire)) {
    if (Fiber* fiber = find_work()) {
      after_ = After::save;
      switch_to(fiber);
      continue;
    }
    if (core_.stopping.load(std::memory_order_acquire)) break;
    if (deterministic_) {
      // Nothing can run: jump virtual time to the next timer, or it is a deadlock.
      if (auto deadline = timers_.next_deadline()) {
        core_.advance_virtual_time(*deadline);
        timers_.fire_due(core_.virtual_now());
        continue;
      }
      core_.declare_stuck(RuntimeCore::Stuck::deadlock);
      break;
    }
    idle_wait();
  }
}

void Worker::run_to_cancel(Fiber* fiber) {
  // Called by RuntimeCore::cancel_all_fibers on this thread's own stack.
  enter_thread();
  fiber->cancelled_ = true;
  after_ = After::save;
  switch_to(fiber);
}

void Worker::release_carriers(Worker& owner) {
  // Called by RuntimeCore::cancel_all_fibers on this thread's own stack.
  enter_thread();
  while (Carrier* carrier = owner.idle_carriers_) {
    owner.idle_carriers_ = carrier->next;
    --owner.idle_carrier_count_;
    carrier->assigned = nullptr;  // retire() returns nullptr: fiber_main returns
    previous_ = &idle_;
    after_ = After::save;
    bump(counters.switches);
    boost::context::fiber from =
        jump(&idle_.asan_fake_stack_, &idle_.tsan_fiber_, std::move(carrier->context),
             carrier->stack_base, carrier->stack_size, carrier->tsan_fiber);
    // The carrier returned through exit_carrier: `from` is empty.
    resumed(idle_.asan_fake_stack_, std::move(from), this);
  }
}

std::vector<Fiber*> Worker::drain() noexcept {
  std::vector<Fiber*> drained;
  if (Fiber* fiber = next_slot_.exchange(nullptr, std::memory_order_acquire)) {
    drained.push_back(fiber);
  }
  while (Fiber* fiber = queue_.pop()) drained.push_back(fiber);
  drained.insert(drained.end(), runnable_.begin(), runnable_.end());
  runnable_.clear();
  return drained;
}

}  // namespace tmpmc::runtime::detail
