// stress_test.cpp: stress mode finds each class of bug, on deliberately
// broken queues (mutants.h) and on the seed design, and replays it exactly;
// and it finds nothing on ours.
#include "tmpmc/scenarios/stress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>

#include "cli_runner.h"
#include "mutants.h"
#include "runtime_fixture.h"
#include "test_paths.h"

namespace {

namespace sc = tmpmc::scenarios;
using tmpmc::testing::kSanitized;

const sc::TimestampClock& test_clock() {
  static const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  return clock;
}

std::vector<sc::ScenarioConfig> stress_configs() {
  std::vector<sc::ScenarioConfig> all;
  for (const char* file :
       {"close-race.json", "wake-edge.json", "faults.json", "answers.json", "batch.json"}) {
    auto more = sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/" + file);
    all.insert(all.end(), more.begin(), more.end());
  }
  return all;
}

sc::StressOptions stress_options(std::uint64_t seeds) {
  sc::StressOptions options;
  options.seeds = seeds;
  options.time_budget = std::chrono::minutes(10);
  options.config_path = "configs/stress/x.json";
  options.driver.clock = &test_clock();
  return options;
}

const sc::StressResult* first_failure(const std::vector<sc::StressResult>& results) {
  for (const auto& r : results) {
    if (r.failure) return &r;
  }
  return nullptr;
}

// ---------------------------------------------------------------- ours

// passes_every_stress_scenario(): ours, checked in `check` mode, fails no seed.
void passes_every_stress_scenario(sc::CheckSetting check) {
  auto configs = stress_configs();
  for (auto& c : configs) c.check = check;
  const auto results = sc::run_stress(configs, stress_options(kSanitized ? 150 : 2000));
  const auto* failed = first_failure(results);
  ASSERT_EQ(failed, nullptr) << failed->scenario << " seed " << failed->failure->seed << ": "
                             << failed->failure->kind << "\n"
                             << ::testing::PrintToString(failed->failure->lines) << "\n"
                             << failed->failure->replay;
  EXPECT_EQ(results.size(), configs.size());
}

TEST(Stress, tmpmc_passes_every_stress_scenario) {
  passes_every_stress_scenario(sc::CheckSetting::automatic);
}

// No false alarm from the streaming check: timeouts, refusals, early stops
// and quits, what close leaves in the queue, all add up.
TEST(Stress, tmpmc_passes_every_stress_scenario_checked_streaming) {
  passes_every_stress_scenario(sc::CheckSetting::streaming);
}

TEST(Stress, real_threads_close_race) {
  // Real workers, the seed picks where the close lands; under TSan this is
  // the memory-ordering check of the close path.
  auto options = stress_options(kSanitized ? 40 : 300);
  options.workers = 2;
  const auto results = sc::run_stress(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json"),
      options);
  const auto* failed = first_failure(results);
  ASSERT_EQ(failed, nullptr) << failed->scenario << ": " << failed->failure->kind;
}

TEST(Stress, real_threads_vary_the_close_point) {
  auto config =
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json")[1];
  std::set<std::uint64_t> points;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto c = sc::stress_config(config, seed, 2);
    EXPECT_FALSE(c.runtime.deterministic);
    EXPECT_GE(c.close.messages, 1u);
    EXPECT_LE(c.close.messages, *c.messages);
    points.insert(c.close.messages);
  }
  // Seeds 1-20 reach every close point of a short run (this one has 4).
  EXPECT_EQ(points.size(), std::min<std::uint64_t>(*config.messages, 20)) << *config.messages;
}

// ---------------------------------------------------------------- mutants

struct MutantCase {
  const char* name;
  sc::RunResult (*run)(const sc::ScenarioConfig&, const sc::DriverOptions&);
  const char* kind;  // the class of failure it must be caught as
  // Where the bounded search catches it, and at which bound (the smallest:
  // the bounds below pass there); the README's table of mutants.
  const char* scenario;
  unsigned bound;
  // Its window is inside a ring or wait-list operation: the search with the
  // coarser granularity stress had before (operations) passes it.
  bool needs_inner_points = false;
  // The class the seeds find first, if not `kind` (a sampled schedule may
  // show another symptom of the same bug before the search's).
  const char* seeds_kind = nullptr;
  // The policy of the seeds test (random unless it needs PCT's bias toward
  // running one fiber long: a pattern of parks random interleaving rarely
  // lines up).
  const char* seeds_policy = "random";
  // Caught by sampled seeds too (the Mutants test). false: its window opens
  // once per run (the ring's one upgrade), which sampled schedules seldom
  // hit; the bounded search still must catch it.
  bool by_seeds = true;
};
// PrintTo(): a failing case shows the mutant's name, not its bytes.
void PrintTo(const MutantCase& m, std::ostream* out) { *out << m.name; }

// Both modes catch the same mutants: each runs with the stress configs'
// check set to exact, and again to streaming, and must be caught as the same
// class either way.
class Mutants : public ::testing::TestWithParam<std::tuple<MutantCase, sc::CheckSetting>> {};

