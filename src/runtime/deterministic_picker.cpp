// deterministic_picker.cpp: the deterministic mode's scheduling step. Its
// one worker runs every step here: virtual time moves on, due timers fire,
// outside work comes in, and the policy picks among the runnable fibers.
#include "deterministic_picker.h"

#include "switch.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

DeterministicPicker::DeterministicPicker(const Options& options)
    : options_(options), policy_(make_policy(options.policy, options.seed)) {}

void DeterministicPicker::begin_run() noexcept {
  run_start_step_ = step_;
  last_progress_step_ = step_;
  stop_.reset();
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

Fiber* DeterministicPicker::choose(RunnableSet& runnable, Fiber* previous, const char* at,
                                   std::uint64_t fiber_wakes) {
  if (fiber_wakes != fiber_wakes_seen_) {
    fiber_wakes_seen_ = fiber_wakes;
    last_progress_step_ = step_;
  }
  if (must_stop()) return nullptr;
  const std::uint64_t previous_id = previous != nullptr ? previous->id() : 0;
  std::uint32_t choice = policy_->pick(runnable, previous_id, step_);
  if (choice >= runnable.size()) choice = 0;
  Fiber* chosen = runnable[choice];
  // The hash covers who ran and out of how many: the same program and seed give
  // the same hash on any machine (ids are spawn order, not addresses). It is
  // the whole record of a run unless the trace is asked for.
  trace_hash_ = mix64(trace_hash_, chosen->id());
  trace_hash_ = mix64(trace_hash_, runnable.size());
  if (options_.record_trace) {
    choices_.push_back(choice);
    trace_.push_back(TraceEvent{step_, chosen->id(), chosen->display_name(),
                                previous != nullptr ? previous->display_name() : "",
                                at != nullptr ? at : "",
                                options_.trace_state ? options_.trace_state() : std::string(),
                                choice, static_cast<std::uint32_t>(runnable.size())});
  }
  ++step_;
  // O(1) removal that keeps FIFO order at the front (round robin picks index 0).
  if (choice == 0) {
    runnable.pop_front();
  } else {
    runnable[choice] = runnable.back();
    runnable.pop_back();
  }
  return chosen;
}

// fire_due_timers() fires the due timers of a deterministic worker, counting
// the wakes they make apart from the wakes fibers make (progress).
void Worker::fire_due_timers() {
  if (timers_.empty()) return;
  const std::uint64_t before = counters_.wakes.load(std::memory_order_relaxed);
  timers_.fire_due(core_.virtual_now());
  timer_wakes_ += counters_.wakes.load(std::memory_order_relaxed) - before;
}

// pick_next_deterministic() is pick_next() in deterministic mode: one
// scheduling step, which may also pick `previous` again (at a yield point).
// When the picker stops the run, the runtime is stopping and the idle
// context takes over (as for a deadlock).
Fiber* Worker::pick_next_deterministic(Fiber* previous, const char* at) {
  for (;;) {
    core_.tick_virtual_time();
    fire_due_timers();
    if (Fiber* injected = core_.take_injected()) runnable_.push_back(injected);
    if (core_.stopping(std::memory_order_relaxed) || runnable_.empty()) return &idle_;
    // Where it gave up the worker, for the report of a run stopped while it is runnable.
    if (previous != &idle_) previous->last_switch_at_ = at;
    const std::uint64_t fiber_wakes =
        counters_.wakes.load(std::memory_order_relaxed) - timer_wakes_;
    Fiber* fiber = core_.choose(runnable_, previous, at, fiber_wakes);
    if (fiber == nullptr) return &idle_;
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

}  // namespace tmpmc::runtime::detail
