// csv.cpp: one row per scenario (RFC 4180: comma-separated, a field with a
// comma, quote or line break quoted, quotes doubled). Numbers are written in
// full (the shortest text that reads back as the same double), in base
// units: messages per second and nanoseconds.
#include <charconv>

#include "formats.h"
#include "scenario_row.h"

namespace tmpmc::results::detail {

namespace {

std::string quoted(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string shortest(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

}  // namespace

void write_csv(const nlohmann::json& result, std::ostream& out) {
  out << "scenario,shape,capacity,workers,placement,impl,msgs_per_sec_median,msgs_per_sec_min,"
         "msgs_per_sec_max,p50_ns,p99_ns,p999_ns,verdict\r\n";
  for (const auto& scenario : scenarios_of(result)) {
    const ScenarioRow row = scenario_row(scenario);
    out << quoted(row.name) << ',' << quoted(row.shape) << ',' << shortest(row.capacity) << ','
        << shortest(row.workers) << ',' << quoted(row.placement) << ',' << quoted(row.impl) << ','
        << shortest(row.median_msgs_per_sec) << ',' << shortest(row.min_msgs_per_sec) << ','
        << shortest(row.max_msgs_per_sec) << ',' << shortest(row.p50_ns) << ','
        << shortest(row.p99_ns) << ',' << shortest(row.p999_ns) << ',' << quoted(row.verdict)
        << "\r\n";
  }
}

}  // namespace tmpmc::results::detail
