// deterministic_picker.cpp: the deterministic mode's scheduling step. Its
// one worker runs every step here: virtual time moves on, due timers fire,
// outside work comes in, and the policy picks among the runnable fibers.
#include "deterministic_picker.h"

#include "switch.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

DeterministicPicker::DeterministicPicker(const Options& options)
    : options_(options), policy_(make_policy(options.policy, options.seed)) {}

Fiber* DeterministicPicker::choose(RunnableSet& runnable, Fiber* previous, const char* at) {
  const std::uint64_t previous_id = previous != nullptr ? previous->id() : 0;
  std::uint32_t choice = policy_->pick(runnable, previous_id, step_);
  if (choice >= runnable.size()) choice = 0;
  Fiber* chosen = runnable[choice];
  choices_.push_back(choice);
  // The hash covers who ran and out of how many: the same program and seed give
  // the same hash on any machine (ids are spawn order, not addresses).
  trace_hash_ = mix64(trace_hash_, chosen->id());
  trace_hash_ = mix64(trace_hash_, runnable.size());
  if (options_.record_trace) {
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

// pick_next_deterministic() is pick_next() in deterministic mode: one
// scheduling step, which may also pick `previous` again (at a yield point).
Fiber* Worker::pick_next_deterministic(Fiber* previous, const char* at) {
  for (;;) {
    core_.tick_virtual_time();
    if (!timers_.empty()) timers_.fire_due(core_.virtual_now());
    if (Fiber* injected = core_.take_injected()) runnable_.push_back(injected);
    if (core_.stopping(std::memory_order_relaxed) || runnable_.empty()) return &idle_;
    Fiber* fiber = core_.choose(runnable_, previous, at);
    if (fiber->started_ || start(fiber)) return fiber;
  }
}

}  // namespace tmpmc::runtime::detail
