// crash_report.h: what a deterministic run leaves behind when the queue under
// test crashes the process. A queue that corrupts memory can take the tool
// down with it (SIGSEGV, SIGBUS, SIGFPE, SIGABRT); without this, stress dies
// with no seed, no schedule, nothing to replay. With it, the dying process
// writes to stderr the scenario, the impl, the policy and seed, the schedule
// so far and the `tmpmc-bench run ... --schedule S` command that replays it
// to the same crash; then the signal is raised again with its default action,
// so the exit status still names it.
//
// The handler is async-signal-safe: it uses write(2) on text prepared before
// the run (the replay command's words) and on the schedule so far, which the
// deterministic picker appends to a buffer allocated once
// (runtime::ScheduleTap). Not covered: a fiber that overflows its stack (the
// handler would run on the overflowed stack), and runs on real threads (no
// schedule to replay; a crash there prints only the scenario).
#pragma once

#include "tmpmc/runtime/schedule.h"
#include "tmpmc/scenarios/config.h"

namespace tmpmc::scenarios {

struct DriverOptions;

// install_crash_report(): the handlers, for the whole process; the CLI calls
// it once. Until then no run is armed, and nothing costs anything.
void install_crash_report();

// CrashReportArming: while it lives, a crash prints the report of this run
// of `config` (run_scenario arms each run). Only on the thread that builds
// it; nested armings keep the outer one's text.
class CrashReportArming {
 public:
  CrashReportArming(const ScenarioConfig& config, const DriverOptions& options);
  ~CrashReportArming();
  CrashReportArming(const CrashReportArming&) = delete;
  CrashReportArming& operator=(const CrashReportArming&) = delete;

 private:
  bool armed_ = false;
};

// crash_schedule_tap(): the buffer an armed deterministic run appends its
// steps to (runtime::Options::schedule_tap); nullptr when none is armed.
runtime::ScheduleTap* crash_schedule_tap() noexcept;

}  // namespace tmpmc::scenarios