TEST_P(Mutants, caught_within_10000_seeds_and_replayed_exactly) {
  const MutantCase& m = std::get<0>(GetParam());
  const sc::CheckSetting check = std::get<1>(GetParam());
  const sc::CheckMode mode =
      check == sc::CheckSetting::streaming ? sc::CheckMode::streaming : sc::CheckMode::exact;
  if (!m.by_seeds) GTEST_SKIP() << m.name << ": the bounded search's, not the seeds'";
  // The search runs on one deterministic worker: the same schedules in every
  // build (the replay below checks the trace hash), and no second thread for
  // TSan to order against, at 50x the Release cost (280 s for one mutant).
  // Release and ASan+UBSan run it whole.
  if (tmpmc::testing::kThreadSanitized)
    GTEST_SKIP() << "one deterministic worker: see Release/ASan";
  // 10,000: every shared access is a choice point, so a seed's random walk
  // spreads over many more schedules than when only parks and wakes were.
  auto options = stress_options(10'000);
  options.policy = sc::parse_policy(m.seeds_policy);
  options.max_steps = 100'000;
  options.driver.run_instead = m.run;
  auto configs = stress_configs();
  for (auto& c : configs) c.check = check;
  const auto results = sc::run_stress(configs, options);
  const auto* failed = first_failure(results);
  ASSERT_NE(failed, nullptr) << m.name << " was not caught";
  const sc::StressFailure& f = *failed->failure;
  EXPECT_LE(failed->seeds_run, 10'000u);
  const char* kind = m.seeds_kind != nullptr ? m.seeds_kind : m.kind;
  EXPECT_EQ(f.kind, kind) << m.name << " on " << failed->scenario << " seed " << f.seed;
  if (f.kind == std::string("hang")) {
    // The report names the parked fibers and what they wait on.
    bool names_a_wait = false;
    for (const auto& line : f.lines)
      names_a_wait |= line.find("on queue \"q0\"") != std::string::npos;
    EXPECT_TRUE(names_a_wait) << ::testing::PrintToString(f.lines);
  }
  // The failure's schedule, and the command that replays it by that alone.
  ASSERT_FALSE(f.schedule.empty()) << f.schedule_note;
  EXPECT_NE(f.replay.find("--schedule " + f.schedule), std::string::npos) << f.replay;
  EXPECT_EQ(f.replay.find("--seed"), std::string::npos) << f.replay;
  EXPECT_NE(f.replay.find(failed->scenario), std::string::npos) << f.replay;

  // The replay: the schedule under the replay policy, with other seeds (which
  // it must not depend on), twice: the same failure and the same trace hash.
  const auto& config = *std::find_if(configs.begin(), configs.end(),
                                     [&](const auto& c) { return c.name == failed->scenario; });
  sc::DriverOptions driver = options.driver;
  driver.policy.kind = tmpmc::runtime::PolicyKind::replay;
  driver.policy.replay = tmpmc::runtime::Schedule::parse(f.schedule);
  for (std::uint64_t other_seed : {f.seed + 1, std::uint64_t{987654321}}) {
    const sc::RunResult again = sc::run_scenario(sc::stress_config(config, other_seed, 1), driver);
    EXPECT_EQ(sc::failure_kind(again), f.kind) << again.stuck_summary;
    EXPECT_EQ(again.check.mode, mode);
    ASSERT_TRUE(again.trace_hash.has_value());
    EXPECT_EQ(*again.trace_hash, f.trace_hash);
  }
  // Shrunk: no schedule with fewer preemptions fails this way on that
  // scenario (the search below it ran out), so on the mutant's own scenario
  // it has no more preemptions than the smallest bound that finds it.
  ASSERT_TRUE(f.shrunk.has_value()) << m.name;
  EXPECT_TRUE(f.shrunk->fewer_ruled_out) << m.name;
  EXPECT_LE(f.shrunk->preemptions, f.shrunk->original_preemptions);
  if (failed->scenario == m.scenario && f.kind == m.kind) {
    EXPECT_LE(f.shrunk->preemptions, m.bound) << m.name;
  }
  EXPECT_GE(f.shrunk->switches.size(), f.shrunk->preemptions);
  std::printf(
      "%s (%s): caught on %s after %llu seeds (seed %llu): %s; shrunk from %u preemptions, "
      "%llu steps to %u, %llu in %llu runs\n",
      m.name, sc::to_string(mode), failed->scenario.c_str(),
      static_cast<unsigned long long>(failed->seeds_run), static_cast<unsigned long long>(f.seed),
      f.kind.c_str(), f.shrunk->original_preemptions,
      static_cast<unsigned long long>(f.shrunk->original_steps), f.shrunk->preemptions,
      static_cast<unsigned long long>(f.shrunk->steps),
      static_cast<unsigned long long>(f.shrunk->runs));
}

using namespace tmpmc::mutants;
// mutant_cases(): every mutant of mutants.h and the class it must be caught as.
std::vector<MutantCase> mutant_cases() {
  return {MutantCase{"notify_before_publish", &run_mutant<NotifyBeforePublish>, "hang",
                     "close-race-idle-consumers", 1},
          MutantCase{"wake_sender_only_from_full", &run_mutant<WakeSenderOnlyFromFull>, "hang",
                     "close-race-draining-consumers", 1, false, nullptr, "pct:2"},
          MutantCase{"check_then_wait_unregistered", &run_mutant<CheckThenWaitUnregistered>, "hang",
                     "close-race-idle-consumers", 1},
          MutantCase{"push_after_close_on_wake", &run_mutant<PushAfterCloseOnWake>, "lost",
                     "close-race-blocked-producers", 0, false, "spurious_closed"},
          MutantCase{"read_slot_before_claim", &run_mutant<ReadSlotBeforeClaim>, "duplicated",
                     "close-race-idle-consumers", 2},
          MutantCase{"timed_out_receive_consumes", &run_mutant<TimedOutReceiveConsumes>, "lost",
                     "faults-timed-receives", 1},
          MutantCase{"woken_sender_keeps_room_wake", &run_mutant<WokenSenderKeepsRoomWake>, "hang",
                     "wake-edge-many-producers", 0, false, nullptr, "pct:2"},
          MutantCase{"stamp_before_value", &run_mutant<StampBeforeValue>, "duplicated",
                     "close-race-idle-consumers", 1, true},
          MutantCase{"free_slot_before_read", &run_mutant<FreeSlotBeforeRead>, "duplicated",
                     "close-race-idle-consumers", 2, true},
          MutantCase{"unlink_without_lock", &run_mutant<UnlinkWithoutLock>, "hang",
                     "close-race-blocked-producers", 2, true},
          MutantCase{"batch_stamps_before_values", &run_mutant<BatchStampsBeforeValues>,
                     "duplicated", "batch-close-race", 1, true},
          MutantCase{"upgrade_ignoring_owner", &run_mutant<UpgradeIgnoringOwner>, "lost",
                     "close-race-blocked-producers", 1, true, nullptr, "random", false}};
}

INSTANTIATE_TEST_SUITE_P(EveryClass, Mutants,
                         ::testing::Combine(::testing::ValuesIn(mutant_cases()),
                                            ::testing::Values(sc::CheckSetting::exact,
                                                              sc::CheckSetting::streaming)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_" +
                                  sc::to_string(std::get<1>(info.param));
                         });

// ---------------------------------------------------------------- the bounded search

sc::StressOptions bounded_options(unsigned bound) {
  auto options = stress_options(1);
  options.explore = sc::Explore::bounded;
  options.bound = bound;
  return options;
}

// Seen: every schedule a search runs, as text, through the driver's hook.
struct Seen {
  std::vector<std::string> schedules;
  void watch(sc::StressOptions& options) {
    options.driver.run_instead = [this, inner = options.driver.run_instead](
                                     const sc::ScenarioConfig& c, const sc::DriverOptions& o) {
      sc::DriverOptions plain = o;
      plain.run_instead = nullptr;
      sc::RunResult run = inner ? inner(c, plain) : sc::run_scenario(c, plain);
      if (run.schedule) schedules.push_back(run.schedule->text());
      return run;
    };
  }
};

std::uint64_t total(const sc::StressResult& r) {
  std::uint64_t sum = 0;
  for (const auto& b : r.bounds) sum += b.schedules;
  return sum;
}

// find_config(): the shipped stress scenario of that name.
sc::ScenarioConfig find_config(const std::string& name) {
  for (auto& config : stress_configs()) {
    if (config.name == name) return config;
  }
  ADD_FAILURE() << "no stress scenario " << name;
  return {};
}

// The scenarios small enough to search whole at bound 2 in a test (the
// others have up to millions of schedules: the README's counts).
bool searched_whole_in_tests(const std::string& name) {
  if (kSanitized) return name == "close-race-blocked-producers";
  for (const char* small :
       {"close-race-blocked-producers", "faults-timed-receives", "faults-timed-sends",
        "faults-stopping-producers", "wake-edge-handoff"}) {
    if (name == small) return true;
  }
  return false;
}

// Every schedule up to the bound runs once: no schedule twice, the counts
// the same on a second search, and bound by bound.
TEST(Bounded, runs_every_schedule_once_and_counts_the_same_every_time) {
  auto configs = stress_configs();
  const unsigned bound = kSanitized ? 1 : 2;
  for (const auto& config : configs) {
    if (!searched_whole_in_tests(config.name)) continue;
    auto options = bounded_options(bound);
    Seen seen;
    seen.watch(options);
    const auto first = sc::run_stress({config}, options);
    ASSERT_EQ(first.size(), 1u);
    const auto& r = first[0];
    ASSERT_FALSE(r.failure.has_value()) << config.name << ": " << r.failure->kind;
    ASSERT_EQ(r.bounds.size(), bound + 1) << config.name;
    for (unsigned b = 0; b <= bound; ++b) {
      EXPECT_EQ(r.bounds[b].bound, b);
      EXPECT_TRUE(r.bounds[b].exhausted) << config.name << " bound " << b;
      EXPECT_GT(r.bounds[b].schedules, 0u) << config.name << " bound " << b;
    }
    EXPECT_EQ(total(r), r.seeds_run);
    EXPECT_EQ(seen.schedules.size(), r.seeds_run) << config.name;
    const std::set<std::string> distinct(seen.schedules.begin(), seen.schedules.end());
    EXPECT_EQ(distinct.size(), seen.schedules.size()) << config.name << ": a schedule ran twice";
    const auto again = sc::run_stress({config}, bounded_options(bound));
    for (unsigned b = 0; b <= bound; ++b) {
      EXPECT_EQ(again[0].bounds[b].schedules, r.bounds[b].schedules) << config.name;
    }
  }
}

// --shard K/3: three disjoint parts that add up to the whole search (with
// the reduction off: each shard skips only against its own runs).
TEST(Bounded, shards_add_up_to_the_whole_search) {
  const unsigned bound = kSanitized ? 1 : 2;
  for (const auto& config : stress_configs()) {
    if (!searched_whole_in_tests(config.name)) continue;
    auto whole_options = bounded_options(bound);
    whole_options.reduce = false;
    Seen whole;
    whole.watch(whole_options);
    const auto all = sc::run_stress({config}, whole_options);
    std::vector<std::uint64_t> per_bound(bound + 1, 0);
    std::set<std::string> union_of_shards;
    std::size_t shard_runs = 0;
    for (unsigned k = 1; k <= 3; ++k) {
      auto options = bounded_options(bound);
      options.reduce = false;
      options.shard = sc::Shard{k, 3};
      Seen seen;
      seen.watch(options);
      const auto part = sc::run_stress({config}, options);
      ASSERT_FALSE(part[0].failure.has_value());
      for (unsigned b = 0; b <= bound; ++b) per_bound[b] += part[0].bounds[b].schedules;
      // Shard 1 alone counts the first run, which every shard runs.
      for (std::size_t i = k == 1 ? 0 : 1; i < seen.schedules.size(); ++i) {
        union_of_shards.insert(seen.schedules[i]);
        ++shard_runs;
      }
    }
    for (unsigned b = 0; b <= bound; ++b) {
      EXPECT_EQ(per_bound[b], all[0].bounds[b].schedules) << config.name << " bound " << b;
    }
    EXPECT_EQ(shard_runs, whole.schedules.size()) << config.name;
    EXPECT_EQ(union_of_shards,
              std::set<std::string>(whole.schedules.begin(), whole.schedules.end()))
        << config.name;
  }
}

// The reduction skips only schedules equivalent to ones it ran: on the
// scenarios small enough to search whole, the reduced search reaches exactly
// the outcomes (who received what, in which order; what was refused, timed
// out or left) of the full one, in fewer schedules.
TEST(Bounded, reduction_reaches_the_same_outcomes_in_fewer_schedules) {
  const unsigned bound = kSanitized ? 1 : 2;
  std::size_t most_outcomes = 0;
  for (const auto& config : stress_configs()) {
    if (!searched_whole_in_tests(config.name)) continue;
    std::set<std::uint64_t> outcomes[2];
    std::uint64_t schedules[2] = {0, 0};
    for (int reduce = 0; reduce < 2; ++reduce) {
      auto options = bounded_options(bound);
      options.reduce = reduce == 1;
      options.on_run = [&, reduce](const sc::RunResult& run) {
        EXPECT_NE(run.outcome, 0u);
        outcomes[reduce].insert(run.outcome);
      };
      const auto r = sc::run_stress({config}, options);
      ASSERT_FALSE(r[0].failure.has_value()) << config.name;
      schedules[reduce] = r[0].seeds_run;
    }
    EXPECT_EQ(outcomes[1], outcomes[0]) << config.name;
    EXPECT_LT(schedules[1], schedules[0]) << config.name;
    most_outcomes = std::max(most_outcomes, outcomes[0].size());
    std::printf("%s bound %u: %llu schedules reduced, %llu full, %zu outcomes\n",
                config.name.c_str(), bound, static_cast<unsigned long long>(schedules[1]),
                static_cast<unsigned long long>(schedules[0]), outcomes[0].size());
  }
  // Not vacuous: some scenario's schedules end in several different ways.
  EXPECT_GT(most_outcomes, 1u);
}

// Coverage: the shipped stress configs, searched to bound 1, pass through
// every choice point of the queue (a point none reaches is a gap in the
// configs, or dead code).
TEST(Bounded, shipped_configs_reach_every_choice_point_of_the_queue) {
  if (kSanitized) GTEST_SKIP() << "a Release-only sweep: the bounded search is deterministic";
  auto options = bounded_options(1);
  const auto results = sc::run_stress(stress_configs(), options);
  tmpmc::runtime::ChoicePointSet reached;
  for (const auto& r : results) {
    ASSERT_FALSE(r.failure.has_value()) << r.scenario;
    reached |= r.choice_points_reached;
  }
  for (const auto* site : tmpmc::detail::sites::kQueueChoicePoints) {
    // A confined pop needs one fiber that both sends and receives on a ring
    // no other fiber has touched: no stress scenario has one (each fiber
    // produces or consumes). confinement_test.cpp explores it.
    if (site == &tmpmc::detail::sites::kConfinedPopRead) continue;
    EXPECT_TRUE(reached.test(site->id)) << "no stress config reaches " << site->label;
  }
}

// Each mutant is caught by the bounded search on its scenario at its
// smallest bound (every bound below passes there), and its schedule replays
// to the same class and trace hash.
class BoundedMutants : public ::testing::TestWithParam<MutantCase> {};

TEST_P(BoundedMutants, caught_at_the_smallest_bound_and_replayed) {
  const MutantCase& m = GetParam();
  if (tmpmc::testing::kThreadSanitized)
    GTEST_SKIP() << "one deterministic worker: see Release/ASan";
  const sc::ScenarioConfig config = find_config(m.scenario);
  auto options = bounded_options(m.bound);
  options.driver.run_instead = m.run;
  const auto results = sc::run_stress({config}, options);
  const auto* failed = first_failure(results);
  ASSERT_NE(failed, nullptr) << m.name << " was not caught at bound " << m.bound;
  const sc::StressFailure& f = *failed->failure;
  EXPECT_EQ(f.kind, m.kind) << m.name << " on " << failed->scenario;
  ASSERT_TRUE(f.bound.has_value());
  EXPECT_EQ(*f.bound, m.bound);
  // Smallest: every bound below it ran out without a failure.
  ASSERT_EQ(failed->bounds.size(), *f.bound + 1);
  for (unsigned b = 0; b < *f.bound; ++b) EXPECT_TRUE(failed->bounds[b].exhausted);
  ASSERT_FALSE(f.schedule.empty());
  sc::DriverOptions driver = options.driver;
  driver.policy.kind = tmpmc::runtime::PolicyKind::replay;
  driver.policy.replay = tmpmc::runtime::Schedule::parse(f.schedule);
  const sc::RunResult again = sc::run_scenario(sc::stress_config(config, 1, 1), driver);
  EXPECT_EQ(sc::failure_kind(again), f.kind);
  EXPECT_EQ(again.trace_hash.value_or(0), f.trace_hash);
  std::printf("%s: caught by the bounded search on %s at bound %u after %llu schedules: %s\n",
              m.name, failed->scenario.c_str(), *f.bound,
              static_cast<unsigned long long>(failed->seeds_run), f.kind.c_str());
  // With only the points between operations (the granularity stress had
  // before), the same search, one bound further, finds nothing: the inner
  // points are what expose it. Release only: the search is deterministic,
  // and one bound further costs ASan minutes per mutant.
  if (!m.needs_inner_points || kSanitized) return;
  options.bound = m.bound + 1;
  options.choice_points = tmpmc::runtime::Granularity::operations;
  const auto coarse = sc::run_stress({config}, options);
  EXPECT_FALSE(coarse[0].failure.has_value())
      << m.name << " was caught without the inner points: " << coarse[0].failure->kind;
  EXPECT_TRUE(coarse[0].bounds.back().exhausted);
}

INSTANTIATE_TEST_SUITE_P(EveryClass, BoundedMutants, ::testing::ValuesIn(mutant_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------- wrong answers

// The mutants that deliver every message, once and in each producer's order,
// yet answer wrongly: the message checks pass them over the whole search,
// and the linearizability check catches each at its smallest bound, with
// the witness below (the fewest calls that show it).
struct AnswerMutant {
  const char* name;
  sc::RunResult (*run)(const sc::ScenarioConfig&, const sc::DriverOptions&);
  const char* scenario;
  unsigned bound;
  std::vector<std::string> witness;  // the report's lines after its heading
};
void PrintTo(const AnswerMutant& m, std::ostream* out) { *out << m.name; }

std::vector<AnswerMutant> answer_mutants() {
  using namespace tmpmc::mutants;
  return {
      // Two values in a 1-slot queue: both sends returned before either
      // value came out.
      AnswerMutant{
          "one_value_too_many",
          &run_mutant<OneValueTooMany>,
          "close-race-blocked-producers",
          0,
          {"steps 22-29  producer-0  send(p0#1) -> ok", "steps 30-37  producer-1  send(p1#0) -> ok",
           "steps 56-62  consumer-0  receive() -> p0#1",
           "steps 62-68  consumer-0  receive() -> p1#0"}},
      // p0#0's send returned before p1#0's began; p1#0 came out first.
      AnswerMutant{
          "fifo_broken_across_producers",
          &run_mutant<FifoBrokenAcrossProducers>,
          "answers-fifo-across-producers",
          0,
          {"steps 2-16   producer-0  send(p0#0) -> ok", "steps 17-31  producer-1  send(p1#0) -> ok",
           "steps 32-41  consumer-0  receive() -> p1#0",
           "steps 41-53  consumer-0  receive() -> p0#0"}},
      // "full" at steps 30-34, right after len() read 0 (the shrunk
      // schedule: the search's first failing one said "full" before
      // anything was sent, with one message more around it).
      AnswerMutant{
          "try_send_full_with_room",
          &run_mutant<TrySendFullWithRoom>,
          "answers-try-first",
          0,
          {"steps 6-48   consumer-0  receive() -> p0#0",
           "steps 20-29  producer-0  send(p0#0) -> ok", "steps 29-29  producer-0  len() -> 0",
           "steps 30-34  producer-1  try_send(p1#0) -> full",
           "steps 34-41  producer-1  send(p1#0) -> ok",
           "steps 48-54  consumer-0  try_receive() -> p1#0"}},
      AnswerMutant{"timed_receive_waits_before_looking",
                   &run_mutant<TimedReceiveWaitsBeforeLooking>,
                   "faults-timed-receives",
                   0,
                   // p0#0 was in the queue before the timed receive began
                   // and still there when it timed out.
                   {"steps 3-10   producer-0  send(p0#0) -> ok",
                    "steps 11-32  consumer-0  receive_for() -> timeout",
                    "steps 32-44  consumer-0  receive_for() -> p0#0"}},
  };
}

class AnswerMutants : public ::testing::TestWithParam<AnswerMutant> {};

TEST_P(AnswerMutants, only_the_linearizability_check_catches_them) {
  const AnswerMutant& m = GetParam();
  if (tmpmc::testing::kThreadSanitized)
    GTEST_SKIP() << "one deterministic worker: see Release/ASan";
  const sc::ScenarioConfig config = find_config(m.scenario);
  // The message checks alone: the same search, one bound further, passes.
  auto options = bounded_options(m.bound + 1);
  options.driver.run_instead = m.run;
  options.linearizability = false;
  const auto blind = sc::run_stress({config}, options);
  EXPECT_FALSE(blind.at(0).failure.has_value())
      << m.name << " was caught without the history check: " << blind[0].failure->kind << " "
      << ::testing::PrintToString(blind[0].failure->lines);
  EXPECT_TRUE(blind[0].bounds.back().exhausted);
  // With it: caught at the smallest bound, shown by its witness.
  options.bound = m.bound;
  options.linearizability = true;
  const auto results = sc::run_stress({config}, options);
  ASSERT_TRUE(results.at(0).failure.has_value()) << m.name << " was not caught at " << m.bound;
  const sc::StressFailure& f = *results[0].failure;
  for (const auto& line : f.lines) std::printf("  %s\n", line.c_str());
  EXPECT_EQ(f.kind, "not_linearizable") << ::testing::PrintToString(f.lines);
  EXPECT_EQ(f.kinds, std::vector<std::string>{"not_linearizable"});
  ASSERT_EQ(f.bound.value_or(99), m.bound);
  std::vector<std::string> witness;
  bool in_witness = false;
  for (const auto& line : f.lines) {
    if (line.starts_with("not linearizable")) {
      in_witness = true;
    } else if (in_witness) {
      witness.push_back(line.substr(2));
    }
  }
  EXPECT_EQ(witness, m.witness) << m.name;
  // The printed schedule replays to the same failure.
  ASSERT_FALSE(f.schedule.empty());
  sc::DriverOptions driver = options.driver;
  driver.check_linearizability = true;
  driver.policy.kind = tmpmc::runtime::PolicyKind::replay;
  driver.policy.replay = tmpmc::runtime::Schedule::parse(f.schedule);
  const sc::RunResult again = sc::run_scenario(sc::stress_config(config, 1, 1), driver);
  EXPECT_EQ(sc::failure_kind(again), "not_linearizable");
  EXPECT_EQ(again.trace_hash.value_or(0), f.trace_hash);
  std::printf("%s: caught on %s at bound %u after %llu schedules (above)\n", m.name, m.scenario,
              m.bound, static_cast<unsigned long long>(results[0].seeds_run));
}

INSTANTIATE_TEST_SUITE_P(WrongAnswers, AnswerMutants, ::testing::ValuesIn(answer_mutants()),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------- the seed design

// Each of the seed's known bugs, found by the scenario built for it.
TEST(SeedDesign, stress_finds_its_three_bugs) {
  const auto configs = sc::with_impls(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json"),
      {"seed"});
  struct Expectation {
    const char* scenario;
    const char* policy;
    const char* kind;
    const char* line;  // a failure line it must show
    const char* also;  // a class it must also be filed under ("" none)
  };
  for (const Expectation& e :
       {Expectation{"close-race-idle-consumers", "pct:3", "hang", "seed receive", ""},
        // Its push after close: a 1-slot queue seen holding two values (the
        // history check files it first; the lost message comes later).
        Expectation{"close-race-blocked-producers", "random", "not_linearizable",
                    "not linearizable", ""},
        // Its Err(Closed) on a receive is an answer the queue's contract
        // never gives: the history check files it too, showing that receive.
        Expectation{"close-race-draining-consumers", "random", "spurious_closed", "spurious closed",
                    "not_linearizable"}}) {
    std::vector<sc::ScenarioConfig> one;
    for (const auto& c : configs) {
      if (c.name == e.scenario) one.push_back(c);
    }
    ASSERT_EQ(one.size(), 1u) << e.scenario;
    auto options = stress_options(2000);
    options.impl = "seed";
    options.policy = sc::parse_policy(e.policy);
    // The failures as the seeds find them: a shrunk one keeps its first
    // class, not necessarily the others (the Err(Closed) receive below).
    options.shrink = false;
    const auto results = sc::run_stress(one, options);
    ASSERT_TRUE(results.at(0).failure.has_value()) << e.scenario;
    const auto& f = *results[0].failure;
    EXPECT_EQ(f.kind, e.kind) << e.scenario;
    bool shown = false;
    for (const auto& line : f.lines) shown |= line.find(e.line) != std::string::npos;
    EXPECT_TRUE(shown) << e.scenario << ": " << ::testing::PrintToString(f.lines);
    if (*e.also != '\0') {
      EXPECT_NE(std::find(f.kinds.begin(), f.kinds.end(), e.also), f.kinds.end())
          << e.scenario << ": " << ::testing::PrintToString(f.kinds);
      bool witnessed = false;
      for (const auto& line : f.lines)
        witnessed |= line.find("receive() -> error") != std::string::npos;
      EXPECT_TRUE(witnessed) << ::testing::PrintToString(f.lines);
    }
    EXPECT_NE(f.replay.find("--impl seed"), std::string::npos);
    EXPECT_NE(f.replay.find("--schedule " + f.schedule), std::string::npos) << f.replay;
    // The printed command, through the real CLI: the same class (its count
    // in result/v1) and the same trace hash, whatever policy found it.
    const auto out = std::filesystem::temp_directory_path() / "tmpmc_seed_replay.json";
    const tmpmc::testing::CliRun replay = tmpmc::testing::run_cli(
        f.replay.substr(std::string("tmpmc-bench ").size()) + " --quiet --json " + out.string());
    EXPECT_EQ(replay.exit_code, 1) << replay.output;
    std::ifstream in(out);
    const auto doc = nlohmann::json::parse(in);
    const auto& run = doc["scenarios"].at(0)["runs"].at(0);
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(f.trace_hash));
    EXPECT_EQ(run["trace_hash"], hash) << run.dump();
    EXPECT_EQ(run["schedule"], f.schedule);
    if (e.kind == std::string("not_linearizable")) {
      EXPECT_EQ(run["linearizability"], "not_linearizable") << run.dump();
    } else {
      const std::string count = e.kind == std::string("hang") ? "hung" : e.kind;
      EXPECT_GT(run[count].get<std::uint64_t>(), 0u) << e.scenario << ": " << run.dump();
    }
  }
}

// The bounded search finds the seed's bugs too, each at its smallest bound.
TEST(SeedDesign, bounded_search_finds_its_bugs) {
  const auto configs = sc::with_impls(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json"),
      {"seed"});
  for (const auto& config : configs) {
    auto options = bounded_options(2);
    options.impl = "seed";
    const auto results = sc::run_stress({config}, options);
    ASSERT_TRUE(results.at(0).failure.has_value()) << config.name;
    const auto& f = *results[0].failure;
    EXPECT_FALSE(f.schedule.empty());
    std::printf("seed on %s: %s at bound %u after %llu schedules\n", config.name.c_str(),
                f.kind.c_str(), f.bound.value_or(99),
                static_cast<unsigned long long>(results[0].seeds_run));
  }
}

// ---------------------------------------------------------------- the command line

// run_cli(args, exit_code): cli_runner.h's run_cli, in the shape these tests read.
std::string run_cli(const std::string& args, int& exit_code) {
  const tmpmc::testing::CliRun run = tmpmc::testing::run_cli(args);
  exit_code = run.exit_code;
  return run.output;
}

// replay_args(out): the arguments of the `replay: tmpmc-bench ...` line a
// failing stress command printed ("" if it printed none).
std::string replay_args(const std::string& out) {
  const std::string marker = "replay: tmpmc-bench ";
  const auto at = out.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  return out.substr(start, out.find('\n', start) - start);
}

TEST(StressCli, failure_prints_a_replay_command_that_reproduces_it) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  const std::string out =
      run_cli("stress " + config + " --impl seed --seeds 500 --time-budget 10m", code);
  EXPECT_EQ(code, 1) << out;
  const std::string replay = replay_args(out);
  ASSERT_FALSE(replay.empty()) << out;
  const std::string hash = out.substr(out.find("trace_hash ") + 11, 16);
  // Replayed twice: the same failure, the same trace hash, and the trace.
  for (int i = 0; i < 2; ++i) {
    const std::string again = run_cli(replay, code);
    EXPECT_EQ(code, 1) << again;
    EXPECT_NE(again.find("trace_hash " + hash), std::string::npos) << again;
    EXPECT_NE(again.find("at seed receive"), std::string::npos) << again;
  }
}

// Shrinking is a function of the failure: the same failure twice gives the
// same schedule, with no more preemptions nor (at as many) steps than the
// schedule the seed found, and each preemption named with its fibers and the
// access it happens at.
TEST(Shrink, the_same_failure_shrinks_to_the_same_schedule) {
  if (tmpmc::testing::kThreadSanitized)
    GTEST_SKIP() << "one deterministic worker: see Release/ASan";
  using namespace tmpmc::mutants;
  const sc::ScenarioConfig config = find_config("close-race-blocked-producers");
  auto options = stress_options(10'000);
  options.driver.run_instead = &run_mutant<PushAfterCloseOnWake>;
  const auto first = sc::run_stress({config}, options);
  const auto second = sc::run_stress({config}, options);
  options.shrink = false;
  const auto unshrunk = sc::run_stress({config}, options);
  for (const auto* r : {&first, &second, &unshrunk}) ASSERT_TRUE(r->at(0).failure.has_value());
  const sc::StressFailure& a = *first[0].failure;
  const sc::StressFailure& b = *second[0].failure;
  const sc::StressFailure& original = *unshrunk[0].failure;
  ASSERT_TRUE(a.shrunk.has_value());
  EXPECT_FALSE(original.shrunk.has_value());
  EXPECT_EQ(a.seed, original.seed);
  EXPECT_EQ(a.schedule, b.schedule);
  EXPECT_EQ(a.shrunk->switches, b.shrunk->switches);
  EXPECT_EQ(a.kind, original.kind);
  EXPECT_NE(a.schedule, original.schedule);
  const auto parsed = tmpmc::runtime::Schedule::parse(original.schedule);
  EXPECT_EQ(a.shrunk->original_steps, parsed.steps());
  EXPECT_LE(a.shrunk->preemptions, a.shrunk->original_preemptions);
  if (a.shrunk->preemptions == a.shrunk->original_preemptions) {
    EXPECT_LE(a.shrunk->steps, a.shrunk->original_steps);
  }
  std::size_t preemptions = 0;
  for (const auto& line : a.shrunk->switches) {
    if (line.find(": preemption: ") == std::string::npos) continue;
    ++preemptions;
    // "step N: preemption: F stopped at `LABEL`, G runs"
    EXPECT_NE(line.find(" stopped at `"), std::string::npos) << line;
    EXPECT_NE(line.find(" runs"), std::string::npos) << line;
  }
  EXPECT_EQ(preemptions, a.shrunk->preemptions);
}

// The CLI prints the shrunk schedule and its switches; --no-shrink the
// schedule as found. Both replay to the same failure.
TEST(StressCli, prints_the_shrunk_schedule_unless_no_shrink) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  const std::string one =
      config + " --filter '^close-race-idle-consumers$' --impl seed --policy pct:3";
  int code = 0;
  const std::string shrunk = run_cli("stress " + one, code);
  EXPECT_EQ(code, 1) << shrunk;
  EXPECT_NE(shrunk.find("\nshrunk: "), std::string::npos) << shrunk;
  EXPECT_NE(shrunk.find(": preemption: "), std::string::npos) << shrunk;
  const std::string plain = run_cli("stress " + one + " --no-shrink", code);
  EXPECT_EQ(code, 1) << plain;
  EXPECT_EQ(plain.find("shrunk: "), std::string::npos) << plain;
  for (const std::string* out : {&shrunk, &plain}) {
    const std::string replay = replay_args(*out);
    ASSERT_FALSE(replay.empty()) << *out;
    const std::string again = run_cli(replay, code);
    EXPECT_EQ(code, 1) << again;
    EXPECT_NE(again.find("at seed receive"), std::string::npos) << again;
  }
  EXPECT_NE(replay_args(shrunk), replay_args(plain));
}

// A schedule that does not fit the run is a failure of its own class,
// diverged, at the step it stopped fitting; one that is not a schedule is a
// one-line usage error. Neither ever passes by falling back.
TEST(StressCli, schedules_that_do_not_fit_diverge_or_are_refused) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  const std::string one = config + " --filter '^close-race-idle-consumers$' --impl tmpmc";
  // Another program's schedule: valid, foreign.
  tmpmc::runtime::Schedule foreign;
  for (int i = 0; i < 5; ++i) foreign.record(1, 1);
  foreign.record(7, 3);
  int code = 0;
  std::string out = run_cli("run " + one + " --schedule " + foreign.text(), code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("diverged at step "), std::string::npos) << out;
  // Corrupted, cut short, not a schedule, or given with a policy: exit 2, one line.
  const std::string text = foreign.text();
  std::string corrupted = text;
  corrupted[4] = corrupted[4] == '5' ? '6' : '5';
  for (const std::string& bad :
       {corrupted, text.substr(0, text.size() - 3), std::string("v1.3.2"), std::string("random")}) {
    out = run_cli("run " + one + " --schedule " + bad, code);
    EXPECT_EQ(code, 2) << bad << ": " << out;
    EXPECT_NE(out.find("--schedule: not a schedule string"), std::string::npos) << out;
  }
  out = run_cli("run " + one + " --schedule " + text + " --policy pct:3", code);
  EXPECT_EQ(code, 2) << out;
  out = run_cli("run " + config + " --schedule " + text, code);  // every scenario of the file
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("replays one run of one scenario"), std::string::npos) << out;
}

TEST(StressCli, passes_and_reports_the_rate) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  const std::string out = run_cli("stress " + config + " --seeds 50 --policy pct:3", code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("seeds/s"), std::string::npos) << out;
}

