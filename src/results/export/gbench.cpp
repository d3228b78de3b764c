// gbench.cpp: Google Benchmark's JSON output, so that its tools (compare.py,
// its plotters) read our results. A scenario is a benchmark family and each
// measured run one repetition of it: one message is one iteration, so
// real_time is nanoseconds per message and items_per_second is msgs/s. We
// measure no CPU time, so cpu_time repeats real_time (compare.py compares
// both columns; they then agree). With two or more runs, the mean, median
// and standard deviation of every field follow as aggregates, as Google
// Benchmark writes them with --benchmark_repetitions.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "formats.h"
#include "result_fields.h"
#include "scenario_row.h"

namespace tmpmc::results::detail {

namespace {

using nlohmann::json;

// The latency counters of a run, from its latency_ns.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kLatencyCounters = {{
    {"p50", "latency_p50_ns"},
    {"p90", "latency_p90_ns"},
    {"p99", "latency_p99_ns"},
    {"p999", "latency_p999_ns"},
    {"max", "latency_max_ns"},
    {"mean", "latency_mean_ns"},
}};

// The fields an aggregate summarises (the counters included).
std::vector<std::string> numeric_fields() {
  std::vector<std::string> fields = {"real_time", "cpu_time", "items_per_second"};
  for (const auto& [from, to] : kLatencyCounters) fields.emplace_back(to);
  return fields;
}

json context_of(const json& result) {
  const Located doc{result, ""};
  return {
      {"date", doc.text("started_at")},
      {"host_name", doc.has("host.hostname") ? doc.text("host.hostname") : "unknown"},
      {"executable", "tmpmc-bench"},
      {"num_cpus", doc.number("host.cpus")},
      {"mhz_per_cpu", 0},
      {"cpu_scaling_enabled", false},
      {"caches", json::array()},
      {"load_avg", json::array()},
      {"library_build_type", doc.text("tool.build")},
      {"cpu_model", doc.has("host.cpu_model") ? doc.text("host.cpu_model") : "unknown"},
      {"os", doc.has("host.os") ? doc.text("host.os") : "unknown"},
      {"tmpmc_version", doc.text("tool.version")},
      {"tmpmc_git", doc.text("tool.git")},
      {"latency_clock", doc.has("latency_clock") ? doc.text("latency_clock") : "unknown"},
  };
}

// run_error(run): why a run's numbers do not describe the queue (a failed
// check, an error, an interruption), or "" for a clean run.
std::string run_error(const Located& run) {
  if (run.has("error")) return run.text("error");
  if (run.has("interrupted") && run.node["interrupted"] == true) return "interrupted";
  // A run the step cap stopped (its "hung" count is the same fibers again).
  if (run.has("stopped")) return run.text("stopped");
  // A run that passed its checks having moved nothing (no_progress.h).
  if (run.has("no_progress")) return "no_progress: " + run.text("no_progress");
  std::string error;
  for (const char* check :
       {"lost", "duplicated", "phantom", "reordered", "hung", "spurious_closed"}) {
    const double count = run.number_or(check, 0);
    if (count > 0) {
      error += (error.empty() ? "" : ", ") + std::string(check) + " " +
               std::to_string(std::llround(count));
    }
  }
  return error;
}

json run_entry(const Located& scenario, const Located& run, std::size_t family,
               std::size_t repetition, std::size_t repetitions) {
  const std::string name = scenario.text("name");
  const double rate = run.number("msgs_per_sec");
  const double ns_per_message = rate > 0 ? 1e9 / rate : 0;
  json entry = {
      {"name", name},
      {"family_index", family},
      {"per_family_instance_index", 0},
      {"run_name", name},
      {"run_type", "iteration"},
      {"repetitions", repetitions},
      {"repetition_index", repetition},
      {"threads", 1},
      {"iterations", std::llround(run.number("received"))},
      {"real_time", ns_per_message},
      {"cpu_time", ns_per_message},
      {"time_unit", "ns"},
      {"items_per_second", rate},
      {"label", impl_of(scenario)},
  };
  for (const auto& [from, to] : kLatencyCounters) {
    entry[std::string(to)] = run.number("latency_ns." + std::string(from));
  }
  if (const std::string error = run_error(run); !error.empty()) {
    entry["error_occurred"] = true;
    entry["error_message"] = error;
  }
  return entry;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// stddev_of(v): the sample standard deviation (n - 1), as Google Benchmark's.
double stddev_of(const std::vector<double>& v) {
  const double mean = mean_of(v);
  double squares = 0;
  for (const double x : v) squares += (x - mean) * (x - mean);
  return std::sqrt(squares / static_cast<double>(v.size() - 1));
}

void append_aggregates(json& benchmarks, const std::vector<json>& runs) {
  const std::vector<std::pair<std::string, std::function<double(const std::vector<double>&)>>>
      statistics = {{"mean", mean_of}, {"median", median_of}, {"stddev", stddev_of}};
  for (const auto& [statistic, compute] : statistics) {
    json aggregate = runs.front();
    aggregate.erase("repetition_index");
    aggregate.erase("error_occurred");
    aggregate.erase("error_message");
    aggregate["name"] = runs.front()["name"].get<std::string>() + "_" + statistic;
    aggregate["run_type"] = "aggregate";
    aggregate["aggregate_name"] = statistic;
    aggregate["aggregate_unit"] = "time";
    aggregate["iterations"] = runs.size();
    for (const std::string& field : numeric_fields()) {
      std::vector<double> values;
      values.reserve(runs.size());
      for (const json& run : runs) values.push_back(run[field].get<double>());
      aggregate[field] = compute(values);
    }
    benchmarks.push_back(std::move(aggregate));
  }
}

}  // namespace

void write_gbench(const nlohmann::json& result, std::ostream& out) {
  json doc = {{"context", context_of(result)}, {"benchmarks", json::array()}};
  const auto scenarios = scenarios_of(result);
  for (std::size_t family = 0; family < scenarios.size(); ++family) {
    const auto runs = scenarios[family].elements("runs");
    std::vector<json> entries;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      entries.push_back(run_entry(scenarios[family], runs[i], family, i, runs.size()));
      doc["benchmarks"].push_back(entries.back());
    }
    if (entries.size() >= 2) append_aggregates(doc["benchmarks"], entries);
  }
  out << doc.dump(2) << "\n";
}

}  // namespace tmpmc::results::detail
