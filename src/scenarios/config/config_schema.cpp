// config_schema.cpp: the config schema, v1 (DESIGN.md). Every key of every
// section is listed here once, in the order the parser reads it and error
// messages list it, with the type of value it takes, its range, and whether
// a sweep may vary it; the same rows serve parsing, the unknown-key check and
// to_json(). Defaults are the members' initialisers in config.h. Rules that
// relate keys to each other follow their section.
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "config/config_key.h"
#include "config/config_parse.h"
#include "config/config_reader.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/impls.h"

namespace tmpmc::scenarios {

using nlohmann::json;

namespace {

using namespace schema;
using C = ScenarioConfig;
constexpr auto kUnbounded = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kMaxMessages = std::uint64_t{1} << 40;
constexpr std::uint64_t kDayMs = 24ull * 3600 * 1000;
constexpr std::uint64_t kHourUs = 3'600'000'000ull;
constexpr std::uint64_t kSecondNs = 1'000'000'000;
constexpr std::uint64_t kSecondUs = 1'000'000;

// The keys read in a way of their own.

void read_name(Reader& r, const Key&, ScenarioConfig& c) {
  const json* name = r.get("name");
  if (name == nullptr) r.fail_message(r.at("name"), "missing: every scenario needs a name");
  r.string("name", c.name);
  if (c.name.empty()) r.fail(r.at("name"), "expected a non-empty string", *name);
}

void read_impl(Reader& q, const Key&, ScenarioConfig& c) {
  const json* impl = q.get("impl");
  if (impl == nullptr) return;
  // A list was split into one scenario per impl by expand_scenario().
  if (!impl->is_string() || find_impl(impl->get<std::string>()) == nullptr) {
    q.fail(q.at("impl"),
           "expected one of " + join_names(impl_names(), ", ", "\"") + ", or a list of them",
           *impl);
  }
  c.queue.impl = impl->get<std::string>();
}

void read_messages(Reader& r, const Key& k, ScenarioConfig& c) {
  if (r.has("messages") && r.has("duration_ms")) {
    r.fail_message(r.at("duration_ms"), "messages and duration_ms are both set; give one of them");
  }
  read_member<&C::messages>(r, k, c);
}

void read_close_when(Reader& cl, const Key&, ScenarioConfig& c) {
  const json* v = cl.get("when");
  if (v == nullptr) return;
  const std::string expected =
      "expected one of \"after_producers\", \"after_ms\", \"after_received\", "
      "\"by_producer\", \"senders_dropped\"";
  if (!v->is_string()) cl.fail(cl.at("when"), expected, *v);
  for (CloseWhen when : {CloseWhen::after_producers, CloseWhen::after_ms, CloseWhen::after_received,
                         CloseWhen::by_producer, CloseWhen::senders_dropped}) {
    if (v->get<std::string>() == to_string(when)) {
      c.close.when = when;
      return;
    }
  }
  cl.fail(cl.at("when"), expected, *v);
}

void read_check(Reader& r, const Key&, ScenarioConfig& c) {
  const json* v = r.get("check");
  if (v == nullptr) return;
  const std::string expected = "expected one of \"exact\", \"streaming\", \"auto\"";
  if (!v->is_string()) r.fail(r.at("check"), expected, *v);
  for (CheckSetting check :
       {CheckSetting::exact, CheckSetting::streaming, CheckSetting::automatic}) {
    if (v->get<std::string>() == to_string(check)) {
      c.check = check;
      return;
    }
  }
  r.fail(r.at("check"), expected, *v);
}

void read_placement(Reader& r, const Key&, ScenarioConfig& c) {
  const json* v = r.get("placement");
  if (v == nullptr) return;
  const std::string expected = "expected one of \"local\", \"spread\"";
  if (!v->is_string()) r.fail(r.at("placement"), expected, *v);
  const std::optional<Placement> placement = parse_placement(v->get<std::string>());
  if (!placement) r.fail(r.at("placement"), expected, *v);
  c.runtime.placement = *placement;
}

void read_sweep(Reader& r, const Key&, ScenarioConfig&) {
  r.get("sweep");  // validated and applied by expand_scenario()
}

// When to_json() writes the keys that are not always written.
bool stops_early(const C& c) { return c.producers.stop_after != 0; }
bool sends_timed(const C& c) { return c.producers.send_timeout_us != 0; }
bool sends_try_first(const C& c) { return c.producers.try_first; }
bool sends_batches(const C& c) { return c.producers.batch != 1; }
bool receives_batches(const C& c) { return c.consumers.batch != 1; }
bool receives_try_first(const C& c) { return c.consumers.try_first; }
bool quits_early(const C& c) { return c.consumers.quit_after != 0; }
bool receives_timed(const C& c) { return c.consumers.receive_timeout_us != 0; }
bool closes_after_ms(const C& c) { return c.close.when == CloseWhen::after_ms; }
bool closes_at_count(const C& c) {
  return c.close.when == CloseWhen::after_received || c.close.when == CloseWhen::by_producer;
}

// The rules across the keys of a section, checked once it is read.

void check_runtime(const Reader& rt, ScenarioConfig& c) {
  if (!c.runtime.deterministic || c.runtime.workers == 1) return;
  if (rt.raw().contains("workers")) {
    rt.fail(rt.at("workers"), "expected 1 with deterministic: true (one worker, virtual time)",
            rt.raw().at("workers"));
  }
  c.runtime.workers = 1;  // the default of 2 gives way to deterministic mode
}

void check_length(const Reader&, ScenarioConfig& c) {
  if (!c.messages && !c.duration_ms) c.messages = 1'000'000;
}

void check_producers(const Reader& p, ScenarioConfig& c) {
  if (c.producers.stoppers > c.producers.count) {
    p.fail(p.at("stoppers"),
           "expected at most producers.count (" + std::to_string(c.producers.count) + ")",
           p.raw().at("stoppers"));
  }
  if (c.producers.batch != 1 && c.producers.rate_per_sec > 0) {
    p.fail(p.at("batch"),
           "expected 1 with rate_per_sec (an open-loop producer sends each message when it is due)",
           p.raw().at("batch"));
  }
}

void check_consumers(const Reader& k, ScenarioConfig& c) {
  if (c.consumers.quitters > c.consumers.count) {
    k.fail(k.at("quitters"),
           "expected at most consumers.count (" + std::to_string(c.consumers.count) + ")",
           k.raw().at("quitters"));
  }
}

void check_close(const Reader& cl, ScenarioConfig& c) {
  const json& close = cl.raw();
  if (c.close.when == CloseWhen::after_ms && !close.contains("ms")) {
    cl.fail_message(cl.at("ms"), "missing: close.when \"after_ms\" needs close.ms");
  }
  if (c.close.when != CloseWhen::after_ms && close.contains("ms")) {
    cl.fail_message(cl.at("ms"), "only meaningful with close.when \"after_ms\"");
  }
  const bool counts_messages = closes_at_count(c);
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
            close.at("messages"));
  }
}

