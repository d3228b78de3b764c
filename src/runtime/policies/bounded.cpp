// bounded.cpp: the bounded search's policy (scenarios/stress/explore.cpp runs the
// search; this is one of its runs). It follows a prefix of choices, then
// never preempts: at each later choice point the fiber that gave up the
// worker goes on if it can, else the runnable fiber that has waited longest.
// Every choice point is logged with its runnable set, so that the search
// can branch from it: running another fiber where one could have gone on
// costs a preemption; any choice where none could is free.
//
// The prefix names fibers by id, as a schedule does; a prefix the run
// cannot follow means the program is not deterministic, and the run
// diverges (StopKind::diverged) rather than explore something else. Two
// exceptions serve shrinking (scenarios/stress/shrink.cpp), which edits schedules:
// an entry 0 chooses as past the prefix, and with lenient_prefix so does an
// entry naming a fiber that is not runnable there; past the prefix, a
// matching Switch (runtime.h) overrides the default when its fiber can run.
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "policies/policy.h"
#include "tmpmc/runtime/detail/fiber.h"

namespace tmpmc::runtime::detail {

namespace {

class BoundedPolicy final : public Policy {
 public:
  BoundedPolicy(std::vector<std::uint32_t> prefix, bool lenient,
                const std::vector<Switch>& switches, std::vector<ChoicePoint>* log)
      : prefix_(std::move(prefix)), lenient_(lenient), log_(log) {
    for (const Switch& s : switches) switches_.emplace(key(s.from, s.from_steps), s.to);
  }

  void begin_run() override {
    choices_ = 0;
    divergence_.clear();
    last_ran_.clear();
    steps_of_.clear();
    if (log_ != nullptr) log_->clear();
  }

  std::size_t pick(const Step& step) override {
    // Every step counts, forced ones too. Ids are spawn order: small, dense.
    if (step.previous >= steps_of_.size()) steps_of_.resize(step.previous + 1, 0);
    ++steps_of_[step.previous];
    const std::size_t index = choose(step);
    if (index != kDiverged) last_ran_[step.runnable[index]->id()] = step.number + 1;
    return index;
  }

  std::string divergence() const override { return divergence_; }

 private:
  std::size_t choose(const Step& step) {
    const RunnableSet& runnable = step.runnable;
    if (runnable.size() == 1) return 0;  // forced: not a choice point
    ChoicePoint point;
    point.state = step.state;
    point.runnable.reserve(runnable.size());
    for (const Fiber* fiber : runnable)
      point.runnable.push_back(static_cast<std::uint32_t>(fiber->id()));
    const auto& ids = point.runnable;
    if (std::find(ids.begin(), ids.end(), step.previous) != ids.end()) {
      point.continuing = static_cast<std::uint32_t>(step.previous);
    }
    // The default: the fiber that gave up the worker goes on if it can (no
    // preemption); else the least recently run (0: never ran), ties by position.
    std::size_t index = 0;
    if (point.continuing != 0) {
      index = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), point.continuing) -
                                       ids.begin());
    } else {
      for (std::size_t i = 1; i < ids.size(); ++i) {
        if (last_ran(ids[i]) < last_ran(ids[index])) index = i;
      }
    }
    point.fallback = ids[index];
    point.previous = static_cast<std::uint32_t>(step.previous);
    point.previous_steps = steps_of_[step.previous];
    if (choices_ >= prefix_.size() && !switches_.empty()) {
      const auto match = switches_.find(key(point.previous, point.previous_steps));
      if (match != switches_.end()) {
        const auto it = std::find(ids.begin(), ids.end(), match->second);
        if (it != ids.end()) index = static_cast<std::size_t>(it - ids.begin());
      }
    } else if (choices_ < prefix_.size() && prefix_[choices_] != 0) {
      const auto it = std::find(ids.begin(), ids.end(), prefix_[choices_]);
      if (it != ids.end()) {
        index = static_cast<std::size_t>(it - ids.begin());
      } else if (!lenient_) {
        divergence_ = "diverged at choice " + std::to_string(choices_ + 1) +
                      ": the search's prefix runs fiber " + std::to_string(prefix_[choices_]) +
                      ", which is not runnable (the program is not deterministic)";
        return kDiverged;
      }
    }
    point.chosen = ids[index];
    ++choices_;
    if (log_ != nullptr) log_->push_back(std::move(point));
    return index;
  }

  std::uint64_t last_ran(std::uint64_t fiber) const {
    const auto it = last_ran_.find(fiber);
    return it == last_ran_.end() ? 0 : it->second;
  }

  static std::uint64_t key(std::uint64_t fiber, std::uint64_t steps) { return fiber << 32 | steps; }

  const std::vector<std::uint32_t> prefix_;
  const bool lenient_;
  std::unordered_map<std::uint64_t, std::uint32_t> switches_;  // key(from, from_steps) -> to
  std::vector<std::uint32_t> steps_of_;  // fiber id -> steps it ran (0: the idle loop)
  std::vector<ChoicePoint>* const log_;
  std::size_t choices_ = 0;
  std::string divergence_;
  std::unordered_map<std::uint64_t, std::uint64_t> last_ran_;  // fiber id -> its last step + 1
};

}  // namespace

std::unique_ptr<Policy> make_bounded_policy(const SchedulePolicy& config) {
  return std::make_unique<BoundedPolicy>(config.prefix, config.lenient_prefix, config.switches,
                                         config.choice_log);
}

}  // namespace tmpmc::runtime::detail
