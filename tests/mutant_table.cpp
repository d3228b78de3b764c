// mutant_table.cpp: `tmpmc-mutant-table [--seeds N]` prints the README's
// table of mutants. For each mutant of mutants.h, on the stress scenario
// built to show it: the class of its failure, the smallest bound at which
// the bounded search finds it, how many seeds in 10,000 each sampling policy
// catches it on (every seed from 1 to N runs; a failure of any class
// counts), and the shrunk failure's preemptions and steps. Every figure is a
// count of deterministic runs: the same on every machine.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mutants.h"
#include "test_paths.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/stress.h"
#include "tmpmc/scenarios/timestamp.h"

namespace sc = tmpmc::scenarios;
using namespace tmpmc::mutants;

namespace {

struct Row {
  const char* name;
  sc::RunResult (*run)(const sc::ScenarioConfig&, const sc::DriverOptions&);
  const char* scenario;
  // Its failing runs corrupt memory the harness needs (a wait list unlinked
  // without its lock): a seed after a failure may crash, so no rates.
  bool no_rates = false;
};

// The mutants, each with the scenario stress_test.cpp catches it on.
const Row kRows[] = {
    {"notify_before_publish", &run_mutant<NotifyBeforePublish>, "close-race-idle-consumers"},
    {"wake_sender_only_from_full", &run_mutant<WakeSenderOnlyFromFull>,
     "close-race-draining-consumers"},
    {"check_then_wait_unregistered", &run_mutant<CheckThenWaitUnregistered>,
     "close-race-idle-consumers"},
    {"push_after_close_on_wake", &run_mutant<PushAfterCloseOnWake>, "close-race-blocked-producers"},
    {"read_slot_before_claim", &run_mutant<ReadSlotBeforeClaim>, "close-race-idle-consumers"},
    {"timed_out_receive_consumes", &run_mutant<TimedOutReceiveConsumes>, "faults-timed-receives"},
    {"woken_sender_keeps_room_wake", &run_mutant<WokenSenderKeepsRoomWake>,
     "wake-edge-many-producers"},
    {"stamp_before_value", &run_mutant<StampBeforeValue>, "close-race-idle-consumers"},
    {"free_slot_before_read", &run_mutant<FreeSlotBeforeRead>, "close-race-idle-consumers"},
    {"unlink_without_lock", &run_mutant<UnlinkWithoutLock>, "close-race-blocked-producers", true},
    {"one_value_too_many", &run_mutant<OneValueTooMany>, "close-race-blocked-producers"},
    {"fifo_broken_across_producers", &run_mutant<FifoBrokenAcrossProducers>,
     "answers-fifo-across-producers"},
    {"try_send_full_with_room", &run_mutant<TrySendFullWithRoom>, "answers-try-first"},
    {"timed_receive_waits_before_looking", &run_mutant<TimedReceiveWaitsBeforeLooking>,
     "faults-timed-receives"},
    {"batch_stamps_before_values", &run_mutant<BatchStampsBeforeValues>, "batch-close-race"},
};

const char* const kPolicies[] = {"random", "pct:2", "pct:3", "pos"};
constexpr unsigned kMaxBound = 3;

sc::ScenarioConfig find_config(const std::string& name) {
  for (const char* file :
       {"close-race.json", "wake-edge.json", "faults.json", "answers.json", "batch.json"}) {
    for (auto& c :
         sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/" + file)) {
      if (c.name == name) return c;
    }
  }
  std::fprintf(stderr, "tmpmc-mutant-table: no stress scenario %s\n", name.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seeds = 10'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
      seeds = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: tmpmc-mutant-table [--seeds N]\n");
      return 2;
    }
  }
  if (seeds == 0) {
    std::fprintf(stderr, "tmpmc-mutant-table: --seeds must be at least 1\n");
    return 2;
  }
  const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  std::printf(
      "| mutant | scenario | class | smallest bound | random | pct:2 | pct:3 | pos | "
      "shrunk: preemptions, steps |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& row : kRows) {
    const sc::ScenarioConfig config = find_config(row.scenario);
    // The bounded search, bound by bound, to its first failure (shrunk).
    sc::StressOptions bounded;
    bounded.explore = sc::Explore::bounded;
    bounded.bound = kMaxBound;
    bounded.time_budget = std::chrono::minutes(30);
    bounded.config_path = config.source;
    bounded.driver.clock = &clock;
    bounded.driver.run_instead = row.run;
    bounded.max_steps = 100'000;
    const auto searched = sc::run_stress({config}, bounded);
    const auto& failure = searched.at(0).failure;
    std::string kind = "(not found)", bound = "> " + std::to_string(kMaxBound), shrunk = "";
    if (failure) {
      kind = failure->kind;
      bound = std::to_string(*failure->bound);
      if (failure->shrunk) {
        shrunk = std::to_string(failure->shrunk->preemptions) + ", " +
                 std::to_string(failure->shrunk->steps);
      }
    }
    // Each policy on seeds 1..N: how many fail (per 10,000).
    std::string rates;
    for (const char* policy : kPolicies) {
      if (row.no_rates) {
        rates += " - |";
        continue;
      }
      sc::DriverOptions driver;
      driver.clock = &clock;
      driver.run_instead = row.run;
      driver.check_linearizability = true;
      // A broken ring can leave a fiber spinning for ever: stop such a run
      // at 100,000 steps (a stress run takes hundreds) as a livelock, a
      // failure, instead of at the default ten million.
      driver.max_steps = 100'000;
      driver.policy = sc::parse_policy(policy);
      if (driver.policy.pct_expected_choices == 0 &&
          driver.policy.kind == tmpmc::runtime::PolicyKind::pct) {
        driver.policy.pct_expected_choices =
            sc::pct_choices(sc::stress_config(config, 1, 1), driver);
      }
      std::uint64_t caught = 0;
      for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        caught +=
            sc::classify(sc::run_scenario(sc::stress_config(config, seed, 1), driver)).has_value();
      }
      rates += " " + std::to_string(caught * 10'000 / seeds) + " |";
    }
    std::printf("| %s | %s | %s | %s |%s %s |\n", row.name, row.scenario, kind.c_str(),
                bound.c_str(), rates.c_str(), shrunk.c_str());
    std::fflush(stdout);
  }
  return 0;
}
