// config.h: scenario configs, schema v1 (DESIGN.md), parsed and validated
// before anything runs.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tmpmc::scenarios {

// ConfigError: one line, `file: json.path: what was expected, got what`.
class ConfigError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class CloseWhen { after_producers, after_ms, after_received, senders_dropped };

struct RuntimeConfig {
  unsigned workers = 2;
  bool deterministic = false;
  std::uint64_t seed = 1;
  unsigned stack_kib = 64;
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
};

struct ConsumersConfig {
  unsigned count = 1;
  std::uint64_t work_ns = 0;
};

struct CloseConfig {
  CloseWhen when = CloseWhen::after_producers;
  std::uint64_t ms = 0;        // after_ms
  std::uint64_t messages = 0;  // after_received
};

struct RunConfig {
  unsigned repeat = 5;
  unsigned warmup = 1;
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
  ProducersConfig producers;
  ConsumersConfig consumers;
  CloseConfig close;
  std::uint64_t latency_sample_every = 64;
  RunConfig run;
  ExpectConfig expect;
  std::string source;  // file it came from, for messages

  // to_json(): the fully resolved config (every default filled in).
  nlohmann::json to_json() const;
};

// Limits that make a value "impossible" rather than merely slow. Capacity:
// 2^26 slots is already 2+ GiB of ring with the largest payloads. Fibers: each
// parked fiber holds a stack with a guard page, two kernel mappings, and
// Linux allows 65,530 mappings per process by default.
inline constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 26;
inline constexpr unsigned kMaxFibersPerSide = 10'000;
inline constexpr unsigned kMaxWorkers = 256;
inline constexpr unsigned kMaxPayloadBytes = 4096;

// load_scenarios(path) reads one scenario or {"scenarios": [...]}, expands
// sweeps, and validates everything. Throws ConfigError.
std::vector<ScenarioConfig> load_scenarios(const std::string& path);
// parse_scenarios() is load_scenarios() on text already read (`source` names it).
std::vector<ScenarioConfig> parse_scenarios(const std::string& text, const std::string& source);

const char* to_string(CloseWhen when) noexcept;

}  // namespace tmpmc::scenarios