TEST(StressCli, bounded_search_prints_a_line_per_scenario_and_bound) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  const std::string out =
      run_cli("stress " + config + " --filter blocked-producers --explore bounded --bound 1", code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("close-race-blocked-producers bound 0: "), std::string::npos) << out;
  EXPECT_NE(out.find(" schedules, exhausted\nclose-race-blocked-producers bound 1: "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("bounded search to 1 preemptions"), std::string::npos) << out;
  // The seed design fails; its schedule replays through `run --schedule`.
  const std::string failed = run_cli(
      "stress " + config + " --impl seed --filter blocked-producers --explore bounded", code);
  EXPECT_EQ(code, 1) << failed;
  EXPECT_NE(failed.find(", bound 0 (after "), std::string::npos) << failed;
  const std::string replay = replay_args(failed);
  ASSERT_FALSE(replay.empty()) << failed;
  EXPECT_NE(replay.find("--schedule v1."), std::string::npos) << replay;
  const std::string again = run_cli(replay, code);
  EXPECT_EQ(code, 1) << again;
}

TEST(StressCli, bad_input_is_exit_code_2) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  for (const std::string args : {"--policy pct:0",
                                 "--policy fair",
                                 "--time-budget 10x",
                                 "--seeds 0",
                                 "--impl nope",
                                 "--impl boost-fiber",
                                 "--impl tmpmc,seed",
                                 "--explore all",
                                 "--bound 2",
                                 "--shard 1/2",
                                 "--explore bounded --bound 11",
                                 "--explore bounded --bound -1",
                                 "--explore bounded --shard 0/3",
                                 "--explore bounded --shard 4/3",
                                 "--explore bounded --shard 1/0",
                                 "--explore bounded --shard 3",
                                 "--explore bounded --shard x/y",
                                 "--explore bounded --seeds 5",
                                 "--explore bounded --policy pct:3",
                                 "--explore bounded --workers 2"}) {
    const std::string out = run_cli("stress " + config + " " + args, code);
    EXPECT_EQ(code, 2) << args << ": " << out;
  }
  run_cli("stress /nonexistent.json", code);
  EXPECT_EQ(code, 2);
  run_cli("run " + config + " --trace", code);  // --trace without --deterministic
  EXPECT_EQ(code, 2);
}

