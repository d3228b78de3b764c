// crash_report.cpp: the crash handler and the text it writes (crash_report.h).
// Everything the handler writes is prepared by CrashReportArming on the run's
// own thread before the run; the handler itself only formats numbers and
// calls write(2).
#include "tmpmc/scenarios/crash_report.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <string_view>

#include "stress/replay_command.h"
#include "tmpmc/runtime/signal_safe_text.h"
#include "tmpmc/scenarios/driver.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::scenarios {

namespace {

// A seed no run uses, to find where replay_command() puts the seed.
constexpr std::uint64_t kSentinelSeed = 18'446'744'073'709'551'557ULL;
constexpr std::string_view kSentinelSchedule = "v1.SCHEDULE";
// Steps of a schedule the handler can print: a run the step cap stops may
// have millions; a longer one replays by seed instead.
constexpr std::size_t kTapItems = std::size_t{1} << 20;

// What the handler writes, prepared before the run. Written only on the
// run's thread between runs, read by the handler (on that thread, when the
// run crashes).
struct CrashText {
  std::string heading;         // "... scenario "X" on impl Y (policy P"
  std::string by_schedule[2];  // the replay command around the schedule
  std::string by_seed[2];      // the replay command around the seed ("" if none)
  std::uint64_t seed = 0;
  bool deterministic = false;
  // What the text was prepared for: a run of another config, policy or cap
  // prepares it again (stress's runs of one scenario differ only in seed).
  std::string source, name, impl, policy;
  std::uint64_t max_steps = 0;
};

std::atomic<bool> g_installed{false};
std::atomic<bool> g_armed{false};
CrashText* g_text = nullptr;            // allocated once, by install
runtime::ScheduleTap* g_tap = nullptr;  // idem

std::string_view signal_name(int signal) noexcept {
  switch (signal) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "a signal";
  }
}

extern "C" void on_crash(int signal) {
  // SA_RESETHAND has put the default action back: a crash in here, or the
  // raise below, ends the process with this signal.
  if (g_armed.load(std::memory_order_relaxed)) {
    const CrashText& text = *g_text;
    runtime::SignalSafeText out(STDERR_FILENO);
    out.put("\ntmpmc-bench: crashed with ");
    out.put(signal_name(signal));
    out.put(text.heading);
    if (text.deterministic) {
      out.put(", seed ");
      out.put_number(text.seed);
      out.put("), at step ");
      out.put_number(g_tap->steps());
      out.put("\n  schedule so far: ");
      if (g_tap->write_text(out)) {
        out.put("\n  replay: ");
        out.put(text.by_schedule[0]);
        g_tap->write_text(out);
        out.put(text.by_schedule[1]);
      } else if (!text.by_seed[0].empty()) {
        out.put("(too long to keep)\n  replay: ");
        out.put(text.by_seed[0]);
        out.put_number(text.seed);
        out.put(text.by_seed[1]);
      } else {
        out.put("(too long to keep; no replay by seed under this policy)");
      }
    } else {
      out.put("; real threads: no schedule to replay");
    }
    out.put("\n");
    out.flush();
  }
  ::raise(signal);
}

// split(text, at): the text before and after the first `at` ({text, ""} if none).
void split(const std::string& text, std::string_view at, std::string (&out)[2]) {
  const auto where = text.find(at);
  if (where == std::string::npos) {
    out[0] = text;
    out[1].clear();
    return;
  }
  out[0] = text.substr(0, where);
  out[1] = text.substr(where + at.size());
}

}  // namespace

void install_crash_report() {
  if (g_installed.exchange(true)) return;
  g_text = new CrashText();                     // never freed: the handler may
  g_tap = new runtime::ScheduleTap(kTapItems);  // run as the process dies
  struct sigaction action {};
  action.sa_handler = on_crash;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGABRT}) sigaction(signal, &action, nullptr);
}

CrashReportArming::CrashReportArming(const ScenarioConfig& config, const DriverOptions& options) {
  if (!g_installed.load(std::memory_order_relaxed) || g_armed.load(std::memory_order_relaxed))
    return;
  CrashText& text = *g_text;
  const bool deterministic = config.runtime.deterministic;
  // Compared field by field, without building a key: this runs once per run.
  std::string policy = policy_text(options.policy);
  if (text.source != config.source || text.name != config.name || text.impl != config.queue.impl ||
      text.policy != policy || text.max_steps != options.max_steps ||
      text.deterministic != deterministic || text.heading.empty()) {
    StressOptions replay;
    replay.policy = options.policy;
    replay.max_steps = options.max_steps;
    replay.workers = 1;
    replay.config_path = config.source;
    text.heading = " in a " + std::string(deterministic ? "deterministic " : "") +
                   "run of scenario \"" + config.name + "\" on impl " + config.queue.impl;
    if (deterministic) text.heading += " (policy " + policy;
    split(replay_command(config, 0, std::string(kSentinelSchedule), replay, false),
          kSentinelSchedule, text.by_schedule);
    // By seed: only a policy that a seed fixes (not a bounded search's
    // enumeration, nor a replay).
    const bool seeded = options.policy.kind != runtime::PolicyKind::bounded &&
                        options.policy.kind != runtime::PolicyKind::replay;
    if (seeded) {
      split(replay_command(config, kSentinelSeed, "", replay, false), std::to_string(kSentinelSeed),
            text.by_seed);
    } else {
      text.by_seed[0].clear();
      text.by_seed[1].clear();
    }
    text.source = config.source;
    text.name = config.name;
    text.impl = config.queue.impl;
    text.policy = std::move(policy);
    text.max_steps = options.max_steps;
  }
  text.seed = config.runtime.seed;
  text.deterministic = deterministic;
  g_armed.store(true, std::memory_order_relaxed);
  armed_ = true;
}

CrashReportArming::~CrashReportArming() {
  if (armed_) g_armed.store(false, std::memory_order_relaxed);
}

runtime::ScheduleTap* crash_schedule_tap() noexcept {
  return g_armed.load(std::memory_order_relaxed) ? g_tap : nullptr;
}

}  // namespace tmpmc::scenarios
