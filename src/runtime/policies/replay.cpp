// replay.cpp: the replay policy: runs a recorded schedule (schedule.h) step
// by step, choosing each fiber by its identity. It never falls back: a step
// the recording cannot answer is a divergence, and the picker stops the run
// with StopKind::diverged. Divergences, at step K (1-based, counted from the
// start of the run, forced steps included):
//   - the recording chose fiber F, and F is not runnable here;
//   - the recording chose among several fibers, and here only one can run;
//   - the recording had one runnable fiber (a forced step), and here several;
//   - the recording ended, and the program asks for another step;
//   - the program ended (end_of_run), and the recording has steps left.
#include "policies/policy.h"
#include "tmpmc/runtime/detail/fiber.h"
#include "tmpmc/runtime/schedule.h"

namespace tmpmc::runtime::detail {

namespace {

class ReplayPolicy final : public Policy {
 public:
  explicit ReplayPolicy(const Schedule& schedule) : schedule_(schedule), cursor_(schedule_) {}

  void begin_run() override {
    cursor_ = Schedule::Cursor(schedule_);
    divergence_.clear();
  }

  std::size_t pick(const Step& step) override {
    // This step's number, 1-based; the message is built only on a divergence.
    const std::uint64_t at = cursor_.position() + 1;
    const std::size_t runnable = step.runnable.size();
    if (cursor_.at_end()) {
      return diverge(at, "the schedule has " + std::to_string(schedule_.steps()) +
                             " steps and the run goes on (" + std::to_string(runnable) +
                             " runnable)");
    }
    const std::uint64_t fiber = cursor_.next();
    if (fiber == 0) {
      if (runnable == 1) return 0;
      return diverge(at, "the schedule has a forced step here, the run has " +
                             std::to_string(runnable) + " runnable fibers");
    }
    if (runnable == 1) {
      return diverge(at, "the schedule chooses fiber " + std::to_string(fiber) +
                             " here, the run has only fiber " +
                             std::to_string(step.runnable[0]->id()) + " runnable");
    }
    for (std::size_t i = 0; i < runnable; ++i) {
      if (step.runnable[i]->id() == fiber) return i;
    }
    return diverge(at, "the schedule chooses fiber " + std::to_string(fiber) +
                           ", which is not among the " + std::to_string(runnable) + " runnable");
  }

  bool end_of_run(std::uint64_t steps) override {
    if (cursor_.at_end()) return true;
    diverge(steps + 1, "the run ended after " + std::to_string(steps) +
                           " steps, the schedule has " + std::to_string(schedule_.steps()));
    return false;
  }

  std::string divergence() const override { return divergence_; }

 private:
  std::size_t diverge(std::uint64_t step, const std::string& why) {
    divergence_ = "diverged at step " + std::to_string(step) + ": " + why;
    return kDiverged;
  }

  const Schedule schedule_;
  Schedule::Cursor cursor_;
  std::string divergence_;
};

}  // namespace

std::unique_ptr<Policy> make_replay_policy(const Schedule& schedule) {
  return std::make_unique<ReplayPolicy>(schedule);
}

}  // namespace tmpmc::runtime::detail
