// config_reader.cpp: Reader's reads and its unknown-key check.
#include "config_reader.h"

#include <algorithm>
#include <cmath>

namespace tmpmc::scenarios {

using nlohmann::json;

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string describe(const json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  if (v.is_string()) return "the string " + text;
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return text;
}

Reader::Reader(const json& object, std::string path, const std::string& source)
    : object_(object), path_(std::move(path)), source_(source) {
  if (!object_.is_object())
    fail(path_.empty() ? "the top level" : path_, "expected an object", object_);
}

void Reader::fail(const std::string& path, const std::string& expected, const json& got) const {
  throw ConfigError(source_ + ": " + path + ": " + expected + ", got " + describe(got));
}

void Reader::fail_message(const std::string& path, const std::string& message) const {
  throw ConfigError(source_ + ": " + path + ": " + message);
}

const json* Reader::get(const std::string& key) {
  seen_.insert(key);
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

void Reader::number(const std::string& key, double& out, double min) {
  const json* v = get(key);
  if (v == nullptr) return;
  const std::string expected =
      "expected a number >= " + std::to_string(static_cast<long long>(min));
  if (!v->is_number()) fail(at(key), expected, *v);
  const double value = v->get<double>();
  if (!std::isfinite(value) || value < min) fail(at(key), expected, *v);
  out = value;
}

void Reader::boolean(const std::string& key, bool& out) {
  const json* v = get(key);
  if (v == nullptr) return;
  if (!v->is_boolean()) fail(at(key), "expected true or false", *v);
  out = v->get<bool>();
}

void Reader::string(const std::string& key, std::string& out) {
  const json* v = get(key);
  if (v == nullptr) return;
  if (!v->is_string()) fail(at(key), "expected a string", *v);
  out = v->get<std::string>();
}

Reader Reader::object(const std::string& key) {
  const json* v = get(key);
  static const json empty = json::object();
  return Reader(v != nullptr ? *v : empty, at(key), source_);
}

void Reader::finish(const std::vector<std::string>& known) const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (seen_.count(it.key()) != 0) continue;
    std::string message = "unknown key";
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& candidate : known) {
      const std::size_t d = edit_distance(it.key(), candidate);
      if (d < best_distance) {
        best_distance = d;
        best = candidate;
      }
    }
    if (!best.empty()) message += " (did you mean \"" + best + "\"?)";
    message += "; expected one of: ";
    for (std::size_t i = 0; i < known.size(); ++i) message += (i ? ", " : "") + known[i];
    fail_message(at(it.key()), message);
  }
}

}  // namespace tmpmc::scenarios
