// no_progress.cpp: the no_progress rule (no_progress.h).
#include "tmpmc/scenarios/no_progress.h"

#include <algorithm>
#include <string>

namespace tmpmc::scenarios {

void judge_progress(const ScenarioConfig& config, RunResult& run) {
  const bool closed_loop = config.producers.rate_per_sec <= 0;
  const bool has_work = config.messages.value_or(0) > 0 || config.duration_ms.value_or(0) > 0;
  const bool linearizable = !run.linearizability ||
                            run.linearizability->kind == LinearizabilityVerdict::Kind::linearizable;
  const bool otherwise_passed = run.check.ok() && run.error.empty() && run.stuck_fibers.empty() &&
                                !run.stopped && !run.interrupted && linearizable;
  if (!closed_loop || !has_work || !otherwise_passed) return;
  const CheckResult& c = run.check;
  const std::uint64_t attempted = c.sent + c.send_closed + c.send_timeout;
  if (attempted == 0) {
    run.no_progress = "no send was attempted";
    return;
  }
  // Producers that stop early or whose sends time out may send fewer than
  // a count the run would otherwise reach.
  const bool producer_faults =
      config.producers.stop_after != 0 || config.producers.send_timeout_us != 0;
  switch (config.close.when) {
    case CloseWhen::after_received: {
      // With producer faults the close count may be out of reach (the run
      // then closes after the producers): what was sent ok is the bound.
      const std::uint64_t reachable =
          producer_faults ? std::min(config.close.messages, c.sent) : config.close.messages;
      if (config.consumers.quit_after == 0 && c.received < reachable) {
        run.no_progress = std::to_string(c.received) + " received, but close.after_received is " +
                          std::to_string(config.close.messages);
      }
      return;
    }
    case CloseWhen::after_producers:
    case CloseWhen::senders_dropped: {
      if (config.messages && !producer_faults && attempted < *config.messages) {
        run.no_progress = std::to_string(attempted) + " of " + std::to_string(*config.messages) +
                          " messages attempted, and no producer fault stops them";
      }
      return;
    }
    case CloseWhen::after_ms:
    case CloseWhen::by_producer:
      return;
  }
}

}  // namespace tmpmc::scenarios