TEST(Policy, parse) {
  EXPECT_EQ(sc::parse_policy("random").kind, tmpmc::runtime::PolicyKind::random);
  EXPECT_EQ(sc::parse_policy("pct:5").pct_depth, 5);
  EXPECT_EQ(sc::policy_text(sc::parse_policy("pct:5")), "pct:5");
  EXPECT_THROW(sc::parse_policy("pct:"), sc::ConfigError);
  EXPECT_THROW(sc::parse_policy("pct:x"), sc::ConfigError);
  EXPECT_THROW(sc::parse_policy("random "), sc::ConfigError);
}

// ---------------------------------------------------------------- bounded runs
// The step cap, the time budget inside a run, and PCT's fairness: no seed
// runs for ever, and none grows without bound.

namespace bounded {

using tmpmc::mutants::run_mutant;
using tmpmc::mutants::SpinUntilItem;

TEST(StressBounded, livelock_mutant_is_caught_within_the_cap_and_replayed) {
  auto options = stress_options(2000);
  options.max_steps = kSanitized ? 100'000 : 1'000'000;
  options.driver.run_instead = &run_mutant<SpinUntilItem>;
  const auto configs = stress_configs();
  const auto results = sc::run_stress(configs, options);
  const auto* failed = first_failure(results);
  ASSERT_NE(failed, nullptr) << "the livelock was not caught";
  const sc::StressFailure& f = *failed->failure;
  EXPECT_EQ(f.kind, "livelock") << failed->scenario << " seed " << f.seed;
  // The report: the stop, and where each fiber spins or waits.
  bool summary = false, spinning = false;
  for (const auto& line : f.lines) {
    summary |= line.find("livelock: no fiber made progress") != std::string::npos;
    // Its loop: a yield and len()'s loads (choice points too).
    spinning |= line.find("consumer") != std::string::npos &&
                (line.find("runnable, last at yield") != std::string::npos ||
                 line.find("runnable, last at ring.h: len") != std::string::npos);
  }
  EXPECT_TRUE(summary) << ::testing::PrintToString(f.lines);
  EXPECT_TRUE(spinning) << ::testing::PrintToString(f.lines);
  // Its replay runs with the same cap and without --trace (max_steps events).
  EXPECT_NE(f.replay.find("--max-steps " + std::to_string(options.max_steps)), std::string::npos)
      << f.replay;
  EXPECT_EQ(f.replay.find("--trace"), std::string::npos) << f.replay;

  const auto& config = *std::find_if(configs.begin(), configs.end(),
                                     [&](const auto& c) { return c.name == failed->scenario; });
  sc::DriverOptions driver = options.driver;
  driver.max_steps = options.max_steps;
  for (int i = 0; i < 2; ++i) {
    const sc::RunResult again = sc::run_scenario(sc::stress_config(config, f.seed, 1), driver);
    EXPECT_EQ(sc::failure_kind(again), "livelock");
    EXPECT_EQ(again.trace_hash.value_or(0), f.trace_hash);
  }
}

TEST(StressBounded, interrupt_stops_a_seed_in_the_middle_of_its_run) {
  // The flag goes up once the first seed's run has begun; with no cap in
  // reach, only the check inside the run can end it.
  std::atomic<bool> interrupt{false};
  auto options = stress_options(10);
  options.max_steps = std::uint64_t{1} << 40;
  options.driver.interrupt = &interrupt;
  options.driver.run_instead = [&interrupt](const sc::ScenarioConfig& c,
                                            const sc::DriverOptions& o) {
    interrupt.store(true);
    return run_mutant<SpinUntilItem>(c, o);
  };
  const auto results = sc::run_stress(stress_configs(), options);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].failure.has_value()) << results[0].failure->kind;
  EXPECT_TRUE(results[0].out_of_time);
  EXPECT_EQ(results[0].seeds_run, 0u) << "a seed stopped in the middle is not counted";
}

