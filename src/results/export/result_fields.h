// result_fields.h: typed reads from a result document (private to export).
// Each read names the field's place when it fails, e.g.
// "scenarios[1].summary.msgs_per_sec.median: expected a number", so that a
// truncated or hand-edited file gets a one-line error instead of a crash.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tmpmc/results/export.h"

namespace tmpmc::results::detail {

using nlohmann::json;

// A node of the document and its place in it, for error messages.
struct Located {
  const json& node;
  std::string place;  // "scenarios[2]", "scenarios[2].runs[0]"

  // at(path): the node at the dotted `path` below this one; ExportError if absent.
  Located at(std::string_view path) const;
  // has(path): whether the dotted `path` exists below this node.
  bool has(std::string_view path) const;
  double number(std::string_view path) const;
  std::string text(std::string_view path) const;
  // number_or(path, fallback): the number at `path`, or `fallback` if the
  // field is absent (a present field of another type is still an error).
  double number_or(std::string_view path, double fallback) const;
  // elements(path): the array at `path`, each element with its place.
  std::vector<Located> elements(std::string_view path) const;
};

// scenarios_of(result): the scenarios of a checked document.
inline std::vector<Located> scenarios_of(const json& result) {
  return Located{result, ""}.elements("scenarios");
}

}  // namespace tmpmc::results::detail
