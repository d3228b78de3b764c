// deterministic_picker.cpp: the deterministic mode's scheduling step. Its
// one worker runs every step here: virtual time moves on, due timers fire,
// what became runnable joins the runnable set, and the policy picks from it.
// The worker calls in at two places only: pick_next() (real_pick.h) hands
// every pick to explore_step(), and loop() (idle.cpp) hands the whole idle
// loop to explore_loop().
#include "deterministic_picker.h"

#include <algorithm>
#include <utility>

#include "switch.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

DeterministicPicker::DeterministicPicker(const Options& options)
    : options_(options),
      record_schedule_(options.record_schedule || options.record_trace),
      track_trace_(options.policy.kind == PolicyKind::bounded),
      policy_(make_policy(options.policy, options.seed)) {}

void DeterministicPicker::begin_run() {
  run_start_step_ = step_;
  last_progress_step_ = step_;
  stop_.reset();
  divergence_.clear();
  schedule_.clear();
  if (options_.schedule_tap != nullptr) options_.schedule_tap->begin_run();
  if (track_trace_) happens_before_.begin_run();
  policy_->begin_run();
}

void DeterministicPicker::end_step(std::uint64_t id, const HappensBeforeHash::Access* accesses,
                                   std::size_t count, bool ordered) {
  if (ordered || std::any_of(accesses, accesses + count, [](const auto& a) { return a.write; })) {
    ++writes_;
  }
  if (!track_trace_) return;
  if (ordered) {
    happens_before_.ordered(id);
  } else {
    happens_before_.step(id, accesses, count);
  }
}

void DeterministicPicker::withdraw(Fiber* fiber) noexcept {
  const auto it = std::find(runnable_.begin(), runnable_.end(), fiber);
  if (it != runnable_.end()) runnable_.erase(it);
}

std::vector<Fiber*> DeterministicPicker::take_all() {
  std::vector<Fiber*> all(runnable_.begin(), runnable_.end());
  runnable_.clear();
  return all;
}

bool DeterministicPicker::must_stop() {
  if (steps() >= options_.max_steps) {
    // A livelock makes no progress at all; half the cap without any is far
    // longer than any wait a correct run of ours makes between two wakes.
    stop_ =
        steps_without_progress() >= options_.max_steps / 2 ? StopKind::livelock : StopKind::runaway;
    return true;
  }
  // The request is a clock read or an atomic load: asked once per batch of steps.
  if (options_.stop_requested && steps() % Options::kStopCheckSteps == 0 &&
      options_.stop_requested()) {
    stop_ = StopKind::interrupted;
    return true;
  }
  return false;
}

void DeterministicPicker::stop_diverged() {
  stop_ = StopKind::diverged;
  divergence_ = policy_->divergence();
}

bool DeterministicPicker::end_of_run() {
  if (stop_ || policy_->end_of_run(steps())) return true;
  stop_diverged();
  return false;
}

void DeterministicPicker::wait_in_spin(Fiber* fiber) noexcept {
  fiber->spin_since_writes_ = writes_;
}

Fiber* DeterministicPicker::choose(Fiber* previous, const char* at, std::uint64_t fiber_wakes) {
  if (fiber_wakes != fiber_wakes_seen_) {
    fiber_wakes_seen_ = fiber_wakes;
    last_progress_step_ = step_;
  }
  if (must_stop()) return nullptr;
  // A fiber waiting in a spin would re-read what it read last, unless a
  // step wrote something since: it sits this choice out (it is no choice at
  // all), unless nobody else can run (then the run spins until the step cap
  // reports a livelock). Those that sit out go back behind the others.
  const auto still_waiting = [this](const Fiber* f) { return f->spin_since_writes_ == writes_; };
  waiting_.clear();
  if (std::any_of(runnable_.begin(), runnable_.end(), still_waiting) &&
      !std::all_of(runnable_.begin(), runnable_.end(), still_waiting)) {
    std::size_t kept = 0;
    for (Fiber* fiber : runnable_) {
      if (still_waiting(fiber)) {
        waiting_.push_back(fiber);
      } else {
        runnable_[kept++] = fiber;
      }
    }
    runnable_.resize(kept);
  }
  Fiber* chosen = choose_from_runnable(previous, at);
  runnable_.insert(runnable_.end(), waiting_.begin(), waiting_.end());
  if (chosen != nullptr) chosen->spin_since_writes_ = 0;
  return chosen;
}