TEST(StressBounded, a_run_past_its_stop_time_is_unfinished_not_failed) {
  // The time budget's deadline, already past when the run starts.
  sc::DriverOptions driver = stress_options(1).driver;
  driver.max_steps = std::uint64_t{1} << 40;
  driver.stop_at = std::chrono::steady_clock::now();
  const auto config = sc::stress_config(stress_configs().front(), 1, 1);
  const sc::RunResult run = run_mutant<SpinUntilItem>(config, driver);
  ASSERT_TRUE(run.stopped.has_value());
  EXPECT_EQ(*run.stopped, tmpmc::runtime::StopKind::interrupted);
  EXPECT_FALSE(sc::classify(run).has_value());
}

TEST(StressBounded, pct_passes_the_polling_faults_scenarios) {
  // The consumers poll with receive_for in virtual time; PCT without its
  // fair prefix let one of them starve the producers for ever.
  auto options = stress_options(kSanitized ? 200 : 2000);
  options.policy = sc::parse_policy("pct:3");
  const auto results = sc::run_stress(
      sc::load_scenarios(std::string(tmpmc::testing::config_dir()) + "/stress/faults.json"),
      options);
  const auto* failed = first_failure(results);
  ASSERT_EQ(failed, nullptr) << failed->scenario << " seed " << failed->failure->seed << ": "
                             << failed->failure->kind << "\n"
                             << ::testing::PrintToString(failed->failure->lines);
  for (const auto& r : results) EXPECT_FALSE(r.out_of_time) << r.scenario;
}

