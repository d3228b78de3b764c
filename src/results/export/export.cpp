// export.cpp: format names, the schema check and the dispatch to one writer per format.
#include "tmpmc/results/export.h"

#include <array>

#include "formats.h"
#include "result_fields.h"

namespace tmpmc::results {

namespace {

struct NamedFormat {
  std::string_view name;
  ExportFormat format;
  void (*write)(const nlohmann::json&, std::ostream&);
};

constexpr std::array kFormats = {
    NamedFormat{"gbench", ExportFormat::gbench, detail::write_gbench},
    NamedFormat{"csv", ExportFormat::csv, detail::write_csv},
    NamedFormat{"markdown", ExportFormat::markdown, detail::write_markdown},
    NamedFormat{"junit", ExportFormat::junit, detail::write_junit},
    NamedFormat{"hgrm", ExportFormat::hgrm, detail::write_hgrm},
};

std::string scenario_names(const nlohmann::json& result) {
  std::string names;
  for (const auto& scenario : detail::scenarios_of(result)) {
    names += (names.empty() ? "" : ", ") + scenario.text("name");
  }
  return names;
}

}  // namespace

std::string export_format_names() {
  std::string names;
  for (const auto& f : kFormats) names += (names.empty() ? "" : ", ") + std::string(f.name);
  return names;
}

std::optional<ExportFormat> parse_export_format(std::string_view name) {
  for (const auto& f : kFormats) {
    if (f.name == name) return f.format;
  }
  return std::nullopt;
}

void check_result(const nlohmann::json& result) {
  constexpr std::string_view kSchema = "tmpmc-bench/result/v1";
  if (!result.is_object()) throw ExportError("expected a JSON object (a result file)");
  const auto schema = result.find("schema");
  if (schema == result.end() || !schema->is_string() || *schema != kSchema) {
    throw ExportError("schema: expected \"" + std::string(kSchema) + "\", got " +
                      (schema == result.end() ? std::string("none") : schema->dump()));
  }
  const auto scenarios = result.find("scenarios");
  if (scenarios == result.end() || !scenarios->is_array()) {
    throw ExportError("scenarios: expected an array");
  }
}

nlohmann::json only_scenario(const nlohmann::json& result, std::string_view name) {
  check_result(result);
  nlohmann::json kept = result;
  kept["scenarios"] = nlohmann::json::array();
  for (const auto& scenario : detail::scenarios_of(result)) {
    if (scenario.text("name") == name) kept["scenarios"].push_back(scenario.node);
  }
  if (kept["scenarios"].empty()) {
    throw ExportError("no scenario called \"" + std::string(name) +
                      "\"; the result holds: " + scenario_names(result));
  }
  return kept;
}

void export_result(const nlohmann::json& result, ExportFormat format, std::ostream& out) {
  check_result(result);
  if (format == ExportFormat::hgrm && result["scenarios"].size() != 1) {
    throw ExportError("hgrm: one histogram per file, and the result holds " +
                      std::to_string(result["scenarios"].size()) +
                      " scenarios; pick one of: " + scenario_names(result));
  }
  for (const auto& f : kFormats) {
    if (f.format == format) return f.write(result, out);
  }
}

}  // namespace tmpmc::results
