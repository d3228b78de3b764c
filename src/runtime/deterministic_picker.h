// deterministic_picker.h: how a deterministic runtime picks the next fiber,
// and the record of its picks (trace hash, and with record_trace the choices
// and the trace), and when it stops a run (the step cap, a stop request).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "policy.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::runtime::detail {

class Fiber;

// DeterministicPicker: the policy (policy.h) plus what each of its choices
// leaves behind. Touched only by the runtime's one worker thread, and read
// once that has stopped. Its memory does not grow with a run's length unless
// Options::record_trace asks for the trace.
class DeterministicPicker {
 public:
  explicit DeterministicPicker(const Options& options);

  // begin_run(): a block_on starts; the step cap counts from here.
  void begin_run() noexcept;

  // choose() asks the policy, records the choice and removes the fiber from
  // `runnable` (which must not be empty). `previous` gave up the worker at `at`.
  // `fiber_wakes` counts the wakes so far that fibers made (not timers): when
  // it moves, the run made progress. Returns nullptr, touching nothing, when
  // the run must stop instead (stop() says why).
  Fiber* choose(RunnableSet& runnable, Fiber* previous, const char* at, std::uint64_t fiber_wakes);
  // note_progress(): a fiber finished.
  void note_progress() noexcept { last_progress_step_ = step_; }
  // stop(): why choose() stopped the run, once it has.
  const std::optional<StopKind>& stop() const noexcept { return stop_; }
  // steps(): the steps of the current run; steps_without_progress(): since the last progress.
  std::uint64_t steps() const noexcept { return step_ - run_start_step_; }
  std::uint64_t steps_without_progress() const noexcept { return step_ - last_progress_step_; }

  std::uint64_t trace_hash() const noexcept { return trace_hash_; }
  const std::vector<std::uint32_t>& choices() const noexcept { return choices_; }
  const std::vector<TraceEvent>& trace() const noexcept { return trace_; }

 private:
  // must_stop(): the step cap is reached or a stop was requested.
  bool must_stop();

  const Options& options_;
  std::unique_ptr<Policy> policy_;
  std::uint64_t trace_hash_ = 0;
  std::uint64_t step_ = 0;            // over every run of this runtime (the policies' clock)
  std::uint64_t run_start_step_ = 0;  // step_ when the current block_on began
  std::uint64_t last_progress_step_ = 0;
  std::uint64_t fiber_wakes_seen_ = 0;
  std::optional<StopKind> stop_;
  std::vector<std::uint32_t> choices_;  // record_trace only
  std::vector<TraceEvent> trace_;       // record_trace only
};

}  // namespace tmpmc::runtime::detail
