// config.h: scenario configs, schema v1 (DESIGN.md), parsed and validated
// before anything runs. The keys, their ranges and which a sweep may vary are
// listed once, in config_schema.cpp; the defaults are the initialisers below.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tmpmc/runtime/pacing.h"
#include "tmpmc/scenarios/impls.h"

namespace tmpmc::scenarios {

// ConfigError: one line, `file: json.path: what was expected, got what`.
class ConfigError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Who closes the queue, and when. after_received closes from a consumer,
// by_producer from a producer; senders_dropped closes with the last Sender.
enum class CloseWhen { after_producers, after_ms, after_received, by_producer, senders_dropped };

// How a run's messages are checked: exact (a log of every message, which
// names a lost one; 8 bytes a message), streaming (counts and digests per
// producer and consumer; memory that does not grow with the run), or auto:
// exact for runs of at most kAutoExactMaxMessages messages, streaming for
// longer ones and for runs of a duration_ms.
enum class CheckSetting { automatic, exact, streaming };
inline constexpr std::uint64_t kAutoExactMaxMessages = 10'000'000;  // 80 MB of logs

// Where a run's producers and consumers run (DESIGN.md, "Placement"):
// local, each task where its executor starts it (our runtime: on its
// spawner's worker, moved only by a steal); spread, producer i on worker
// i mod W and consumer j on worker (j + ceil(W/2)) mod W, pinned there, so
// that on 2 workers a 1:1 run crosses cores on every message. Each backend
// maps it to the closest it has (its registry note says how).
enum class Placement { local, spread };

struct RuntimeConfig {
  unsigned workers = 2;
  Placement placement = Placement::local;
  bool deterministic = false;
  std::uint64_t seed = 1;
  unsigned stack_kib = 64;
  // The spin horizon (runtime/pacing.h): a pacer whose deadline is this close
  // waits for it awake; 0: it sleeps until the deadline. Every backend paces
  // its open-loop producers with it.
  std::uint64_t timer_spin_us = runtime::kDefaultTimerSpin.count();
};

struct QueueConfig {
  std::string impl = "tmpmc";
  std::uint64_t capacity = 1024;
};

struct ProducersConfig {
  unsigned count = 1;
  double rate_per_sec = 0;  // > 0: open loop, each producer at this rate
  unsigned payload_bytes = 0;
  std::uint64_t work_ns = 0;
  // Faults: the first `stoppers` producers stop after stop_after messages (0: never).
  std::uint64_t stop_after = 0;
  unsigned stoppers = 1;
  // > 0: sends are send_for(this many microseconds); a timed-out message is
  // handed back (counted in send_timeout) and the producer goes on.
  std::uint64_t send_timeout_us = 0;
  // true: each send is first a try_send; only a full queue falls back to the
  // blocking send (or send_for). Exercises try_send's answers.
  bool try_first = false;
  // > 1: each producer sends runs of up to this many messages with one
  // send_many (try_send_many, send_many_for with the options above).
  unsigned batch = 1;
};

struct ConsumersConfig {
  unsigned count = 1;
  std::uint64_t work_ns = 0;
  // Faults: the first `quitters` consumers quit after quit_after messages (0: never).
  std::uint64_t quit_after = 0;
  unsigned quitters = 1;
  // > 0: receives are receive_for(this many microseconds), retried on timeout.
  std::uint64_t receive_timeout_us = 0;
  // true: each receive is first a try_receive; only an empty queue falls back
  // to the blocking receive (or receive_for).
  bool try_first = false;
  // > 1: each consumer receives up to this many messages with one
  // receive_many (try_receive_many, receive_many_for with the options above).
  unsigned batch = 1;
};

struct CloseConfig {
  CloseWhen when = CloseWhen::after_producers;
  std::uint64_t ms = 0;        // after_ms
  std::uint64_t messages = 0;  // after_received, by_producer
};

struct RunConfig {
  unsigned repeat = 5;
  unsigned warmup = 1;
  // How long a run may take past its planned length (duration_ms, if set)
  // before the fibers still running are reported as a hang: see hang_after().
  std::uint64_t timeout_ms = 60'000;
};

struct ExpectConfig {
  double min_msgs_per_sec = 0;  // 0: no expectation
  std::uint64_t max_p99_ns = 0;
};

struct ScenarioConfig {
  std::string name;
  std::string description;
  RuntimeConfig runtime;
  QueueConfig queue;
  std::optional<std::uint64_t> messages;     // total over all producers
  std::optional<std::uint64_t> duration_ms;  // instead of messages
  CheckSetting check = CheckSetting::automatic;
  ProducersConfig producers;
  ConsumersConfig consumers;
  CloseConfig close;
  std::uint64_t latency_sample_every = 64;
  RunConfig run;
  ExpectConfig expect;
  std::string source;  // file it came from, for messages
  // Scenarios that differ only in queue.impl (an impl list or --impl) share a
  // group number > 0: their runs are interleaved and compared with the first.
  unsigned impl_group = 0;
  std::string group_name;  // the name without the impl tag

  // to_json(): the fully resolved config (every default filled in).
  nlohmann::json to_json() const;
  // hang_after(): when a run that has not ended is a hang: timeout_ms after
  // its planned end (a soak of duration_ms is not a hang at timeout_ms).
  std::chrono::milliseconds hang_after() const {
    return std::chrono::milliseconds(run.timeout_ms + duration_ms.value_or(0));
  }
};

// Limits that make a value "impossible" rather than merely slow. Capacity:
// 2^26 slots is already 2+ GiB of ring with the largest payloads. Fibers: each
// parked fiber holds a stack with a guard page, two kernel mappings, and
// Linux allows 65,530 mappings per process by default.
inline constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 26;
inline constexpr unsigned kMaxFibersPerSide = 10'000;
inline constexpr unsigned kMaxWorkers = 256;
inline constexpr unsigned kMaxPayloadBytes = 4096;
// producers.batch, consumers.batch: a batch is a buffer on the fiber's stack.
inline constexpr unsigned kMaxBatch = 1024;

// load_scenarios(path) reads one scenario or {"scenarios": [...]}, expands
// sweeps, and validates everything. Throws ConfigError.
std::vector<ScenarioConfig> load_scenarios(const std::string& path);
// parse_scenarios() is load_scenarios() on text already read (`source` names it).
std::vector<ScenarioConfig> parse_scenarios(const std::string& text, const std::string& source);

const char* to_string(CloseWhen when) noexcept;
const char* to_string(CheckSetting check) noexcept;   // "auto", "exact", "streaming"
const char* to_string(Placement placement) noexcept;  // "local", "spread"
// parse_placement("spread"): the placement of that name, if there is one.
std::optional<Placement> parse_placement(std::string_view name) noexcept;
// producer_worker(c, i), consumer_worker(c, j): the worker producer i and
// consumer j run on under placement spread, of c.runtime.workers.
unsigned producer_worker(const ScenarioConfig& c, unsigned i) noexcept;
unsigned consumer_worker(const ScenarioConfig& c, unsigned j) noexcept;

// with_impls(): each config once per impl (in that order, names tagged with
// the impl), grouped for interleaving. Throws ConfigError for an unknown impl
// or one that cannot run a config.
std::vector<ScenarioConfig> with_impls(const std::vector<ScenarioConfig>& configs,
                                       const std::vector<std::string>& impls);
// check_impl(): throws ConfigError when `c.queue.impl` is not in the impl
// registry or cannot run `c` (deterministic mode off our runtime, timeouts
// on an impl without timed operations).
void check_impl(const ScenarioConfig& c);

}  // namespace tmpmc::scenarios
