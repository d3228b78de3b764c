// failure_class.h: the classes of a failed run, one enum for every place that
// writes or reads a class's name (stress mode, result/v1, stress/v1, compare).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/checker.h"

namespace tmpmc::scenarios {

// FailureClass: what broke. A run that broke several rules at once is filed
// under the first of them in this order: a replay that diverged from its
// schedule first (what it says about the queue is void: the run was not the
// recorded one), then a run the step cap stopped
// (livelock: no fiber made progress for half the cap; runaway: still making
// progress at the cap), then a hang (it is what the user sees), then an
// error, then duplicates (a slot read twice also loses the slot it skipped),
// then the rest, then a run that made no progress (its sends never began,
// or fewer messages arrived than its close rule needs: no_progress.h), the
// linearizability check's verdicts last (a lost message also makes the
// history fail it: the more specific class names the run). livelock,
// runaway and no_progress, like error, are not counts: a run stops once;
// nor are the two verdicts on a run's history.
enum class FailureClass {
  diverged,
  livelock,
  runaway,
  hang,
  error,
  duplicated,
  phantom,
  spurious_closed,
  lost,
  reordered,
  no_progress,       // a closed-loop run that attempted no send, or too few arrived
  not_linearizable,  // the history has no order that the specification allows
  undecided          // the linearizability search gave up: never a pass
};

// to_string(): the class's name ("hang", "spurious_closed", ...), as stress
// mode prints it and stress/v1 writes it.
std::string_view to_string(FailureClass failure) noexcept;
// failure_class_from_string(): the class of that name, or nothing.
std::optional<FailureClass> failure_class_from_string(std::string_view name) noexcept;

// The classes a run counts, in the order result/v1 writes their counts
// (error is a message, not a count).
inline constexpr std::array<FailureClass, 6> kCountedFailures = {
    FailureClass::lost,      FailureClass::duplicated, FailureClass::phantom,
    FailureClass::reordered, FailureClass::hang,       FailureClass::spurious_closed};

// count_name(): the key of the class's count in a result/v1 run ("hung" for
// hang: the count is of fibers); empty for error, diverged, livelock,
// runaway, no_progress and the history's verdicts.
std::string_view count_name(FailureClass failure) noexcept;
// count_of(): how many times a run broke the class's rule (0 for error,
// livelock and runaway).
std::uint64_t count_of(const CheckResult& check, FailureClass failure) noexcept;

// stop_class(): the class of a run the runtime stopped: at its step cap
// (livelock or runaway), or a replay that diverged; nothing for one stopped
// on request (unfinished).
std::optional<FailureClass> stop_class(runtime::StopKind stop) noexcept;
// stop_name(): "diverged", "livelock", "runaway" or "interrupted": a stopped run's
// "stopped" in result/v1.
std::string_view stop_name(runtime::StopKind stop) noexcept;

}  // namespace tmpmc::scenarios
