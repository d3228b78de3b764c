// markdown.cpp: one table row per scenario (GitHub-flavoured Markdown), in
// units people read: millions of messages per second and microseconds, the
// unit in each column's header so the cells stay plain numbers.
#include <cstdio>

#include "formats.h"
#include "scenario_row.h"

namespace tmpmc::results::detail {

namespace {

// cell(text): `|` would end the cell early and a line break the row.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string millions(double per_second) { return fixed(per_second / 1e6, 2); }
std::string micros(double ns) { return fixed(ns / 1e3, 1); }

}  // namespace

void write_markdown(const nlohmann::json& result, std::ostream& out) {
  out << "| scenario | shape | capacity | workers | placement | impl | median (M msgs/s) "
         "| min (M msgs/s) | max (M msgs/s) | p50 (us) | p99 (us) | p99.9 (us) | verdict |\n"
         "|---|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const auto& scenario : scenarios_of(result)) {
    const ScenarioRow row = scenario_row(scenario);
    out << "| " << cell(row.name) << " | " << cell(row.shape) << " | " << fixed(row.capacity, 0)
        << " | " << fixed(row.workers, 0) << " | " << cell(row.placement) << " | " << cell(row.impl)
        << " | " << millions(row.median_msgs_per_sec) << " | " << millions(row.min_msgs_per_sec)
        << " | " << millions(row.max_msgs_per_sec) << " | " << micros(row.p50_ns) << " | "
        << micros(row.p99_ns) << " | " << micros(row.p999_ns) << " | " << cell(row.verdict)
        << " |\n";
  }
}

}  // namespace tmpmc::results::detail