TEST(StressBounded, step_cap_classes_have_names) {
  for (const sc::FailureClass failure : {sc::FailureClass::livelock, sc::FailureClass::runaway}) {
    EXPECT_EQ(sc::failure_class_from_string(sc::to_string(failure)), failure);
    EXPECT_EQ(sc::count_name(failure), "");
  }
  EXPECT_EQ(sc::stop_class(tmpmc::runtime::StopKind::livelock), sc::FailureClass::livelock);
  EXPECT_EQ(sc::stop_class(tmpmc::runtime::StopKind::runaway), sc::FailureClass::runaway);
  EXPECT_FALSE(sc::stop_class(tmpmc::runtime::StopKind::interrupted).has_value());
  EXPECT_EQ(sc::stop_name(tmpmc::runtime::StopKind::interrupted), "interrupted");
}

TEST(StressBounded, max_steps_is_validated) {
  const std::string config = std::string(tmpmc::testing::config_dir()) + "/stress/close-race.json";
  int code = 0;
  for (const std::string command : {"stress", "run"}) {
    for (const std::string value : {"0", "-5", "many"}) {
      const std::string out = run_cli(command + " " + config + " --max-steps " + value, code);
      EXPECT_EQ(code, 2) << command << " --max-steps " << value << ": " << out;
      EXPECT_NE(out.find("--max-steps"), std::string::npos) << out;
    }
  }
}

}  // namespace bounded

}  // namespace
