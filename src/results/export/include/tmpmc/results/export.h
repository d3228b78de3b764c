// export.h: a result file (schema tmpmc-bench/result/v1) in the formats other
// tools read: Google Benchmark JSON, CSV, Markdown, JUnit XML and
// HdrHistogram's percentile distribution. Exporting reads the document and
// writes text; it runs nothing and needs nothing but the document.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tmpmc::results {

enum class ExportFormat { gbench, csv, markdown, junit, hgrm };

// ExportError: the document is not result/v1, or lacks a field a format
// needs; the message names the field's place, e.g. "scenarios[2].summary".
class ExportError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// export_format_names(): every format's name, comma-separated, for help and errors.
std::string export_format_names();
// parse_export_format(): the format called `name`, or nullopt.
std::optional<ExportFormat> parse_export_format(std::string_view name);

// check_result(): throws ExportError unless `result` is a result/v1 document
// (an object with that schema and a scenarios array).
void check_result(const nlohmann::json& result);

// only_scenario(): a copy of `result` that holds only the scenario called
// `name`; ExportError listing the scenario names if none is.
nlohmann::json only_scenario(const nlohmann::json& result, std::string_view name);

// export_result(): writes `result` to `out` in `format`. Checks the document
// first; throws ExportError for a missing or mistyped field. hgrm describes
// one histogram, so it takes a document of one scenario (see only_scenario).
void export_result(const nlohmann::json& result, ExportFormat format, std::ostream& out);

}  // namespace tmpmc::results
