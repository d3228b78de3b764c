// config_reader.h: the input limits of a config file and parse_json(), which
// enforces them while it parses; and Reader, a generic walk over one JSON
// object that knows its JSON path, so that every error names where it
// happened, and which keys it consumed, so that leftovers are unknown keys
// (with a did-you-mean). It knows nothing of scenarios: the keys are
// config_schema.cpp's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tmpmc/scenarios/config.h"

namespace tmpmc::scenarios {

// The input limits (DESIGN.md, "Input limits"): generous for any config a
// person writes, and small enough that no file can exhaust the stack (the
// JSON library copies, compares and prints values recursively) or the memory
// of the parser and of the expansion that follows it. Each is a one-line
// ConfigError naming the JSON path.
// kMaxFileBytes: the most a config file may hold; reading stops after it,
// so /dev/zero or a pipe that never ends is refused, not read to exhaustion.
inline constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;
// kMaxDepth: objects and arrays nested in each other, the outermost counted.
inline constexpr int kMaxDepth = 64;
// kMaxStringBytes: the longest string value or object key, in bytes.
inline constexpr std::size_t kMaxStringBytes = 4096;
// kMaxScenarios: the scenarios one file may expand to, over its sweeps and
// impl lists.
inline constexpr std::size_t kMaxScenarios = 10'000;

// parse_json(): `text` as JSON within the limits above. Throws ConfigError:
// `source:line:column: invalid JSON: ...` for a syntax error, `source: path:
// ...` for a limit or a key given twice in one object.
nlohmann::json parse_json(const std::string& text, const std::string& source);

// describe(v): a short rendering of a JSON value for "got ..." messages.
std::string describe(const nlohmann::json& v);
// printable(text): `text` as it may appear inside a one-line message: at most
// `max_bytes` of it (cut on a character boundary), control characters escaped.
std::string printable(const std::string& text, std::size_t max_bytes = 40);
// path_key(key): one component of a JSON path, `key` made printable.
std::string path_key(const std::string& key);

class Reader {
 public:
  // Throws ConfigError unless `object` is a JSON object. `source` (the file)
  // must outlive the reader.
  Reader(const nlohmann::json& object, std::string path, const std::string& source);

  // fail(): `source: path: expected, got <value>`; fail_message(): `source: path: message`.
  [[noreturn]] void fail(const std::string& path, const std::string& expected,
                         const nlohmann::json& got) const;
  [[noreturn]] void fail_message(const std::string& path, const std::string& message) const;
  // at(key): the JSON path of one of this object's keys.
  std::string at(const std::string& key) const {
    return path_.empty() ? path_key(key) : path_ + "." + path_key(key);
  }
  bool has(const std::string& key) const { return object_.contains(key); }
  // raw(): the object itself (an empty one for a section the file leaves out).
  const nlohmann::json& raw() const { return object_; }

  // get(): the value of `key` (nullptr when absent), which counts as known.
  const nlohmann::json* get(const std::string& key);

  // The typed reads leave `out` alone when the key is absent, and throw a
  // ConfigError naming the range when the value is outside it.
  template <class Int>
  void integer(const std::string& key, Int& out, std::uint64_t min, std::uint64_t max);
  void number(const std::string& key, double& out, double min);
  void boolean(const std::string& key, bool& out);
  void string(const std::string& key, std::string& out);
  // object(key): a reader of the section `key` (an empty one when absent).
  Reader object(const std::string& key);

  // finish(): every key was known; a near miss gets a did-you-mean.
  void finish(const std::vector<std::string>& known) const;

 private:
  const nlohmann::json& object_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> seen_;
};

template <class Int>
void Reader::integer(const std::string& key, Int& out, std::uint64_t min, std::uint64_t max) {
  const nlohmann::json* v = get(key);
  if (v == nullptr) return;
  const std::string expected =
      "expected an integer " + (max == std::numeric_limits<std::uint64_t>::max()
                                    ? ">= " + std::to_string(min)
                                    : "from " + std::to_string(min) + " to " + std::to_string(max));
  if (!v->is_number_integer()) fail(at(key), expected, *v);
  if (v->is_number_unsigned()) {
    const auto value = v->get<std::uint64_t>();
    if (value < min || value > max) fail(at(key), expected, *v);
    out = static_cast<Int>(value);
  } else {
    const auto value = v->get<std::int64_t>();
    if (value < 0 || static_cast<std::uint64_t>(value) < min ||
        static_cast<std::uint64_t>(value) > max) {
      fail(at(key), expected, *v);
    }
    out = static_cast<Int>(value);
  }
}

}  // namespace tmpmc::scenarios
