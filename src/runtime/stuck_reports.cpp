// stuck_reports.cpp: what a runtime says when a block_on does not end by
// its root finishing: the stopped run's reason, and one line per fiber left.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "runtime_core.h"
#include "worker.h"

namespace tmpmc::runtime::detail {

StoppedError RuntimeCore::stopped_error(std::vector<std::string> fibers) const {
  const StopKind kind = picker_->stop().value_or(StopKind::interrupted);
  const std::string steps = std::to_string(picker_->steps());
  const std::string cap = std::to_string(options.max_steps);
  const std::string left = "; " + std::to_string(fibers.size()) + " fibers have not finished";
  switch (kind) {
    case StopKind::livelock:
      return StoppedError(kind,
                          "livelock: no fiber made progress in the last " +
                              std::to_string(picker_->steps_without_progress()) + " of " + steps +
                              " steps (max_steps " + cap + ")" + left,
                          std::move(fibers));
    case StopKind::runaway:
      return StoppedError(kind,
                          "runaway: the run reached max_steps (" + cap +
                              ") while still making progress (last " +
                              std::to_string(picker_->steps_without_progress()) +
                              " steps ago); raise max_steps if it is meant to run this long" + left,
                          std::move(fibers));
    case StopKind::diverged:
      return StoppedError(kind, picker_->divergence() + left, std::move(fibers));
    case StopKind::interrupted:
      break;
  }
  return StoppedError(kind, "interrupted: stopped after " + steps + " steps" + left,
                      std::move(fibers));
}

std::vector<std::string> RuntimeCore::describe_stuck_fibers() {
  std::vector<std::pair<std::uint64_t, std::string>> lines;
  registry_.for_each([&](Fiber* fiber) {
    std::string line = fiber->display_name() + ": ";
    const ParkState state = park_state(fiber->park_word_.load(std::memory_order_acquire));
    if (state == kParked && fiber->waiting_on_ != nullptr) {
      line += fiber->waiting_on_->label();
    } else if (state == kParked && fiber->waiting_for_ != nullptr) {
      line += fiber->waiting_for_;
    } else if (!fiber->started_) {
      line += "runnable, never started";
    } else if (fiber->last_switch_at_ != nullptr) {
      // A stopped deterministic run: where it keeps giving up the worker.
      line += std::string("runnable, last at ") + fiber->last_switch_at_;
    } else {
      line += "runnable";
    }
    lines.emplace_back(fiber->id_, std::move(line));
  });
  // Reports read best in spawn order.
  std::sort(lines.begin(), lines.end());
  std::vector<std::string> report;
  report.reserve(lines.size());
  for (auto& [id, line] : lines) report.push_back(std::move(line));
  return report;
}

}  // namespace tmpmc::runtime::detail
