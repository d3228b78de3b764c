#include "tmpmc/results/stress_report.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "text_table.h"
#include "tmpmc/results/facts.h"
#include "tmpmc/results/schema.h"
#include "tmpmc/results/units.h"

namespace tmpmc::results {

using nlohmann::json;

namespace {

std::string fixed(double value, int decimals) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

void print_stress(std::ostream& out, const std::vector<scenarios::StressResult>& results,
                  const scenarios::StressOptions& options) {
  using detail::Align;
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : results) {
    rows.push_back({r.scenario, r.impl, std::to_string(r.seeds_run) + " seeds",
                    fixed(r.seeds_per_sec, 0) + " seeds/s",
                    r.failure       ? "FAIL"
                    : r.out_of_time ? "pass (time budget reached)"
                                    : "pass"});
  }
  detail::print_columns(out, rows, {Align::left, Align::left, Align::right, Align::right});
  for (const auto& r : results) {
    if (!r.failure) continue;
    const scenarios::StressFailure& f = *r.failure;
    out << "\nFAIL: " << r.scenario << " on " << r.impl << ", seed " << f.seed << " (after "
        << r.seeds_run << " seeds): " << f.kind << "\n";
    for (const auto& line : f.lines) out << "  " << line << "\n";
    if (f.trace_hash != 0) out << "  trace_hash " << detail::hex16(f.trace_hash) << "\n";
    if (!f.schedule.empty()) out << "schedule: " << f.schedule << "\n";
    if (!f.schedule_note.empty()) out << "schedule: " << f.schedule_note << "\n";
    out << "replay: " << f.replay << "\n";
  }
  std::uint64_t seeds = 0;
  double seconds = 0;
  for (const auto& r : results) {
    seeds += r.seeds_run;
    seconds += r.elapsed_s;
  }
  out << "\n"
      << seeds << " seeds in " << fixed(seconds, 2) << " s ("
      << fixed(seconds > 0 ? static_cast<double>(seeds) / seconds : 0, 0) << " seeds/s), policy "
      << scenarios::policy_text(options.policy) << ", "
      << (options.workers <= 1 ? "deterministic" : "real threads") << "\n";
}

json to_json(const std::vector<scenarios::StressResult>& results,
             const scenarios::StressOptions& options) {
  json doc;
  doc["schema"] = kStressSchema;
  doc["tool"] = tool_info();
  doc["host"] = host_info();
  doc["policy"] = scenarios::policy_text(options.policy);
  doc["workers"] = options.workers;
  doc["seed_start"] = options.seed_start;
  doc["scenarios"] = json::array();
  for (const auto& r : results) {
    json s = {{"name", r.scenario},           {"impl", r.impl},
              {"seeds_run", r.seeds_run},     {"seeds_per_sec", r.seeds_per_sec},
              {"elapsed_s", r.elapsed_s},     {"messages_received", r.messages},
              {"out_of_time", r.out_of_time}, {"verdict", r.failure ? "fail" : "pass"}};
    if (r.failure) {
      s["failure"] = {{"seed", r.failure->seed},
                      {"kind", r.failure->kind},
                      {"lines", r.failure->lines},
                      {"replay", r.failure->replay},
                      {"schedule", r.failure->schedule},
                      {"trace_hash", detail::hex16(r.failure->trace_hash)}};
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
