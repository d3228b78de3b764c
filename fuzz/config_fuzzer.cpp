// config_fuzzer.cpp: libFuzzer target for the scenario-config parser.
//
// Any input must either parse into configs that satisfy every limit the
// driver relies on, or be refused with a ConfigError of one line that names
// the file: never crash, hang, leak, or throw anything else. The resolved
// config must also survive a round trip through its own JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tmpmc/scenarios/config.h"

namespace sc = tmpmc::scenarios;

namespace {

void check_limits(const sc::ScenarioConfig& c) {
  const bool ok = c.queue.capacity >= 1 && c.queue.capacity <= sc::kMaxCapacity &&
                  c.producers.count >= 1 && c.producers.count <= sc::kMaxFibersPerSide &&
                  c.consumers.count >= 1 && c.consumers.count <= sc::kMaxFibersPerSide &&
                  c.runtime.workers >= 1 && c.runtime.workers <= sc::kMaxWorkers &&
                  (!c.runtime.deterministic || c.runtime.workers == 1) &&
                  c.producers.payload_bytes <= sc::kMaxPayloadBytes &&
                  (c.messages.has_value() != c.duration_ms.has_value()) &&
                  c.producers.stoppers <= c.producers.count &&
                  c.consumers.quitters <= c.consumers.count && !c.name.empty() &&
                  (c.producers.payload_bytes <= 1024 || c.runtime.stack_kib >= 64);
  if (!ok) std::abort();  // a config the driver would trust, but should not
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto configs = sc::parse_scenarios(text, "fuzz.json");
    for (const auto& c : configs) {
      check_limits(c);
      // The resolved config is itself a valid config that resolves the same.
      if (c.impl_group == 0) {
        const auto again = sc::parse_scenarios(c.to_json().dump(), "again.json");
        if (again.size() != 1 || again[0].to_json() != c.to_json()) std::abort();
      }
    }
  } catch (const sc::ConfigError& e) {
    // Refused, with a message: what bad input should get, on one line.
    const char* message = e.what();
    if (std::strncmp(message, "fuzz.json", 9) != 0 || std::strchr(message, '\n') != nullptr) {
      std::abort();
    }
  }
  return 0;
}