// The schema. A section named "" holds keys of the scenario object itself.
constexpr Sweep no = Sweep::no, sweepable = Sweep::yes;
using Rt = RuntimeConfig;
using Q = QueueConfig;
using P = ProducersConfig;
using K = ConsumersConfig;
using Cl = CloseConfig;
using R = RunConfig;
using E = ExpectConfig;

constexpr Key kNaming[] = {
    text<&C::name>("name", no).read_with(read_name),
    text<&C::description>("description", no),
};
constexpr Key kRuntime[] = {
    integer<&C::runtime, &Rt::workers>("workers", 1, kMaxWorkers, sweepable),
    // local or spread: config.h's Placement.
    choice<&C::runtime, &Rt::placement>("placement", sweepable, read_placement),
    boolean<&C::runtime, &Rt::deterministic>("deterministic", sweepable),
    integer<&C::runtime, &Rt::seed>("seed", 0, kUnbounded, sweepable),
    integer<&C::runtime, &Rt::stack_kib>("stack_kib", 16, 64 * 1024, sweepable),
    integer<&C::runtime, &Rt::timer_spin_us>("timer_spin_us", 0, kSecondUs, sweepable),
};
constexpr Key kQueue[] = {
    // A list of impls is split into one scenario per impl by config_expand.cpp.
    text<&C::queue, &Q::impl>("impl", sweepable).read_with(read_impl),
    integer<&C::queue, &Q::capacity>("capacity", 1, kMaxCapacity, sweepable),
};
constexpr Key kLength[] = {
    // One of the two; neither: messages 1,000,000 (check_length).
    integer<&C::messages>("messages", 1, kMaxMessages, sweepable).read_with(read_messages),
    integer<&C::duration_ms>("duration_ms", 1, kDayMs, sweepable),
};
constexpr Key kChecking[] = {
    // exact, streaming or auto: config.h's CheckSetting.
    choice<&C::check>("check", sweepable, read_check),
};
constexpr Key kProducers[] = {
    integer<&C::producers, &P::count>("count", 1, kMaxFibersPerSide, sweepable),
    number<&C::producers, &P::rate_per_sec>("rate_per_sec", 0, sweepable),
    integer<&C::producers, &P::payload_bytes>("payload_bytes", 0, kMaxPayloadBytes, sweepable),
    integer<&C::producers, &P::work_ns>("work_ns", 0, kSecondNs, sweepable),
    integer<&C::producers, &P::stop_after>("stop_after", 0, kMaxMessages, sweepable)
        .written_when(stops_early),
    integer<&C::producers, &P::stoppers>("stoppers", 1, kMaxFibersPerSide, no)
        .written_when(stops_early),
    integer<&C::producers, &P::send_timeout_us>("send_timeout_us", 0, kHourUs, sweepable)
        .written_when(sends_timed),
    boolean<&C::producers, &P::try_first>("try_first", sweepable).written_when(sends_try_first),
    integer<&C::producers, &P::batch>("batch", 1, kMaxBatch, sweepable).written_when(sends_batches),
};
constexpr Key kConsumers[] = {
    integer<&C::consumers, &K::count>("count", 1, kMaxFibersPerSide, sweepable),
    integer<&C::consumers, &K::work_ns>("work_ns", 0, kSecondNs, sweepable),
    integer<&C::consumers, &K::quit_after>("quit_after", 0, kMaxMessages, sweepable)
        .written_when(quits_early),
    integer<&C::consumers, &K::quitters>("quitters", 1, kMaxFibersPerSide, no)
        .written_when(quits_early),
    integer<&C::consumers, &K::receive_timeout_us>("receive_timeout_us", 0, kHourUs, sweepable)
        .written_when(receives_timed),
    boolean<&C::consumers, &K::try_first>("try_first", sweepable).written_when(receives_try_first),
    integer<&C::consumers, &K::batch>("batch", 1, kMaxBatch, sweepable)
        .written_when(receives_batches),
};
constexpr Key kClose[] = {
    choice<&C::close, &Cl::when>("when", no, read_close_when),
    integer<&C::close, &Cl::ms>("ms", 0, kDayMs, sweepable).written_when(closes_after_ms),
    integer<&C::close, &Cl::messages>("messages", 1, kMaxMessages, sweepable)
        .written_when(closes_at_count),
};
constexpr Key kLatency[] = {
    integer<&C::latency_sample_every>("sample_every", 1, kSecondNs, sweepable),
};
constexpr Key kRun[] = {
    integer<&C::run, &R::repeat>("repeat", 1, 10'000, no),
    integer<&C::run, &R::warmup>("warmup", 0, 10'000, no),
    integer<&C::run, &R::timeout_ms>("timeout_ms", 1, 7 * kDayMs, no),
};
constexpr Key kExpect[] = {
    number<&C::expect, &E::min_msgs_per_sec>("min_msgs_per_sec", 0, no),
    integer<&C::expect, &E::max_p99_ns>("max_p99_ns", 0, kUnbounded, no),
};
constexpr Key kSweep[] = {
    Key{.name = "sweep", .read = read_sweep},  // {"section.key": [values]}: config_expand.cpp
};

struct Section {
  std::string_view name;
  std::span<const Key> keys;
  void (*check)(const Reader& section, ScenarioConfig& c) = nullptr;
};

constexpr Section kSchema[] = {
    {"", kNaming},
    {"runtime", kRuntime, check_runtime},
    {"queue", kQueue},
    {"", kLength, check_length},
    {"", kChecking},
    {"producers", kProducers, check_producers},
    {"consumers", kConsumers, check_consumers},
    {"close", kClose, check_close},
    {"latency", kLatency},
    {"run", kRun},
    {"expect", kExpect},
    {"", kSweep},
};

std::vector<std::string> key_names(std::span<const Key> keys) {
  std::vector<std::string> names;
  for (const Key& k : keys) names.emplace_back(k.name);
  return names;
}

// The scenario object's own keys: its sections' names and its "" keys.
std::vector<std::string> top_level_names() {
  std::vector<std::string> names;
  for (const Section& section : kSchema) {
    if (!section.name.empty()) {
      names.emplace_back(section.name);
    } else {
      for (const Key& k : section.keys) names.emplace_back(k.name);
    }
  }
  return names;
}

void read_section(Reader& section, std::span<const Key> keys, ScenarioConfig& c) {
  for (const Key& k : keys) k.read(section, k, c);
}

}  // namespace

ScenarioConfig parse_scenario(const json& object, const std::string& path,
                              const std::string& source) {
  ScenarioConfig c;
  c.source = source;
  Reader r(object, path, source);
  for (const Section& section : kSchema) {
    if (section.name.empty()) {
      read_section(r, section.keys, c);
      if (section.check != nullptr) section.check(r, c);
      continue;
    }
    Reader s = r.object(std::string(section.name));
    read_section(s, section.keys, c);
    s.finish(key_names(section.keys));
    if (section.check != nullptr) section.check(s, c);
  }
  r.finish(top_level_names());
  // The rules across sections.
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
  // Each fiber's stack holds a few messages (the producer's prototype and the
  // copies on their way into the queue): 4096-byte payloads overflowed a
  // 40 KiB stack (SIGSEGV at the guard page).
  if (c.producers.payload_bytes > 1024 && c.runtime.stack_kib < 64) {
    r.fail_message(r.at("runtime.stack_kib"),
                   "expected at least 64 with producers.payload_bytes above 1024 (each fiber's "
                   "stack holds several messages), got " +
                       std::to_string(c.runtime.stack_kib));
  }
  return c;
}

bool is_sweepable(std::string_view key) {
  for (const Section& section : kSchema) {
    for (const Key& k : section.keys) {
      const std::string path = section.name.empty()
                                   ? std::string(k.name)
                                   : std::string(section.name) + "." + std::string(k.name);
      if (k.sweep == Sweep::yes && path == key) return true;
    }
  }
  return false;
}

nlohmann::json ScenarioConfig::to_json() const {
  json j;
  for (const Section& section : kSchema) {
    json& out = section.name.empty() ? j : j[std::string(section.name)];
    for (const Key& k : section.keys) {
      if (k.write != nullptr && (k.written == nullptr || k.written(*this))) k.write(*this, k, out);
    }
  }
  return j;
}

}  // namespace tmpmc::scenarios
