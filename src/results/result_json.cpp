// result_json.cpp: run results to the result/v1 document and back.
#include "tmpmc/results/result_json.h"

#include "tmpmc/results/facts.h"
#include "tmpmc/results/schema.h"
#include "tmpmc/results/units.h"
#include "tmpmc/scenarios/failure_class.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::results {

using nlohmann::json;

namespace {

json latency_json(const scenarios::Histogram& h) {
  return {{"p50", h.percentile(50)},    {"p90", h.percentile(90)},      {"p99", h.percentile(99)},
          {"p999", h.percentile(99.9)}, {"p9999", h.percentile(99.99)}, {"max", h.max()},
          {"mean", h.mean()},           {"samples", h.count()}};
}

// The percentile spectrum for plots: 50% to 99.99%, denser towards the tail.
json spectrum_json(const scenarios::Histogram& h) {
  json points = json::array();
  for (double p : {50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0}) {
    points.push_back(json::array({p, h.percentile(p)}));
  }
  return points;
}

// One Interval record: the run's figures over that period (a soak over time).
json interval_json(const scenarios::Interval& in) {
  return {{"end_s", in.end_s},
          {"length_s", in.length_s},
          {"received", in.received},
          {"msgs_per_sec", in.msgs_per_sec},
          {"latency_ns",
           {{"p50", in.p50_ns},
            {"p99", in.p99_ns},
            {"p999", in.p999_ns},
            {"max", in.max_ns},
            {"samples", in.latency_samples}}},
          {"rss_bytes", in.rss_bytes}};
}

}  // namespace

json to_json(const std::vector<ScenarioResult>& results, const ReportContext& context) {
  json doc;
  doc["schema"] = kResultSchema;
  doc["tool"] = tool_info();
  doc["host"] = host_info();
  doc["started_at"] = context.started_at;
  doc["latency_clock"] = context.clock;
  doc["scenarios"] = json::array();
  for (const auto& r : results) {
    json s;
    s["name"] = r.config.name;
    s["config"] = r.config.to_json();
    s["config"]["producers"]["payload_bytes_effective"] =
        scenarios::effective_payload_bytes(r.config.producers.payload_bytes);
    s["runs"] = json::array();
    const bool open_loop = r.config.producers.rate_per_sec > 0;
    for (const auto& run : r.runs) {
      json j = {{"elapsed_s", run.elapsed_s},
                {"msgs_per_sec", run.msgs_per_sec},
                {"sent", run.check.sent},
                {"send_closed", run.check.send_closed},
                {"send_timeout", run.check.send_timeout},
                {"received", run.check.received},
                {"left_in_queue", run.check.left_in_queue},
                {"check_mode", scenarios::to_string(run.check.mode)},
                {"latency_ns", latency_json(run.latency)},
                {"runtime",
                 {{"switches", run.stats.switches},
                  {"parks", run.stats.parks},
                  {"steals", run.stats.steals},
                  // Wakes and spawns of pinned fibers handed to another worker.
                  {"cross_worker_wakes", run.stats.cross_worker_wakes},
                  {"switches_per_msg",
                   run.check.received ? static_cast<double>(run.stats.switches) / run.check.received
                                      : 0.0}}}};
      // Open loop: the sends' lateness, the part of latency_ns that is the
      // tool's pacing (every message's; a closed loop has none).
      if (open_loop) j["send_lateness_ns"] = latency_json(run.send_lateness);
      for (const scenarios::FailureClass counted : scenarios::kCountedFailures) {
        j[std::string(scenarios::count_name(counted))] = scenarios::count_of(run.check, counted);
      }
      if (run.queue_shared) j["queue_shared"] = *run.queue_shared;
      if (run.trace_hash) j["trace_hash"] = detail::hex16(*run.trace_hash);
      // Deterministic runs: the verdict on the history of the queue's answers.
      if (run.linearizability) {
        using Kind = scenarios::LinearizabilityVerdict::Kind;
        const Kind kind = run.linearizability->kind;
        j["linearizability"] = kind == Kind::linearizable       ? "linearizable"
                               : kind == Kind::not_linearizable ? "not_linearizable"
                                                                : "undecided";
      }
      // A failed deterministic run's schedule, which `run --schedule` replays.
      if (const std::string schedule = scenarios::failure_schedule(run); !schedule.empty())
        j["schedule"] = schedule;
      if (!run.stuck_fibers.empty()) j["stuck_fibers"] = run.stuck_fibers;
      if (run.stopped) j["stopped"] = std::string(scenarios::stop_name(*run.stopped));
      if (!run.error.empty()) j["error"] = run.error;
      if (!run.no_progress.empty()) j["no_progress"] = run.no_progress;
      if (run.interrupted) j["interrupted"] = true;
      if (!run.intervals.empty()) {
        j["intervals"] = json::array();
        for (const auto& in : run.intervals) j["intervals"].push_back(interval_json(in));
      }
      s["runs"].push_back(std::move(j));
    }
    s["summary"] = {{"msgs_per_sec",
                     {{"median", r.median_msgs_per_sec},
                      {"min", r.min_msgs_per_sec},
                      {"max", r.max_msgs_per_sec}}},
                    {"latency_ns",
                     {{"p50", r.latency.percentile(50)},
                      {"p99", r.latency.percentile(99)},
                      {"p999", r.latency.percentile(99.9)}}},
                    {"latency_percentiles", spectrum_json(r.latency)},
                    {"switches_per_msg", r.switches_per_msg}};
    if (open_loop) {
      s["summary"]["send_lateness_ns"] = {{"p50", r.send_lateness.percentile(50)},
                                          {"p99", r.send_lateness.percentile(99)},
                                          {"p999", r.send_lateness.percentile(99.9)}};
      s["summary"]["send_lateness_percentiles"] = spectrum_json(r.send_lateness);
    }
    s["impl"] = r.config.queue.impl;
    if (!r.baseline_impl.empty()) {
      s["summary"]["vs_first"] = {
          {"impl", r.baseline_impl}, {"msgs_per_sec", r.ratio_msgs_per_sec}, {"p99", r.ratio_p99}};
    }
    if (!r.note.empty()) s["note"] = r.note;
    s["verdict"] = r.interrupted ? "interrupted" : r.passed() ? "pass" : "fail";
    s["failures"] = r.failures;
    doc["scenarios"].push_back(std::move(s));
  }
  return doc;
}

}  // namespace tmpmc::results
