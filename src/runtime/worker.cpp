// worker.cpp: a worker's fiber-side operations (yield, park, join, a timed
// park) and its bookkeeping. Each gives up the worker through switch_to()
// with a hand-over that says what to do with the fiber once it is off its
// stack (hand_over.h).
#include "worker.h"

#include <stdexcept>
#include <string>

#include "switch.h"

namespace tmpmc::runtime::detail {

namespace {
thread_local Worker* t_worker = nullptr;
}  // namespace

Worker::Worker(RuntimeCore& core, unsigned index)
    : core_(core),
      index_(index),
      picker_(core.picker()),
      shared_queues_(core.options.workers > 1),
      timer_spin_(core.options.timer_spin),
      stacks_(core.options.stack_size),
      rng_(core.options.seed * 0x9e3779b97f4a7c15ULL + index) {}

Worker::~Worker() = default;

[[gnu::noinline, gnu::noipa]] Worker* Worker::current() noexcept { return t_worker; }
[[gnu::noinline, gnu::noipa]] void Worker::set_current(Worker* worker) noexcept {
  t_worker = worker;
}

void Worker::outside_fiber(std::string_view wait, WaitList* held) {
  if (held != nullptr) held->unlock();
  throw std::logic_error("tmpmc: '" + std::string(wait) +
                         "' must suspend, but was called outside a fiber");
}

void Worker::learn_stack(const void* base, std::size_t size) noexcept {
  // ASan tells a fiber where it came from; that is how a worker learns the
  // bounds of its own thread stack, the one thing we did not allocate.
  Fiber* from = hand_over_.previous;
  if (from != nullptr && from->is_idle_context_ && from->stack_base_ == nullptr) {
    from->stack_base_ = const_cast<void*>(base);
    from->stack_size_ = size;
  }
}

// queue_back(): push_back for callers outside the switch (wakes that missed
// the LIFO slot, steals), kept out of line.
void Worker::queue_back(Fiber* fiber) { push_back(fiber); }

// ---------------------------------------------------------------- pinned fibers

void Worker::send_home(Fiber* fiber) noexcept { core_.worker(fiber->home_).post(fiber); }

void Worker::post(Fiber* fiber) noexcept {
  Fiber* head = inbox_.load(std::memory_order_relaxed);
  do {
    fiber->next_runnable_ = head;
    // seq_cst: release for the owner's acquire exchange (the link, and the
    // fiber's state: its saved context, the waker's writes), and the store
    // half of the Dekker pair with a sleeping owner: it announces its sleep
    // (seq_cst) and then re-reads the inbox (work_visible, seq_cst); we
    // publish here and then read whether it sleeps (wake_if_sleeping,
    // seq_cst). One of the two sees the other.
  } while (!inbox_.compare_exchange_weak(head, fiber, std::memory_order_seq_cst,
                                         std::memory_order_relaxed));
  wake_if_sleeping(true);
}

Fiber* Worker::keep_unpinned(Fiber* first) noexcept {
  // The stolen fibers other than `first` are in our queue, which was empty.
  const std::uint32_t stolen = queue_.size();
  Fiber* keep = nullptr;
  const auto sort = [&](Fiber* fiber) {
    if (fiber->home_ != kAnyWorker && fiber->home_ != index_) {
      send_home(fiber);
    } else if (keep == nullptr) {
      keep = fiber;
    } else {
      push_back(fiber);
    }
  };
  sort(first);
  for (std::uint32_t i = 0; i < stolen; ++i) {
    if (Fiber* fiber = queue_.pop()) sort(fiber);
  }
  return keep;
}

// ---------------------------------------------------------------- fiber-side operations

void Worker::yield_current(const char* at) {
  Fiber* self = current_;
  Fiber* next = pick_next(self, at, /*previous_runnable=*/true);
  if (next == self) return;  // the deterministic picker chose to go on with it
  if (next == &idle_ && !core_.stopping(std::memory_order_relaxed) && !core_.has_injected()) {
    return;  // nothing else to run here: keep going
  }
  hand_over_.after.emplace<after::Requeue>();
  switch_to(next);
}

void Worker::park_current(std::uint64_t epoch, WaitList* unlock_after, const char* why,
                          bool racing_wakers) {
  Fiber* self = current_;
  bump(counters_.parks);
  self->waiting_for_ = why;
  self->waiting_on_ = unlock_after;  // for hang reports: the list names the wait
  // The choice point is named by the wait just recorded (a deterministic
  // trace reads it; the real-mode pick never looks).
  Fiber* next = pick_next(self, nullptr);
  hand_over_.after.emplace<after::Park>(
      after::Park{.epoch = epoch,
                  .racing = racing_wakers || unlock_after == nullptr,
                  .unlock_after = unlock_after});
  switch_to(next);
  self->waiting_for_ = nullptr;
  self->waiting_on_ = nullptr;
}

void Worker::park_until(TimePoint deadline, ParkToken token, WaitList* unlock_after,
                        const char* why) {
  Timer timer;
  timer.deadline = deadline;
  timer.token = token;
  timers_.add(timer);
  // PARK: resumed by the timer, by the caller's wakers, or unwound by the
  // runtime's shutdown (which throws out of park_current). The fiber may
  // resume on another worker: the timer knows its own heap.
  try {
    park_current(token.epoch, unlock_after, why, /*racing_wakers=*/true);
  } catch (...) {
    timer.heap->cancel(timer);
    throw;
  }
  timer.heap->cancel(timer);
}

void Worker::park_for_join(Fiber* target) {
  Fiber* self = current_;
  bump(counters_.parks);
  self->waiting_for_ = "join";
  self->waiting_on_ = nullptr;
  Fiber* next = pick_next(self, nullptr);  // named by waiting_for_, as a park
  hand_over_.after.emplace<after::ParkJoin>(
      after::ParkJoin{.epoch = self->park_token().epoch, .target = target});
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

// ---------------------------------------------------------------- bookkeeping

void Worker::add_counters_to(RuntimeStats& total) const noexcept {
  total.switches += counters_.switches.load(std::memory_order_relaxed);
  total.parks += counters_.parks.load(std::memory_order_relaxed);
  total.wakes += counters_.wakes.load(std::memory_order_relaxed);
  total.steals += counters_.steals.load(std::memory_order_relaxed);
  total.spawns += counters_.spawns.load(std::memory_order_relaxed);
  total.cross_worker_wakes += counters_.cross_worker_wakes.load(std::memory_order_relaxed);
}

bool Worker::wake_if_sleeping(bool include_watchful) noexcept {
  if (!parker_.sleeping() || (parker_.watchful() && !include_watchful)) return false;
  return parker_.wake();
}

std::vector<Fiber*> Worker::drain() noexcept {
  std::vector<Fiber*> drained;
  if (Fiber* fiber = next_slot_.exchange(nullptr, std::memory_order_acquire)) {
    drained.push_back(fiber);
  }
  while (Fiber* fiber = queue_.pop()) drained.push_back(fiber);
  while (Fiber* fiber = take_posted()) drained.push_back(fiber);
  return drained;
}

}  // namespace tmpmc::runtime::detail