Fiber* DeterministicPicker::choose_from_runnable(Fiber* previous, const char* at) {
  const std::uint64_t previous_id = previous != nullptr ? previous->id() : 0;
  const std::size_t choice =
      policy_->pick(Step{runnable_, previous_id, step_, happens_before_.value()});
  if (choice == Policy::kDiverged) {
    stop_diverged();
    return nullptr;
  }
  Fiber* chosen = runnable_[choice];
  // The hash covers who ran and out of how many: the same program and
  // schedule give the same hash on any machine (ids are spawn order, not
  // addresses), whichever policy chose it. It is the whole record of a run
  // unless the schedule or the trace is asked for.
  trace_hash_ = mix64(trace_hash_, chosen->id());
  trace_hash_ = mix64(trace_hash_, runnable_.size());
  if (record_schedule_) schedule_.record(chosen->id(), runnable_.size());
  if (options_.schedule_tap != nullptr)
    options_.schedule_tap->record(chosen->id(), runnable_.size());
  if (options_.record_trace) {
    trace_.push_back(TraceEvent{
        steps() + 1, chosen->id(), chosen->display_name(),
        previous != nullptr ? previous->display_name() : "", at != nullptr ? at : "",
        options_.trace_state ? options_.trace_state() : std::string(),
        static_cast<std::uint32_t>(choice), static_cast<std::uint32_t>(runnable_.size())});
  }
  ++step_;
  // O(1) removal that keeps FIFO order at the front (round robin picks index 0).
  if (choice == 0) {
    runnable_.pop_front();
  } else {
    runnable_[choice] = runnable_.back();
    runnable_.pop_back();
  }
  return chosen;
}

// ---------------------------------------------------------------- the worker's side

// fire_due_timers() fires the due timers of a deterministic worker, counting
// the wakes they make apart from the wakes fibers make (progress).
std::uint64_t Worker::deterministic_step() const noexcept {
  return picker_ == nullptr ? 0 : picker_->steps();
}

void Worker::fire_due_timers() {
  if (timers_.empty()) return;
  const std::uint64_t before = counters_.wakes.load(std::memory_order_relaxed);
  timers_.fire_due(core_.virtual_now());
  const std::uint64_t woken = counters_.wakes.load(std::memory_order_relaxed) - before;
  timer_wakes_ += woken;
  if (woken != 0) picker_->note_timers();
}

// park_label(): the choice point a fiber that parked gave up the worker at:
// what it waits for, else the wait list it is on.
const char* Worker::park_label(const Fiber* fiber) noexcept {
  if (fiber->waiting_for_ != nullptr) return fiber->waiting_for_;
  if (fiber->waiting_on_ != nullptr) return fiber->waiting_on_->label().c_str();
  return "park";
}

// end_step(): `previous`'s step ends here (it gave up the worker): its
// accesses, as happens_before.h describes them, go to the picker.
void Worker::end_step(Fiber* previous, bool previous_runnable) {
  using Access = HappensBeforeHash::Access;
  static constexpr char kClock = 0;  // virtual time, as an object of the trace
  const std::uint64_t spawns = counters_.spawns.load(std::memory_order_relaxed);
  const bool ordered = spawns != step_spawns_ || previous->finished();
  step_spawns_ = spawns;
  Access accesses[HappensBeforeHash::kMaxAccesses];
  std::size_t count = 0;
  const Fiber::Access& began = previous->step_access_;
  if (began.site != nullptr) {
    accesses[count++] = Access{began.object, began.site->id, began.write};
  } else if (previous->resumed_from_park_) {
    accesses[count++] = Access{previous, 0, false};  // its park word, which its waker wrote
  }
  if (std::exchange(step_reads_clock_, false)) accesses[count++] = Access{&kClock, 0, false};
  const bool at_access = previous_runnable && previous->pending_access_.site != nullptr;
  if (!at_access) {
    accesses[count++] = Access{&kClock, 0, true};  // the step moves virtual time on
    if (!previous_runnable) {
      accesses[count++] = Access{previous, 0, true};  // its park word
      if (previous->waiting_on_ != nullptr) {
        accesses[count++] = Access{previous->waiting_on_->state_word(), 0, true};  // the unlock
      }
    }
  }
  picker_->end_step(previous->id(), accesses, count, ordered);
  previous->step_access_ = {};
  previous->resumed_from_park_ = !previous_runnable;
}

