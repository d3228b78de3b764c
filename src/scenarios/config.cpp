// config.cpp: schema v1 parsing. Every key is known; anything else is an
// error that names the JSON path and what was expected.
#include "tmpmc/scenarios/config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

namespace tmpmc::scenarios {

using nlohmann::json;

namespace {

// describe(v): a short rendering of a JSON value for "got ..." messages.
std::string describe(const json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  if (v.is_string()) return "the string " + text;
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return text;
}

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

// Reader: walks one JSON object, remembering its path and which keys it
// consumed, so that leftovers are reported as unknown keys.
class Reader {
 public:
  Reader(const json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object_.is_object())
      fail(path_.empty() ? "the top level" : path_, "expected an object", object_);
  }

  [[noreturn]] void fail(const std::string& path, const std::string& expected,
                         const json& got) const {
    throw ConfigError(source_ + ": " + path + ": " + expected + ", got " + describe(got));
  }
  [[noreturn]] void fail_message(const std::string& path, const std::string& message) const {
    throw ConfigError(source_ + ": " + path + ": " + message);
  }
  std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool has(const std::string& key) const { return object_.contains(key); }

  const json* get(const std::string& key) {
    seen_.insert(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  template <class Int>
  void integer(const std::string& key, Int& out, std::uint64_t min, std::uint64_t max) {
    const json* v = get(key);
    if (v == nullptr) return;
    const std::string expected =
        "expected an integer " +
        (max == std::numeric_limits<std::uint64_t>::max()
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
  void number(const std::string& key, double& out, double min) {
    const json* v = get(key);
    if (v == nullptr) return;
    const std::string expected =
        "expected a number >= " + std::to_string(static_cast<long long>(min));
    if (!v->is_number()) fail(at(key), expected, *v);
    const double value = v->get<double>();
    if (!std::isfinite(value) || value < min) fail(at(key), expected, *v);
    out = value;
  }
  void boolean(const std::string& key, bool& out) {
    const json* v = get(key);
    if (v == nullptr) return;
    if (!v->is_boolean()) fail(at(key), "expected true or false", *v);
    out = v->get<bool>();
  }
  void string(const std::string& key, std::string& out) {
    const json* v = get(key);
    if (v == nullptr) return;
    if (!v->is_string()) fail(at(key), "expected a string", *v);
    out = v->get<std::string>();
  }
  Reader object(const std::string& key) {
    const json* v = get(key);
    static const json empty = json::object();
    return Reader(v != nullptr ? *v : empty, at(key), source_);
  }

  // finish(): every key was known; a near miss gets a did-you-mean.
  void finish(const std::vector<std::string>& known) const {
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

 private:
  const json& object_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> seen_;
};

CloseWhen parse_close_when(Reader& r, const json& v, const std::string& path) {
  static const std::map<std::string, CloseWhen> names = {
      {"after_producers", CloseWhen::after_producers},
      {"after_ms", CloseWhen::after_ms},
      {"after_received", CloseWhen::after_received},
      {"by_producer", CloseWhen::by_producer},
      {"senders_dropped", CloseWhen::senders_dropped}};
  const std::string expected =
      "expected one of \"after_producers\", \"after_ms\", \"after_received\", "
      "\"by_producer\", \"senders_dropped\"";
  if (!v.is_string()) r.fail(path, expected, v);
  auto it = names.find(v.get<std::string>());
  if (it == names.end()) r.fail(path, expected, v);
  return it->second;
}

std::string impl_names() {
  std::string names;
  for (const std::string& impl : kImpls) names += (names.empty() ? "\"" : ", \"") + impl + "\"";
  return names;
}

bool known_impl(const std::string& impl) {
  return std::find(kImpls.begin(), kImpls.end(), impl) != kImpls.end();
}

// parse_one(): one scenario object (after sweep substitution) into a config.
ScenarioConfig parse_one(const json& object, const std::string& path, const std::string& source) {
  ScenarioConfig c;
  c.source = source;
  Reader r(object, path, source);
  {
    const json* name = r.get("name");
    if (name == nullptr) r.fail_message(r.at("name"), "missing: every scenario needs a name");
    r.string("name", c.name);
    if (c.name.empty()) r.fail(r.at("name"), "expected a non-empty string", *name);
  }
  r.string("description", c.description);
  {
    Reader rt = r.object("runtime");
    rt.integer("workers", c.runtime.workers, 1, kMaxWorkers);
    rt.boolean("deterministic", c.runtime.deterministic);
    rt.integer("seed", c.runtime.seed, 0, std::numeric_limits<std::uint64_t>::max());
    rt.integer("stack_kib", c.runtime.stack_kib, 16, 64 * 1024);
    rt.finish({"workers", "deterministic", "seed", "stack_kib"});
    if (c.runtime.deterministic && c.runtime.workers != 1) {
      if (r.has("runtime") && object["runtime"].contains("workers")) {
        rt.fail(rt.at("workers"), "expected 1 with deterministic: true (one worker, virtual time)",
                object["runtime"]["workers"]);
      }
      c.runtime.workers = 1;  // the default of 2 gives way to deterministic mode
    }
  }
  {
    Reader q = r.object("queue");
    if (const json* impl = q.get("impl")) {
      // A list was split into one scenario per impl by expand().
      if (!impl->is_string() || !known_impl(impl->get<std::string>())) {
        q.fail(q.at("impl"), "expected one of " + impl_names() + ", or a list of them", *impl);
      }
      c.queue.impl = impl->get<std::string>();
    }
    q.integer("capacity", c.queue.capacity, 1, kMaxCapacity);
    q.finish({"impl", "capacity"});
  }
  if (r.has("messages") && r.has("duration_ms")) {
    r.fail_message(r.at("duration_ms"), "messages and duration_ms are both set; give one of them");
  }
  {
    std::uint64_t value = 0;
    if (r.has("messages")) {
      r.integer("messages", value, 1, std::uint64_t{1} << 40);
      c.messages = value;
    }
    if (r.has("duration_ms")) {
      r.integer("duration_ms", value, 1, 24ull * 3600 * 1000);
      c.duration_ms = value;
    }
    if (!c.messages && !c.duration_ms) c.messages = 1'000'000;
  }
  {
    Reader p = r.object("producers");
    p.integer("count", c.producers.count, 1, kMaxFibersPerSide);
    p.number("rate_per_sec", c.producers.rate_per_sec, 0);
    p.integer("payload_bytes", c.producers.payload_bytes, 0, kMaxPayloadBytes);
    p.integer("work_ns", c.producers.work_ns, 0, 1'000'000'000);
    p.integer("stop_after", c.producers.stop_after, 0, std::uint64_t{1} << 40);
    p.integer("stoppers", c.producers.stoppers, 1, kMaxFibersPerSide);
    p.integer("send_timeout_us", c.producers.send_timeout_us, 0, 3'600'000'000ull);
    p.finish({"count", "rate_per_sec", "payload_bytes", "work_ns", "stop_after", "stoppers",
              "send_timeout_us"});
    if (c.producers.stoppers > c.producers.count) {
      p.fail(p.at("stoppers"),
             "expected at most producers.count (" + std::to_string(c.producers.count) + ")",
             object["producers"]["stoppers"]);
    }
  }
  {
    Reader k = r.object("consumers");
    k.integer("count", c.consumers.count, 1, kMaxFibersPerSide);
    k.integer("work_ns", c.consumers.work_ns, 0, 1'000'000'000);
    k.integer("quit_after", c.consumers.quit_after, 0, std::uint64_t{1} << 40);
    k.integer("quitters", c.consumers.quitters, 1, kMaxFibersPerSide);
    k.integer("receive_timeout_us", c.consumers.receive_timeout_us, 0, 3'600'000'000ull);
    k.finish({"count", "work_ns", "quit_after", "quitters", "receive_timeout_us"});
    if (c.consumers.quitters > c.consumers.count) {
      k.fail(k.at("quitters"),
             "expected at most consumers.count (" + std::to_string(c.consumers.count) + ")",
             object["consumers"]["quitters"]);
    }
  }
  {
    Reader cl = r.object("close");
    if (const json* when = cl.get("when"))
      c.close.when = parse_close_when(cl, *when, cl.at("when"));
    cl.integer("ms", c.close.ms, 0, 24ull * 3600 * 1000);
    cl.integer("messages", c.close.messages, 1, std::uint64_t{1} << 40);
    cl.finish({"when", "ms", "messages"});
    const json& close = object.contains("close") ? object["close"] : json::object();
    if (c.close.when == CloseWhen::after_ms && !close.contains("ms")) {
      cl.fail_message(cl.at("ms"), "missing: close.when \"after_ms\" needs close.ms");
    }
    if (c.close.when != CloseWhen::after_ms && close.contains("ms")) {
      cl.fail_message(cl.at("ms"), "only meaningful with close.when \"after_ms\"");
    }
    const bool counts_messages =
        c.close.when == CloseWhen::after_received || c.close.when == CloseWhen::by_producer;
    if (counts_messages && !close.contains("messages")) {
      cl.fail_message(cl.at("messages"), std::string("missing: close.when \"") +
                                             to_string(c.close.when) + "\" needs close.messages");
    }
    if (!counts_messages && close.contains("messages")) {
      cl.fail_message(cl.at("messages"),
                      "only meaningful with close.when \"after_received\" or \"by_producer\"");
    }
    if (counts_messages && c.messages && c.close.messages > *c.messages) {
      cl.fail(cl.at("messages"), "expected at most messages (" + std::to_string(*c.messages) + ")",
              close["messages"]);
    }
  }
  {
    Reader l = r.object("latency");
    l.integer("sample_every", c.latency_sample_every, 1, 1'000'000'000);
    l.finish({"sample_every"});
  }
  {
    Reader run = r.object("run");
    run.integer("repeat", c.run.repeat, 1, 10'000);
    run.integer("warmup", c.run.warmup, 0, 10'000);
    run.integer("timeout_ms", c.run.timeout_ms, 1, 7ull * 24 * 3600 * 1000);
    run.finish({"repeat", "warmup", "timeout_ms"});
  }
  {
    Reader e = r.object("expect");
    e.number("min_msgs_per_sec", c.expect.min_msgs_per_sec, 0);
    e.integer("max_p99_ns", c.expect.max_p99_ns, 0, std::numeric_limits<std::uint64_t>::max());
    e.finish({"min_msgs_per_sec", "max_p99_ns"});
  }
  r.get("sweep");  // validated and applied by the caller
  r.finish({"name", "description", "runtime", "queue", "messages", "duration_ms", "producers",
            "consumers", "close", "latency", "run", "expect", "sweep"});
  c.group_name = c.name;
  try {
    check_impl(c);
  } catch (const ConfigError& e) {
    r.fail_message(r.at("queue.impl"), e.what());
  }
  if (c.messages && c.producers.count > *c.messages) {
    r.fail_message(r.at("producers.count"), "expected at most messages (" +
                                                std::to_string(*c.messages) + ") producers, got " +
                                                std::to_string(c.producers.count));
  }
  return c;
}

// The keys a sweep may vary: "section.key" paths of numbers, booleans and strings.
const std::set<std::string> kSweepable = {"runtime.workers",
                                          "runtime.deterministic",
                                          "runtime.seed",
                                          "runtime.stack_kib",
                                          "queue.impl",
                                          "queue.capacity",
                                          "messages",
                                          "duration_ms",
                                          "producers.count",
                                          "producers.rate_per_sec",
                                          "producers.payload_bytes",
                                          "producers.work_ns",
                                          "consumers.count",
                                          "consumers.work_ns",
                                          "producers.stop_after",
                                          "producers.send_timeout_us",
                                          "consumers.quit_after",
                                          "consumers.receive_timeout_us",
                                          "close.ms",
                                          "close.messages",
                                          "latency.sample_every"};

std::string render(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void set_path(json& object, const std::string& key, const json& value) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) {
    object[key] = value;
  } else {
    json& section = object[key.substr(0, dot)];
    if (!section.is_object()) section = json::object();
    section[key.substr(dot + 1)] = value;
  }
}

void expand(const json& object, const std::string& path, const std::string& source,
            std::vector<ScenarioConfig>& out) {
  if (!object.is_object()) {
    throw ConfigError(source + ": " + (path.empty() ? "the top level" : path) +
                      ": expected a scenario object, got " + describe(object));
  }
  // queue.impl as a list: the scenario (every sweep point of it) once per
  // impl, grouped so that the runner interleaves and compares them.
  if (auto queue = object.find("queue"); queue != object.end() && queue->is_object()) {
    if (auto list = queue->find("impl"); list != queue->end() && list->is_array()) {
      const std::string at = (path.empty() ? "" : path + ".") + "queue.impl";
      if (list->empty()) {
        throw ConfigError(source + ": " + at + ": expected a non-empty list of impls, got []");
      }
      std::vector<std::string> impls;
      for (std::size_t i = 0; i < list->size(); ++i) {
        const json& v = (*list)[i];
        const std::string at_i = at + "[" + std::to_string(i) + "]";
        if (!v.is_string() || !known_impl(v.get<std::string>())) {
          throw ConfigError(source + ": " + at_i + ": expected one of " + impl_names() + ", got " +
                            describe(v));
        }
        if (std::find(impls.begin(), impls.end(), v.get<std::string>()) != impls.end()) {
          throw ConfigError(source + ": " + at_i + ": \"" + v.get<std::string>() +
                            "\" is listed twice");
        }
        impls.push_back(v.get<std::string>());
      }
      json single = object;
      single["queue"]["impl"] = impls.front();
      std::vector<ScenarioConfig> base;
      expand(single, path, source, base);
      try {
        for (ScenarioConfig& c : with_impls(base, impls)) out.push_back(std::move(c));
      } catch (const ConfigError& e) {
        throw ConfigError(std::string(e.what()) + " (" + at + ")");
      }
      return;
    }
  }
  auto sweep_it = object.find("sweep");
  if (sweep_it == object.end()) {
    out.push_back(parse_one(object, path, source));
    return;
  }
  const std::string sweep_path = path.empty() ? "sweep" : path + ".sweep";
  const json& sweep = *sweep_it;
  if (!sweep.is_object() || sweep.empty()) {
    throw ConfigError(source + ": " + sweep_path +
                      ": expected an object of \"key\": [values], got " + describe(sweep));
  }
  std::vector<std::pair<std::string, std::vector<json>>> axes;
  for (auto it = sweep.begin(); it != sweep.end(); ++it) {
    const std::string at = sweep_path + "." + it.key();
    if (kSweepable.count(it.key()) == 0) {
      throw ConfigError(source + ": " + at + ": not a key that can be swept");
    }
    if (!it->is_array() || it->empty()) {
      throw ConfigError(source + ": " + at + ": expected a non-empty array of values, got " +
                        describe(*it));
    }
    axes.emplace_back(it.key(), std::vector<json>(it->begin(), it->end()));
  }
  // The cross product, first axis slowest.
  std::vector<std::size_t> index(axes.size(), 0);
  json base = object;
  base.erase("sweep");
  for (;;) {
    json point = base;
    std::string suffix;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      set_path(point, axes[a].first, axes[a].second[index[a]]);
      suffix += (a ? "," : "") + axes[a].first + "=" + render(axes[a].second[index[a]]);
    }
    if (!point.contains("name") || !point["name"].is_string()) {
      out.push_back(parse_one(point, path, source));  // reports the missing name
    }
    point["name"] = point["name"].get<std::string>() + "[" + suffix + "]";
    try {
      out.push_back(parse_one(point, path, source));
    } catch (const ConfigError& e) {
      throw ConfigError(std::string(e.what()) + " (sweep point " + suffix + ")");
    }
    std::size_t a = axes.size();
    while (a > 0) {
      --a;
      if (++index[a] < axes[a].second.size()) break;
      index[a] = 0;
      if (a == 0) return;
    }
    if (axes.empty()) return;
  }
}

}  // namespace

const char* to_string(CloseWhen when) noexcept {
  switch (when) {
    case CloseWhen::after_producers:
      return "after_producers";
    case CloseWhen::after_ms:
      return "after_ms";
    case CloseWhen::after_received:
      return "after_received";
    case CloseWhen::by_producer:
      return "by_producer";
    case CloseWhen::senders_dropped:
      return "senders_dropped";
  }
  return "after_producers";
}

bool runs_on_our_runtime(const std::string& impl) noexcept {
  return impl == "tmpmc" || impl == "mutex" || impl == "seed";
}

void check_impl(const ScenarioConfig& c) {
  const std::string& impl = c.queue.impl;
  if (!known_impl(impl)) {
    throw ConfigError("unknown queue.impl \"" + impl + "\"; expected one of " + impl_names());
  }
  if (c.runtime.deterministic && !runs_on_our_runtime(impl)) {
    throw ConfigError("queue.impl \"" + impl +
                      "\" cannot run deterministic: true (only tmpmc, mutex and seed run on "
                      "our runtime)");
  }
  if (impl == "seed" && (c.producers.send_timeout_us != 0 || c.consumers.receive_timeout_us != 0)) {
    throw ConfigError(
        "queue.impl \"seed\" has no timed send or receive (tokio-mpmc 0.2.4 has none); drop "
        "producers.send_timeout_us and consumers.receive_timeout_us");
  }
}

static std::string tag_with_impl(const std::string& name, const std::string& impl) {
  // As a sweep point would name it: "x[queue.impl=mutex]", "x[a=1,queue.impl=mutex]".
  if (!name.empty() && name.back() == ']') {
    return name.substr(0, name.size() - 1) + ",queue.impl=" + impl + "]";
  }
  return name + "[queue.impl=" + impl + "]";
}

static void number_impl_groups(std::vector<ScenarioConfig>& configs) {
  unsigned group = 0;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    if (configs[i].impl_group == 0) continue;
    const bool same = i > 0 && configs[i - 1].impl_group != 0 &&
                      configs[i - 1].group_name == configs[i].group_name;
    if (!same) ++group;
    configs[i].impl_group = group;
  }
}

std::vector<ScenarioConfig> with_impls(const std::vector<ScenarioConfig>& configs,
                                       const std::vector<std::string>& impls) {
  std::vector<ScenarioConfig> out;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const ScenarioConfig& base = configs[i];
    // A group from an impl list is one scenario: the new list replaces it.
    if (base.impl_group != 0 && i > 0 && configs[i - 1].impl_group == base.impl_group) continue;
    for (const std::string& impl : impls) {
      ScenarioConfig c = base;
      c.queue.impl = impl;
      c.name = base.group_name;
      c.impl_group = impls.size() > 1 ? 1 : 0;
      if (impls.size() > 1) c.name = tag_with_impl(base.group_name, impl);
      try {
        check_impl(c);
      } catch (const ConfigError& e) {
        throw ConfigError(c.source + ": " + base.group_name + ": " + e.what());
      }
      out.push_back(std::move(c));
    }
  }
  number_impl_groups(out);
  return out;
}

std::vector<ScenarioConfig> parse_scenarios(const std::string& text, const std::string& source) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ConfigError(source +
                      ": the file is empty; expected a scenario object or {\"scenarios\": [...]}");
  }
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    // Turn the byte offset into a line and column.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    const auto colon = what.rfind(": ");
    throw ConfigError(
        source + ":" + std::to_string(line) + ":" + std::to_string(column) +
        ": invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
  } catch (const json::exception& e) {
    // Not a syntax error but a value the parser cannot hold, such as a number
    // beyond a double's range (out_of_range 406), which carries no offset.
    std::string what = e.what();
    const auto bracket = what.find("] ");
    throw ConfigError(source + ": invalid JSON: " +
                      (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  std::vector<ScenarioConfig> out;
  if (document.is_object() && document.contains("scenarios")) {
    if (document.size() != 1) {
      for (auto it = document.begin(); it != document.end(); ++it) {
        if (it.key() != "scenarios") {
          throw ConfigError(source + ": " + it.key() +
                            ": unknown key next to \"scenarios\"; a file holds one scenario or "
                            "{\"scenarios\": [...]}");
        }
      }
    }
    const json& list = document["scenarios"];
    if (!list.is_array() || list.empty()) {
      throw ConfigError(source + ": scenarios: expected a non-empty array of scenarios, got " +
                        describe(list));
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      expand(list[i], "scenarios[" + std::to_string(i) + "]", source, out);
    }
  } else {
    expand(document, "", source, out);
  }
  std::set<std::string> names;
  for (const auto& c : out) {
    if (!names.insert(c.name).second) {
      throw ConfigError(source + ": name: two scenarios are named \"" + c.name +
                        "\"; names must be unique");
    }
  }
  number_impl_groups(out);
  return out;
}

std::vector<ScenarioConfig> load_scenarios(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ConfigError(path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path + ": is a directory, expected a JSON file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenarios(text.str(), path);
}

nlohmann::json ScenarioConfig::to_json() const {
  json j;
  j["name"] = name;
  j["description"] = description;
  j["runtime"] = {{"workers", runtime.workers},
                  {"deterministic", runtime.deterministic},
                  {"seed", runtime.seed},
                  {"stack_kib", runtime.stack_kib}};
  j["queue"] = {{"impl", queue.impl}, {"capacity", queue.capacity}};
  if (messages) j["messages"] = *messages;
  if (duration_ms) j["duration_ms"] = *duration_ms;
  j["producers"] = {{"count", producers.count},
                    {"rate_per_sec", producers.rate_per_sec},
                    {"payload_bytes", producers.payload_bytes},
                    {"work_ns", producers.work_ns}};
  if (producers.stop_after != 0) {
    j["producers"]["stop_after"] = producers.stop_after;
    j["producers"]["stoppers"] = producers.stoppers;
  }
  if (producers.send_timeout_us != 0) j["producers"]["send_timeout_us"] = producers.send_timeout_us;
  j["consumers"] = {{"count", consumers.count}, {"work_ns", consumers.work_ns}};
  if (consumers.quit_after != 0) {
    j["consumers"]["quit_after"] = consumers.quit_after;
    j["consumers"]["quitters"] = consumers.quitters;
  }
  if (consumers.receive_timeout_us != 0) {
    j["consumers"]["receive_timeout_us"] = consumers.receive_timeout_us;
  }
  j["close"] = {{"when", to_string(close.when)}};
  if (close.when == CloseWhen::after_ms) j["close"]["ms"] = close.ms;
  if (close.when == CloseWhen::after_received || close.when == CloseWhen::by_producer) {
    j["close"]["messages"] = close.messages;
  }
  j["latency"] = {{"sample_every", latency_sample_every}};
  j["run"] = {{"repeat", run.repeat}, {"warmup", run.warmup}, {"timeout_ms", run.timeout_ms}};
  j["expect"] = {{"min_msgs_per_sec", expect.min_msgs_per_sec}, {"max_p99_ns", expect.max_p99_ns}};
  return j;
}

}  // namespace tmpmc::scenarios
