// result_fields.cpp: the dotted-path reads of result_fields.h.
#include "result_fields.h"

namespace tmpmc::results::detail {

namespace {

std::string joined(std::string_view place, std::string_view path) {
  return place.empty() ? std::string(path) : std::string(place) + "." + std::string(path);
}

// find(node, path): the node at the dotted path, or nullptr.
const json* find(const json& node, std::string_view path) {
  const json* current = &node;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    if (!current->is_object()) return nullptr;
    const auto it = current->find(key);
    if (it == current->end()) return nullptr;
    current = &*it;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return current;
}

}  // namespace

Located Located::at(std::string_view path) const {
  const json* found = find(node, path);
  if (found == nullptr) throw ExportError(joined(place, path) + ": missing");
  return {*found, joined(place, path)};
}

bool Located::has(std::string_view path) const { return find(node, path) != nullptr; }

double Located::number(std::string_view path) const {
  const Located field = at(path);
  if (!field.node.is_number()) throw ExportError(field.place + ": expected a number");
  return field.node.get<double>();
}

std::string Located::text(std::string_view path) const {
  const Located field = at(path);
  if (!field.node.is_string()) throw ExportError(field.place + ": expected a string");
  return field.node.get<std::string>();
}

double Located::number_or(std::string_view path, double fallback) const {
  return has(path) ? number(path) : fallback;
}

std::vector<Located> Located::elements(std::string_view path) const {
  const Located field = at(path);
  if (!field.node.is_array()) throw ExportError(field.place + ": expected an array");
  std::vector<Located> out;
  out.reserve(field.node.size());
  for (std::size_t i = 0; i < field.node.size(); ++i) {
    out.push_back({field.node[i], field.place + "[" + std::to_string(i) + "]"});
  }
  return out;
}

}  // namespace tmpmc::results::detail