// explore_step() is pick_next() in deterministic mode: one scheduling step.
// `at` names the choice point (nullptr for a park: the fiber's wait names
// it). A fiber leaving at a yield (`previous_runnable`) is a candidate too:
// if it is chosen the caller goes on without a switch, otherwise the caller's
// Requeue hand-over queues it again. When the picker stops the run, the
// runtime is stopping and the idle context takes over (as for a deadlock).
Fiber* Worker::explore_step(Fiber* previous, const char* at, bool previous_runnable) {
  DeterministicPicker& picker = *picker_;
  if (at == nullptr) at = park_label(previous);
  // The timers fired below touch labelled words: not choice points here.
  struct InStep {
    bool& flag;
    explicit InStep(bool& f) : flag(f) { flag = true; }
    ~InStep() { flag = false; }
  } in_step(in_step_);
  const bool spinning = std::exchange(spinning_, false);  // the caller's, not the next fiber's
  if (previous != &idle_) {
    end_step(previous, previous_runnable);
    if (spinning) picker.wait_in_spin(previous);
  }
  // Virtual time moves on by one tick per step, except at a labelled access:
  // those are nanoseconds apart, and a deadline must not pass (a timed
  // receive time out) because the accesses of one try were explored.
  const bool at_access =
      previous != &idle_ && previous_runnable && previous->pending_access_.site != nullptr;
  for (;;) {
    if (!at_access) core_.tick_virtual_time();
    fire_due_timers();
    // What became runnable since the last step: the run queue in its order,
    // the next slot (the latest wake), outside work.
    while (Fiber* fiber = pop_local()) picker.add(fiber);
    if (Fiber* fiber = take_next_slot()) picker.add(fiber);
    while (Fiber* fiber = core_.take_injected()) picker.add(fiber);
    if (core_.stopping(std::memory_order_relaxed)) return &idle_;
    const bool candidate = previous_runnable && previous != &idle_;
    if (candidate) picker.add(previous);
    if (picker.empty()) return &idle_;
    // Where it gave up the worker, for the report of a run stopped while it is runnable.
    if (previous != &idle_) previous->last_switch_at_ = at;
    const std::uint64_t fiber_wakes =
        counters_.wakes.load(std::memory_order_relaxed) - timer_wakes_;
    Fiber* fiber = core_.choose(previous, at, fiber_wakes);
    if (candidate && fiber != previous) picker.withdraw(previous);
    if (fiber == nullptr) return &idle_;
    // Its step begins with the access it stopped at, if any.
    fiber->step_access_ = std::exchange(fiber->pending_access_, Fiber::Access{});
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

// choice_point(): a labelled access (choice_point.h) about to happen on the
// current fiber. During a run, it records the site's coverage and lets the
// policy choose (unless the granularity skips inner sites). When a stopped
// run is torn down, a fiber finishing its operation (finish_operations) runs
// straight through inner points and hands the worker back at the next
// `between` one or where it waits in a spin (so that what it waits for can run);
// once unwinding, there are no more choices.
void Worker::choice_point(const ChoicePointSite& site, const void* object, bool write,
                          bool waiting) {
  if (in_step_ || current_ == &idle_) return;  // the scheduler's own code
  Fiber* self = current_;
  const bool inner = site.kind == PointKind::inner;
  if (core_.stopping(std::memory_order_relaxed)) {
    if (!finishing_operations_ || (inner && !waiting)) return;
    self->at_inner_point_ = inner;
    yield_current(site.label);
    return;
  }
  picker_->reach(site.id);
  if (inner && !waiting && picker_->granularity() == Granularity::operations) return;
  self->at_inner_point_ = inner;
  self->pending_access_ = Fiber::Access{&site, object, write};
  spinning_ = waiting;
  // May throw the teardown's unwinding, on resumption at a `between` point
  // (never at an inner one: finish_operations moves every fiber past those).
  yield_current(site.label);
  self->at_inner_point_ = false;
}

// explore_loop() is loop() in deterministic mode: run what the picker
// chooses; when nothing can run, move virtual time to the next timer, and
// with no timer either, the run is deadlocked.
void Worker::explore_loop() {
  while (!core_.stopping(std::memory_order_acquire)) {
    Fiber* fiber = explore_step(&idle_, "idle", false);
    if (fiber != &idle_) {
      hand_over_.after.emplace<after::Save>();
      switch_to(fiber);
      continue;
    }
    if (core_.stopping(std::memory_order_acquire)) break;
    if (auto deadline = timers_.next_deadline()) {
      core_.advance_virtual_time(*deadline);
      fire_due_timers();
      continue;
    }
    core_.declare_stuck(RuntimeCore::Stuck::deadlock);
    break;
  }
}

}  // namespace tmpmc::runtime::detail
