// deterministic_picker.h: the deterministic mode's scheduler: the runnable
// set, the policy that chooses from it (policies/), the record of each choice
// (trace hash, schedule, trace), and when a run must stop (the step cap, a
// stop request, a replay that diverged).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "happens_before.h"
#include "policies/policy.h"
#include "tmpmc/runtime/runtime.h"
#include "tmpmc/runtime/schedule.h"

namespace tmpmc::runtime::detail {

class Fiber;

// DeterministicPicker: touched only by the runtime's one worker thread, and
// read once that has stopped. Its memory does not grow with a run's length
// unless Options::record_trace or record_schedule asks for the record.
class DeterministicPicker {
 public:
  explicit DeterministicPicker(const Options& options);

  // begin_run(): a block_on starts; the step cap and the record count from here.
  void begin_run();

  // add(): `fiber` became runnable (the worker hands over what its queues
  // gathered since the last step, in the order it came).
  void add(Fiber* fiber) { runnable_.push_back(fiber); }
  // withdraw(): takes `fiber` out of the set again (a yielding fiber that
  // was a candidate but was not chosen: its worker re-queues it).
  void withdraw(Fiber* fiber) noexcept;
  bool empty() const noexcept { return runnable_.empty(); }
  // take_all(): empties the set (teardown).
  std::vector<Fiber*> take_all();

  // choose(): one scheduling step. Asks the policy, records the choice and
  // removes the chosen fiber from the set (which must not be empty).
  // `previous` gave up the worker at `at`. `fiber_wakes` counts the wakes so
  // far that fibers made (not timers): when it moves, the run made progress.
  // Returns nullptr, touching nothing, when the run must stop instead (stop()
  // says why).
  Fiber* choose(Fiber* previous, const char* at, std::uint64_t fiber_wakes);
  // end_step(): fiber `id`'s step ended, having made `accesses`; or, if
  // `ordered`, something the trace orders against everything (a spawn, a
  // finish). note_timers(): due timers woke fibers (ordered too). Both feed
  // the trace hash that the bounded search's choice points carry
  // (ChoicePoint::state; happens_before.h), and the count of steps that may
  // have written something (for the spinners, choose()).
  void end_step(std::uint64_t id, const HappensBeforeHash::Access* accesses, std::size_t count,
                bool ordered);
  // wait_in_spin(): `fiber` gave up the worker waiting in a spin (its re-read
  // would read what it read last). Until a step writes something, it is not
  // a candidate unless nothing else can run (choose()).
  void wait_in_spin(Fiber* fiber) noexcept;
  void note_timers() {
    ++writes_;
    if (track_trace_) happens_before_.ordered(0);
  }
  // note_progress(): a fiber finished.
  void note_progress() noexcept { last_progress_step_ = step_; }
  // end_of_run(): the run ended by itself (its root finished, or a
  // deadlock). False if the policy expected more steps (a replay): stop()
  // is then diverged.
  bool end_of_run();
  // stop(): why choose() or end_of_run() stopped the run, once one has;
  // divergence(): for a diverged run, at which step and why.
  const std::optional<StopKind>& stop() const noexcept { return stop_; }
  const std::string& divergence() const noexcept { return divergence_; }
  // steps(): the steps of the current run; steps_without_progress(): since the last progress.
  std::uint64_t steps() const noexcept { return step_ - run_start_step_; }
  std::uint64_t steps_without_progress() const noexcept { return step_ - last_progress_step_; }

  std::uint64_t trace_hash() const noexcept { return trace_hash_; }
  // reach(): a fiber passed through choice point site `id` (coverage, kept
  // over every run of the runtime); reached(): the sites passed so far.
  void reach(std::uint16_t id) noexcept { reached_.set(id); }
  const ChoicePointSet& reached() const noexcept { return reached_; }
  Granularity granularity() const noexcept { return options_.choice_points; }
  // The current (or last) run's schedule and trace, when recorded.
  const Schedule& schedule() const noexcept { return schedule_; }
  const std::vector<TraceEvent>& trace() const noexcept { return trace_; }

 private:
  // choose_from_runnable(): choose()'s step, once the candidates are set.
  Fiber* choose_from_runnable(Fiber* previous, const char* at);
  // must_stop(): the step cap is reached or a stop was requested.
  bool must_stop();
  // stop_diverged(): the policy could not go on; it says why.
  void stop_diverged();

  const Options& options_;
  const bool record_schedule_;
  const bool track_trace_;  // the bounded search's reduction needs the trace hash
  std::unique_ptr<Policy> policy_;
  RunnableSet runnable_;
  std::uint64_t trace_hash_ = 0;
  std::uint64_t step_ = 0;            // over every run of this runtime (the policies' clock)
  std::uint64_t run_start_step_ = 0;  // step_ when the current block_on began
  std::uint64_t last_progress_step_ = 0;
  std::uint64_t fiber_wakes_seen_ = 0;
  std::optional<StopKind> stop_;
  std::string divergence_;
  Schedule schedule_;              // record_schedule or record_trace only
  std::vector<TraceEvent> trace_;  // record_trace only
  ChoicePointSet reached_;
  // Steps so far that may have changed shared memory (a write, or a step
  // that is not one labelled access); starts at 1, so 0 means "not waiting".
  std::uint64_t writes_ = 1;
  std::vector<Fiber*> waiting_;  // choose()'s scratch: spinners sitting out
  HappensBeforeHash happens_before_;
};

}  // namespace tmpmc::runtime::detail
