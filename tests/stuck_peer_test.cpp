// stuck_peer_test.cpp: a peer whose task even a close cannot release never
// ends the process. The run is a hang that names the task; the task is
// detached, not destroyed while joinable (std::terminate), and what it still
// touches stays alive (abandoned.h). Labelled concurrency: ASan and TSan run
// it too, with the detached thread still blocked when the process ends.
#include <gtest/gtest.h>

#include <string>

#include "planted_queues.h"
#include "tmpmc/scenarios/abandoned.h"
#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/stress.h"
#include "tmpmc/scenarios/timestamp.h"

namespace tmpmc::testing {
namespace {

namespace sc = tmpmc::scenarios;

// Two consumers on OS threads, 20 messages; the close after the producers
// releases neither (run.timeout_ms 100: the run gives up after 2 x 100 ms).
sc::ScenarioConfig stuck_config() {
  return sc::parse_scenarios(
             R"({"name":"stuck","messages":20,"queue":{"impl":"threads","capacity":4},)"
             R"("producers":{"count":1},"consumers":{"count":2},"run":{"timeout_ms":100}})",
             "stuck_peer_test")
      .at(0);
}

TEST(StuckPeer, a_task_no_close_releases_is_a_named_hang_not_an_abort) {
  static const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  sc::DriverOptions options;
  options.clock = &clock;
  options.run_instead = &planted::run_never_released;
  for (int round = 0; round < 3; ++round) {
    const std::uint64_t abandoned_before = sc::abandoned_tasks();
    const sc::RunResult run = sc::run_scenario(stuck_config(), options);
    EXPECT_EQ(sc::failure_kind(run), "hang") << run.error;
    // Both consumers are named, as our own fibers are when they hang.
    bool names_consumer = false;
    for (const auto& line : run.stuck_fibers)
      names_consumer |= line.find("consumer-") != std::string::npos;
    EXPECT_TRUE(names_consumer || run.stuck_summary.find("consumer-") != std::string::npos)
        << run.stuck_summary << ::testing::PrintToString(run.stuck_fibers);
    EXPECT_EQ(run.check.sent, 20u);
    EXPECT_EQ(run.check.received + run.check.left_in_queue, 20u) << "nothing lost meanwhile";
    // Detached, not destroyed: still blocked, and counted.
    EXPECT_EQ(sc::abandoned_tasks(), abandoned_before + 2);
  }
}

}  // namespace
}  // namespace tmpmc::testing
