// config_reader.cpp: parsing within the input limits, and Reader's reads and
// its unknown-key check.
#include "config/config_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

// LimitedBuilder: the document built from the parser's events (nlohmann's
// SAX interface), as its own DOM builder does, checking each limit as it
// goes. It knows the JSON path of what is being parsed, so that a limit
// broken deep in a file is reported where it is, and it throws the
// ConfigError out of the parser at the first one: the partly built document
// is then freed by the library's destructor, which does not recurse. (The
// library's parser callback could check the same, but its builder searches
// the enclosing array at the end of every object: quadratic time for a file
// of many objects.)
class LimitedBuilder {
 public:
  LimitedBuilder(json& root, const std::string& source) : root_(root), source_(source) {}

  bool null() { return add(json(nullptr)); }
  bool boolean(bool value) { return add(json(value)); }
  bool number_integer(json::number_integer_t value) { return add(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return add(json(value)); }
  bool number_float(json::number_float_t value, const std::string&) { return add(json(value)); }
  bool string(std::string& value) {
    if (value.size() > kMaxStringBytes) fail(too_long("a string"));
    return add(json(std::move(value)));
  }
  bool binary(json::binary_t& value) { return add(json(std::move(value))); }

  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& key) {
    Level& object = levels_.back();
    object.key = std::move(key);
    if (object.key.size() > kMaxStringBytes) fail(too_long("a key"));
    // The library would keep the last of two values silently: a section
    // given twice is a mistake to name, not to resolve.
    if (object.value->contains(object.key)) fail("the key is given twice in one object");
    return true;
  }

  // A syntax error or a number beyond a double: thrown as the library's own
  // exception, which parse_json() turns into a ConfigError.
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& e) {
    throw e;
  }

 private:
  struct Level {
    json* value;      // the open object or array
    std::string key;  // object: the key of the value being parsed
  };

  // add(): `value` in its place: the document, the open array's next
  // element, or the open object's value at its key. Its address stays valid
  // while it is open: nothing is added to its parent until it closes.
  json* place(json value) {
    if (levels_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Level& top = levels_.back();
    if (top.value->is_array()) {
      top.value->push_back(std::move(value));
      return &top.value->back();
    }
    json& slot = (*top.value)[top.key];
    slot = std::move(value);
    return &slot;
  }
  bool add(json value) {
    place(std::move(value));
    return true;
  }
  bool open(json empty) {
    // levels_ holds the objects and arrays already open around this one.
    if (levels_.size() >= static_cast<std::size_t>(kMaxDepth)) {
      fail("more than " + std::to_string(kMaxDepth) + " objects and arrays nested in each other");
    }
    json* value = place(std::move(empty));
    levels_.push_back(Level{value, {}});
    return true;
  }
  bool close() {
    levels_.pop_back();
    return true;
  }

  static std::string too_long(const char* what) {
    return std::string(what) + " longer than " + std::to_string(kMaxStringBytes) + " bytes";
  }

  // fail(): throws `message` at the path of the value about to be added.
  [[noreturn]] void fail(const std::string& message) const {
    std::string path;
    for (std::size_t i = 0; i < levels_.size(); ++i) {
      const Level& level = levels_[i];
      if (level.value->is_array()) {
        // The open child is the last element; the innermost array's next
        // element is the one about to be added.
        const std::size_t size = level.value->size();
        // Appended piece by piece: GCC 12 warns (-Wrestrict, a false
        // positive) on "[" + std::to_string(...) once LTO inlines it here.
        path += '[';
        path += std::to_string(i + 1 == levels_.size() ? size : size - 1);
        path += ']';
      } else {
        if (!path.empty()) path += '.';
        path += path_key(level.key);
      }
    }
    if (path.empty()) path = "the top level";
    throw ConfigError(source_ + ": " + path + ": " + message);
  }

  json& root_;
  const std::string& source_;
  std::vector<Level> levels_;  // the open objects and arrays, outermost first
};

}  // namespace

namespace {

// line_column(text, byte): "line:column" of the 1-based byte offset `byte`.
std::string line_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace

json parse_json(const std::string& text, const std::string& source) {
  // The library takes a NUL byte for the end of the input and would ignore
  // whatever follows it; JSON text holds none.
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    throw ConfigError(source + ":" + line_column(text, nul + 1) +
                      ": invalid JSON: a NUL byte (a config file is UTF-8 JSON text)");
  }
  try {
    json document;
    LimitedBuilder builder(document, source);
    json::sax_parse(text, &builder);
    return document;
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2:
    // WHAT; last read: 'TOKEN'": WHAT only, as the token may be a string as
    // long as the file, or hold bytes that are not UTF-8.
    std::string what = e.what();
    if (const auto colon = what.find(": "); colon != std::string::npos) what.erase(0, colon + 2);
    if (const auto token = what.find("; last read:"); token != std::string::npos) {
      what.erase(token);
    }
    throw ConfigError(source + ":" + line_column(text, e.byte) +
                      ": invalid JSON: " + printable(what, 200));
  } catch (const json::exception& e) {
    // Not a syntax error but a value the parser cannot hold, such as a number
    // beyond a double's range (out_of_range 406), which carries no offset.
    std::string what = e.what();
    const auto bracket = what.find("] ");
    throw ConfigError(source + ": invalid JSON: " +
                      (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
}

std::string printable(const std::string& text, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i < text.size() && i < max_bytes; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += text[i];
    }
  }
  if (i == text.size()) return out;
  // Cut before a UTF-8 continuation byte, not inside the character.
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
  return out + "...";
}

std::string path_key(const std::string& key) { return printable(key); }

std::string describe(const json& v) {
  // Never the whole value: an array or object may be large, and printing it
  // recurses as deep as it is nested.
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  if (v.is_string()) return "the string \"" + printable(v.get_ref<const std::string&>()) + "\"";
  return v.dump();  // a number, true, false or null
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
