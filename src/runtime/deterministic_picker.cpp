// deterministic_picker.cpp: the deterministic mode's scheduling step. Its
// one worker runs every step here: virtual time moves on, due timers fire,
// what became runnable joins the runnable set, and the policy picks from it.
// The worker calls in at two places only: pick_next() (real_pick.h) hands
// every pick to explore_step(), and loop() (idle.cpp) hands the whole idle
// loop to explore_loop().
#include "deterministic_picker.h"

#include <algorithm>

#include "switch.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

DeterministicPicker::DeterministicPicker(const Options& options)
    : options_(options),
      record_schedule_(options.record_schedule || options.record_trace),
      policy_(make_policy(options.policy, options.seed)) {}

void DeterministicPicker::begin_run() {
  run_start_step_ = step_;
  last_progress_step_ = step_;
  stop_.reset();
  divergence_.clear();
  schedule_.clear();
  policy_->begin_run();
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

Fiber* DeterministicPicker::choose(Fiber* previous, const char* at, std::uint64_t fiber_wakes) {
  if (fiber_wakes != fiber_wakes_seen_) {
    fiber_wakes_seen_ = fiber_wakes;
    last_progress_step_ = step_;
  }
  if (must_stop()) return nullptr;
  const std::uint64_t previous_id = previous != nullptr ? previous->id() : 0;
  const std::size_t choice = policy_->pick(Step{runnable_, previous_id, step_});
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
void Worker::fire_due_timers() {
  if (timers_.empty()) return;
  const std::uint64_t before = counters_.wakes.load(std::memory_order_relaxed);
  timers_.fire_due(core_.virtual_now());
  timer_wakes_ += counters_.wakes.load(std::memory_order_relaxed) - before;
}

// park_label(): the choice point a fiber that parked gave up the worker at:
// what it waits for, else the wait list it is on.
const char* Worker::park_label(const Fiber* fiber) noexcept {
  if (fiber->waiting_for_ != nullptr) return fiber->waiting_for_;
  if (fiber->waiting_on_ != nullptr) return fiber->waiting_on_->label().c_str();
  return "park";
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
  for (;;) {
    core_.tick_virtual_time();
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
    if (fiber->started_ || start(fiber)) return fiber;
  }
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
