// stress_report.cpp: stress mode's findings as lines for people and as stress/v1.
#include "tmpmc/results/stress_report.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "text_table.h"
#include "tmpmc/results/facts.h"
#include "tmpmc/results/schema.h"
#include "tmpmc/results/units.h"
#include "tmpmc/scenarios/coverage.h"

namespace tmpmc::results {

using nlohmann::json;

namespace {

std::string fixed(double value, int decimals) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Choice point coverage exists for deterministic runs only (the picker
// records it; real threads have no choice points).
bool has_coverage(const scenarios::StressOptions& options) { return options.workers <= 1; }

void print_coverage(std::ostream& out, const std::vector<scenarios::StressResult>& results) {
  out << "\nchoice points reached (queue, runtime):\n";
  for (const auto& r : results) {
    const scenarios::Coverage c = scenarios::coverage_of(r.choice_points_reached);
    out << r.scenario << ": queue " << c.queue.reached << "/" << c.queue.total << ", runtime "
        << c.runtime.reached << "/" << c.runtime.total << "\n";
    for (const auto* part : {&c.queue, &c.runtime}) {
      for (const auto& label : part->unreached) out << "  not reached: " << label << "\n";
    }
  }
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void print_shrunk(std::ostream& out, const scenarios::ShrinkReport& s) {
  out << "shrunk: " << plural(s.preemptions, "preemption", "preemptions") << ", "
      << plural(s.steps, "step", "steps") << " (from "
      << plural(s.original_preemptions, "preemption", "preemptions") << ", "
      << plural(s.original_steps, "step", "steps") << "; " << plural(s.runs, "run", "runs") << ")"
      << (s.fewer_ruled_out ? "; no schedule with fewer preemptions fails this way" : "") << "\n";
  for (const auto& line : s.switches) out << "  " << line << "\n";
}

json coverage_json(const scenarios::CoverageCount& c) {
  return {{"reached", c.reached}, {"total", c.total}, {"unreached", c.unreached}};
}

}  // namespace

void print_stress(std::ostream& out, const std::vector<scenarios::StressResult>& results,
                  const scenarios::StressOptions& options) {
  using detail::Align;
  const bool bounded = options.explore == scenarios::Explore::bounded;
  const char* unit = bounded ? " schedules" : " seeds";
  std::vector<std::vector<std::string>> rows;
  rows.reserve(results.size());
  for (const auto& r : results) {
    rows.push_back({r.scenario, r.impl, std::to_string(r.seeds_run) + unit,
                    fixed(r.seeds_per_sec, 0) + unit + "/s",
                    r.failure       ? "FAIL"
                    : r.interrupted ? "interrupted (the search did not stop)"
                    : r.out_of_time ? "pass (time budget reached)"
                                    : "pass"});
  }
  detail::print_columns(out, rows, {Align::left, Align::left, Align::right, Align::right});
  if (bounded) {
    // One line per scenario and bound: how many schedules, and whether that was all.
    out << "\n";
    for (const auto& r : results) {
      for (const auto& b : r.bounds) {
        out << r.scenario << " bound " << b.bound << ": " << b.schedules << " schedules, "
            << (b.exhausted ? "exhausted"
                : r.failure ? "stopped at the failure"
                            : "stopped at the budget")
            << "\n";
      }
    }
  }
  bool learned = false;
  for (const auto& r : results) {
    if (r.pct_choices == 0) continue;
    if (!learned) out << "\nPCT's k, the choices of a first run (change points fall below it):\n";
    learned = true;
    out << r.scenario << ": k = " << r.pct_choices << "\n";
  }
  if (has_coverage(options)) print_coverage(out, results);
  for (const auto& r : results) {
    if (!r.failure) continue;
    const scenarios::StressFailure& f = *r.failure;
    out << "\nFAIL: " << r.scenario << " on " << r.impl;
    if (f.bound) {
      out << ", bound " << *f.bound << " (after " << r.seeds_run << " schedules): " << f.kind
          << "\n";
    } else {
      out << ", seed " << f.seed << " (after " << r.seeds_run << " seeds): " << f.kind << "\n";
    }
    if (f.kinds.size() > 1) {
      out << "  also";
      for (std::size_t i = 1; i < f.kinds.size(); ++i) out << (i > 1 ? ", " : " ") << f.kinds[i];
      out << "\n";
    }
    for (const auto& line : f.lines) out << "  " << line << "\n";
    if (f.trace_hash != 0) out << "  trace_hash " << detail::hex16(f.trace_hash) << "\n";
    if (f.shrunk) print_shrunk(out, *f.shrunk);
    if (!f.schedule.empty()) out << "schedule: " << f.schedule << "\n";
    if (!f.schedule_note.empty()) out << "schedule: " << f.schedule_note << "\n";
    out << "replay: " << f.replay << "\n";
  }
  std::uint64_t runs = 0;
  double seconds = 0;
  for (const auto& r : results) {
    runs += r.seeds_run;
    seconds += r.elapsed_s;
  }
  out << "\n"
      << runs << unit << " in " << fixed(seconds, 2) << " s ("
      << fixed(seconds > 0 ? static_cast<double>(runs) / seconds : 0, 0) << unit << "/s), ";
  if (bounded) {
    out << "bounded search to " << options.bound << " preemptions";
    if (options.shard.count > 1) {
      out << ", shard " << options.shard.index << "/" << options.shard.count;
    }
    out << ", deterministic\n";
    return;
  }
  out << "policy " << scenarios::policy_text(options.policy) << ", "
      << (options.workers <= 1 ? std::string("deterministic")
                               : "real threads (" + std::to_string(options.workers) + " workers, " +
                                     scenarios::to_string(options.placement) + ")")
      << "\n";
}

json to_json(const std::vector<scenarios::StressResult>& results,
             const scenarios::StressOptions& options) {
  json doc;
  doc["schema"] = kStressSchema;
  doc["tool"] = tool_info();
  doc["host"] = host_info();
  const bool bounded = options.explore == scenarios::Explore::bounded;
  doc["explore"] = bounded ? "bounded" : "seeds";
  if (bounded) {
    doc["bound"] = options.bound;
    doc["shard"] = std::to_string(options.shard.index) + "/" + std::to_string(options.shard.count);
  } else {
    doc["policy"] = scenarios::policy_text(options.policy);
  }
  doc["workers"] = options.workers;
  if (options.workers > 1) doc["placement"] = scenarios::to_string(options.placement);
  doc["seed_start"] = options.seed_start;
  doc["scenarios"] = json::array();
  for (const auto& r : results) {
    json s = {{"name", r.scenario},
              {"impl", r.impl},
              {"seeds_run", r.seeds_run},
              {"seeds_per_sec", r.seeds_per_sec},
              {"elapsed_s", r.elapsed_s},
              {"messages_received", r.messages},
              {"out_of_time", r.out_of_time},
              {"verdict", r.failure       ? "fail"
                          : r.interrupted ? "interrupted"
                                          : "pass"}};
    if (bounded) {
      s["schedules"] = r.seeds_run;
      s["bounds"] = json::array();
      for (const auto& b : r.bounds) {
        s["bounds"].push_back(
            {{"bound", b.bound}, {"schedules", b.schedules}, {"exhausted", b.exhausted}});
      }
    }
    if (r.pct_choices != 0) s["pct_choices"] = r.pct_choices;
    if (has_coverage(options)) {
      const scenarios::Coverage c = scenarios::coverage_of(r.choice_points_reached);
      s["coverage"] = {{"queue", coverage_json(c.queue)}, {"runtime", coverage_json(c.runtime)}};
    }
    if (r.failure) {
      s["failure"] = {{"seed", r.failure->seed},
                      {"kind", r.failure->kind},
                      {"kinds", r.failure->kinds},
                      {"lines", r.failure->lines},
                      {"replay", r.failure->replay},
                      {"schedule", r.failure->schedule},
                      {"trace_hash", detail::hex16(r.failure->trace_hash)}};
      if (r.failure->bound) s["failure"]["bound"] = *r.failure->bound;
      if (const auto& shrunk = r.failure->shrunk) {
        s["failure"]["shrunk"] = {{"preemptions", shrunk->preemptions},
                                  {"steps", shrunk->steps},
                                  {"original_preemptions", shrunk->original_preemptions},
                                  {"original_steps", shrunk->original_steps},
                                  {"runs", shrunk->runs},
                                  {"fewer_ruled_out", shrunk->fewer_ruled_out},
                                  {"switches", shrunk->switches}};
      }
    }
    doc["scenarios"].push_back(std::move(s));
  }
  return doc;
}

bool any_failed(const std::vector<scenarios::StressResult>& results) noexcept {
  return std::any_of(results.begin(), results.end(),
                     [](const auto& r) { return r.failure.has_value(); });
}

}  // namespace tmpmc::results
