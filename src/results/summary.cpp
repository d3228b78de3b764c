#include "tmpmc/scenarios/report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "text_table.h"
#include "tmpmc_version.h"

namespace tmpmc::scenarios {

using nlohmann::json;

namespace {

std::string humane_rate(double per_sec) {
  char text[32];
  if (per_sec >= 1e9) {
    std::snprintf(text, sizeof text, "%.2fG", per_sec / 1e9);
  } else if (per_sec >= 1e6) {
    std::snprintf(text, sizeof text, "%.2fM", per_sec / 1e6);
  } else if (per_sec >= 1e3) {
    std::snprintf(text, sizeof text, "%.1fk", per_sec / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.0f", per_sec);
  }
  return text;
}

std::string humane_ns(std::uint64_t ns) {
  char text[32];
  if (ns >= 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.2fs", ns / 1e9);
  } else if (ns >= 1'000'000) {
    std::snprintf(text, sizeof text, "%.2fms", ns / 1e6);
  } else if (ns >= 1'000) {
    std::snprintf(text, sizeof text, "%.1fus", ns / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%lluns", static_cast<unsigned long long>(ns));
  }
  return text;
}

json latency_json(const Histogram& h) {
  return {{"p50", h.percentile(50)},    {"p90", h.percentile(90)},      {"p99", h.percentile(99)},
          {"p999", h.percentile(99.9)}, {"p9999", h.percentile(99.99)}, {"max", h.max()},
          {"mean", h.mean()},           {"samples", h.count()}};
}

// The percentile spectrum for plots: 50% to 99.99%, denser towards the tail.
json spectrum_json(const Histogram& h) {
  json points = json::array();
  for (double p : {50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0}) {
    points.push_back(json::array({p, h.percentile(p)}));
  }
  return points;
}

}  // namespace

void summarize(ScenarioResult& r) {
  std::vector<double> rates;
  std::uint64_t switches = 0, received = 0;
  r.latency = Histogram();
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const RunResult& run = r.runs[i];
    rates.push_back(run.msgs_per_sec);
    r.latency.merge(run.latency);
    switches += run.stats.switches;
    received += run.check.received;
    r.interrupted |= run.interrupted;
    for (const std::string& failure : run.check.failures()) {
      r.failures.push_back("run " + std::to_string(i + 1) + ": " + failure);
    }
    if (!run.error.empty()) r.failures.push_back("run " + std::to_string(i + 1) + ": " + run.error);
    if (!run.stuck_summary.empty()) {
      r.failures.push_back("run " + std::to_string(i + 1) + ": " + run.stuck_summary);
      for (const std::string& fiber : run.stuck_fibers) r.failures.push_back("  " + fiber);
    }
  }
  if (!rates.empty()) {
    r.median_msgs_per_sec = detail::median_of(rates);
    r.min_msgs_per_sec = *std::min_element(rates.begin(), rates.end());
    r.max_msgs_per_sec = *std::max_element(rates.begin(), rates.end());
  }
  r.switches_per_msg = received ? static_cast<double>(switches) / static_cast<double>(received) : 0;
  const ExpectConfig& e = r.config.expect;
  if (e.min_msgs_per_sec > 0 && r.median_msgs_per_sec < e.min_msgs_per_sec) {
    r.failures.push_back("expect.min_msgs_per_sec: median " + humane_rate(r.median_msgs_per_sec) +
                         "/s is below " + humane_rate(e.min_msgs_per_sec) + "/s");
  }
  if (e.max_p99_ns > 0 && r.latency.percentile(99) > e.max_p99_ns) {
    r.failures.push_back("expect.max_p99_ns: p99 " + humane_ns(r.latency.percentile(99)) +
                         " is above " + humane_ns(e.max_p99_ns));
  }
}

void compare_group(std::vector<ScenarioResult>::iterator first,
                   std::vector<ScenarioResult>::iterator last) {
  if (first == last) return;
  const double base_rate = first->median_msgs_per_sec;
  const double base_p99 = static_cast<double>(first->latency.percentile(99));
  for (auto it = first; it != last; ++it) {
    it->baseline_impl = first->config.queue.impl;
    it->ratio_msgs_per_sec = base_rate > 0 ? it->median_msgs_per_sec / base_rate : 0;
    it->ratio_p99 = base_p99 > 0 ? static_cast<double>(it->latency.percentile(99)) / base_p99 : 0;
  }
}

void print_table(std::ostream& out, const std::vector<ScenarioResult>& results,
                 const ReportContext& context) {
  const bool grouped = std::any_of(results.begin(), results.end(),
                                   [](const auto& r) { return !r.baseline_impl.empty(); });
  std::vector<std::vector<std::string>> rows = {{"scenario", "shape", "cap", "workers",
                                                 "msgs/s (min-max)", "p50", "p99", "p99.9", "max",
                                                 "sw/msg", "verdict"}};
  if (grouped) rows[0].insert(rows[0].begin() + 5, "vs first");
  for (const auto& r : results) {
    const auto& c = r.config;
    char sw[32];
    std::snprintf(sw, sizeof sw, "%.3f", r.switches_per_msg);
    const bool sampled = r.latency.count() != 0;
    rows.push_back(
        {c.name, std::to_string(c.producers.count) + "p:" + std::to_string(c.consumers.count) + "c",
         std::to_string(c.queue.capacity),
         std::to_string(c.runtime.workers) + (c.runtime.deterministic ? " det" : ""),
         humane_rate(r.median_msgs_per_sec) + " (" + humane_rate(r.min_msgs_per_sec) + "-" +
             humane_rate(r.max_msgs_per_sec) + ")",
         sampled ? humane_ns(r.latency.percentile(50)) : "-",
         sampled ? humane_ns(r.latency.percentile(99)) : "-",
         sampled ? humane_ns(r.latency.percentile(99.9)) : "-",
         sampled ? humane_ns(r.latency.max()) : "-", sw,
         r.interrupted ? "interrupted"
         : r.passed()  ? "pass"
                       : "FAIL"});
    if (grouped) {
      // Throughput against the group's first impl: 2.00x means twice as fast.
      char ratio[32] = "-";
      if (!r.baseline_impl.empty() && r.ratio_msgs_per_sec > 0) {
        std::snprintf(ratio, sizeof ratio, "%.2fx", r.ratio_msgs_per_sec);
      }
      rows.back().insert(rows.back().begin() + 5, ratio);
    }
  }
  detail::print_columns(out, rows);
  out << "latency: " << context.clock << "; closed-loop producers stamp 1 message in "
      << "latency.sample_every, open-loop producers every message (from its intended send time)\n";
  if (grouped) {
    out << "vs first: median throughput against the first impl of the same scenario (runs "
           "interleaved)\n";
  }
  for (const auto& r : results) {
    if (!r.note.empty()) out << r.config.name << ": " << r.note << "\n";
  }
  for (const auto& r : results) {
    if (r.failures.empty()) continue;
    out << "\n" << r.config.name << ":\n";
    for (const auto& f : r.failures) out << "  " << f << "\n";
  }
}

json to_json(const std::vector<ScenarioResult>& results, const ReportContext& context) {
  json doc;
  doc["schema"] = "tmpmc-bench/result/v1";
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
        effective_payload_bytes(r.config.producers.payload_bytes);
    s["runs"] = json::array();
    for (const auto& run : r.runs) {
      json j = {{"elapsed_s", run.elapsed_s},
                {"msgs_per_sec", run.msgs_per_sec},
                {"sent", run.check.sent},
                {"send_closed", run.check.send_closed},
                {"send_timeout", run.check.send_timeout},
                {"received", run.check.received},
                {"lost", run.check.lost},
                {"duplicated", run.check.duplicated},
                {"phantom", run.check.phantom},
                {"reordered", run.check.reordered},
                {"hung", run.check.hung},
                {"spurious_closed", run.check.spurious_closed},
                {"left_in_queue", run.check.left_in_queue},
                {"latency_ns", latency_json(run.latency)},
                {"runtime",
                 {{"switches", run.stats.switches},
                  {"parks", run.stats.parks},
                  {"steals", run.stats.steals},
                  {"switches_per_msg",
                   run.check.received ? static_cast<double>(run.stats.switches) / run.check.received
                                      : 0.0}}}};
      if (run.trace_hash) {
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(*run.trace_hash));
        j["trace_hash"] = hex;
      }
      if (!run.stuck_fibers.empty()) j["stuck_fibers"] = run.stuck_fibers;
      if (!run.error.empty()) j["error"] = run.error;
      if (run.interrupted) j["interrupted"] = true;
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

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::filesystem::path temp =
      target.parent_path() / (target.filename().string() + ".tmp." + std::to_string(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
    out << content;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    throw std::runtime_error(path + ": cannot replace: " + ec.message());
  }
}

json tool_info() {
  return {{"version", TMPMC_VERSION}, {"git", TMPMC_GIT_COMMIT}, {"build", TMPMC_BUILD_TYPE}};
}

json host_info() {
  std::string model = "unknown";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname uts{};
  ::uname(&uts);
  return {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", model},
          {"compiler", std::string("g++ ") + __VERSION__},
          {"os", std::string(uts.sysname) + " " + uts.release}};
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace tmpmc::scenarios
