// driver.h: runs one scenario once, on the runtime, and accounts for every message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/checker.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/histogram.h"
#include "tmpmc/scenarios/linearizability.h"
#include "tmpmc/scenarios/timestamp.h"

namespace tmpmc::scenarios {

// Interval: one period of a run (DriverOptions::interval), recorded while it
// runs: what a soak's result shows over time.
struct Interval {
  double end_s = 0;                                               // since the run started
  double length_s = 0;                                            // the last one may be shorter
  std::uint64_t received = 0;                                     // messages received in it
  double msgs_per_sec = 0;                                        // received / length_s
  std::uint64_t latency_samples = 0;                              // stamped messages received in it
  std::uint64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;  // of those
  std::uint64_t rss_bytes = 0;  // the process's resident set at its end
};

struct RunResult {
  double elapsed_s = 0;  // wall time, from setting up the run to checking it
  // The run on its executor's clock, from the start of its first task to the
  // end of its last: virtual time in deterministic mode (what a timed run's
  // length is checked against there), else about elapsed_s less the set-up.
  // 0 if the run hung.
  double clock_elapsed_s = 0;
  double msgs_per_sec = 0;
  CheckResult check;
  Histogram latency;
  // Open loop: how late each send started against its intended time (ns):
  // the tool's pacing error, which latency includes.
  Histogram send_lateness;
  std::optional<std::uint64_t> trace_hash;  // deterministic mode only
  // Deterministic mode with DriverOptions::record_schedule (or trace): the
  // run's schedule (runtime/schedule.h), which `run --schedule` replays.
  std::optional<runtime::Schedule> schedule;
  std::vector<runtime::TraceEvent> trace;  // deterministic mode with DriverOptions::trace
  // Exact-mode runs: a hash of what the run delivered to whom, in which
  // order, and what it refused (driver_loops.h, outcome_of); 0 otherwise.
  std::uint64_t outcome = 0;
  // Deterministic mode: the choice point sites (runtime/choice_point.h) the
  // run passed through, by id: its coverage.
  runtime::ChoicePointSet choice_points_reached;
  runtime::RuntimeStats stats;
  // Our queue: its ring ran shared across threads by the run's end (a
  // second thread upgraded it from confined: queue/detail/confinement.h).
  // Unset for queues that cannot say, and for channel runs.
  std::optional<bool> queue_shared;
  std::vector<std::string> stuck_fibers;  // hang or deadlock report, one line per fiber
  std::string stuck_summary;
  std::string error;  // the run could not complete (e.g. out of memory)
  // The run made no progress (no_progress.h): why, e.g. "no send was
  // attempted"; empty when it did, or when the rule does not apply.
  std::string no_progress;
  bool interrupted = false;
  std::vector<Interval> intervals;  // real-time runs with DriverOptions::interval
  // Deterministic runs with DriverOptions::check_linearizability: the
  // verdict on the run's recorded history (linearizability.h), and the
  // report's lines for a verdict other than linearizable.
  std::optional<LinearizabilityVerdict> linearizability;
  std::vector<std::string> linearizability_report;
  // Deterministic mode: the runtime stopped the run (its step cap, a stop
  // request, a replay that diverged); stuck_fibers and stuck_summary then
  // say where each fiber was (and for a divergence, at which step and why).
  std::optional<runtime::StopKind> stopped;
};

// The payload sizes messages come in: payload_bytes is rounded up to one
// (beyond the last, it is the last). Each bucket instantiates the producer
// and consumer loops of every backend once more. Sanitizer builds check the
// loops, not what copying a payload costs, so they carry two sizes: a third of
// the instantiations, which is most of their compile time in CI. The report's
// payload_bytes_effective says what a run carried.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr unsigned kPayloadBuckets[] = {0, 64};
#else
inline constexpr unsigned kPayloadBuckets[] = {0, 16, 64, 256, 1024, 4096};
#endif
unsigned effective_payload_bytes(unsigned payload_bytes) noexcept;

struct DriverOptions {
  const TimestampClock* clock = nullptr;
  // Set (by a signal handler) to end the run early: producers stop sending.
  const std::atomic<bool>* interrupt = nullptr;
  // Log memory reused from run to run (optional; see LogArena).
  LogArena* log_arena = nullptr;
  // Recording compiled out: no logs, stamps or histogram in the message loops
  // (BM_DriverOverhead/bare, tmpmc only; the checks then report nothing).
  bool record = true;
  // Deterministic mode: how the runtime picks the next fiber (a replay's
  // schedule in policy.replay), whether to keep every scheduling event
  // (RunResult::trace), and whether to keep the run's schedule
  // (RunResult::schedule: 8 bytes per choice while it runs).
  runtime::SchedulePolicy policy;
  // Deterministic mode, exact check: record every queue operation and check
  // the history's linearizability (RunResult::linearizability). Stress sets it.
  bool check_linearizability = false;
  bool trace = false;
  bool record_schedule = false;
  // Deterministic mode: which labelled accesses are choice points
  // (runtime::Options::choice_points).
  runtime::Granularity choice_points = runtime::Granularity::every_access;
  // Deterministic mode: the runtime's step cap per run (runtime::Options::max_steps).
  std::uint64_t max_steps = runtime::Options::kDefaultMaxSteps;
  // Deterministic mode: a run still going at this time is stopped (with
  // `interrupt`, checked every few steps inside the run, not only by the
  // producers), and marked RunResult::stopped = interrupted.
  std::optional<std::chrono::steady_clock::time_point> stop_at;
  // Runs the scenario instead of the config's queue.impl (tests run broken
  // queues, "mutants", through the same driver and checks).
  std::function<RunResult(const ScenarioConfig&, const DriverOptions&)> run_instead;
  // Real-time runs record an Interval this often (0: none), from a thread of
  // their own, and pass each to on_interval (if set) as it ends.
  std::chrono::milliseconds interval{0};
  std::function<void(const Interval&)> on_interval;
};

// run_scenario() runs `config` once: a fresh runtime (or executor), queue and
// fibers, on the implementation named by config.queue.impl. A deterministic
// run under PCT with pct_expected_choices 0 learns it first (pct_choices).
RunResult run_scenario(const ScenarioConfig& config, const DriverOptions& options);

// pct_choices(): PCT's k for `config` (runtime.h, pct_expected_choices): the
// choices of one deterministic run of it under the random policy at seed 1.
// It depends on the scenario only, not on the seed nor the command, so that
// `run --seed N --policy pct:D` replays what stress's seed N ran. At least 1.
std::uint64_t pct_choices(const ScenarioConfig& config, const DriverOptions& options);

// check_mode(): how a run of `config` checks its messages: its `check`, with
// auto resolved by the run's length (config.h, CheckSetting).
CheckMode check_mode(const ScenarioConfig& config) noexcept;

// impl_note(): what running `config` on its queue.impl changes about it
// ("" when nothing), for the report; e.g. boost-fiber's rounded capacity.
std::string impl_note(const ScenarioConfig& config);

// busy_work(ns): calibrated CPU work, the config's work_ns. Inline: it is
// called on every message, and usually with 0.
void spin_for_ticks(const TimestampClock& clock, std::uint64_t ns) noexcept;
inline void busy_work(const TimestampClock& clock, std::uint64_t ns) noexcept {
  if (ns != 0) spin_for_ticks(clock, ns);
}

}  // namespace tmpmc::scenarios
