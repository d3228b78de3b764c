// driver_test.cpp: the driver's contract on a run's length. A timed run
// (duration_ms) lasts its duration, at any open-loop rate: not a send
// interval less (the last send comes early), nor chunks of sends more (the
// clock read only now and then). Checked on the deterministic runtime's
// virtual clock, so that no figure here depends on the machine's speed.
#include "tmpmc/scenarios/driver.h"

#include <gtest/gtest.h>

#include <string>

#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/stress.h"
#include "tmpmc/scenarios/timestamp.h"

namespace tmpmc::testing {
namespace {

namespace sc = tmpmc::scenarios;

sc::RunResult run_for_2s_at(double rate_per_sec, const std::string& impl) {
  const std::string text = R"({"name":"timed","duration_ms":2000,"queue":{"impl":")" + impl +
                           R"(","capacity":16},"producers":{"count":1,"rate_per_sec":)" +
                           std::to_string(rate_per_sec) +
                           R"(},"consumers":{"count":1},"runtime":{"deterministic":true}})";
  const auto configs = sc::parse_scenarios(text, "driver_test");
  const sc::TimestampClock clock = sc::TimestampClock::calibrate();
  sc::DriverOptions options;
  options.clock = &clock;
  return sc::run_scenario(configs.at(0), options);
}

class TimedRun : public ::testing::TestWithParam<double> {};

TEST_P(TimedRun, lasts_its_duration_and_sends_at_its_rate) {
  const double rate = GetParam();
  for (const char* impl : {"tmpmc", "mutex"}) {
    const sc::RunResult r = run_for_2s_at(rate, impl);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_TRUE(sc::failure_kind(r).empty()) << impl << ": " << sc::failure_kind(r);
    // Sends are due at 0, 1/rate, ...: those before the end are made.
    const auto planned = static_cast<std::uint64_t>(2.0 * rate - 1e-9) + 1;
    EXPECT_EQ(r.check.sent, planned) << impl << " at " << rate << "/s";
    EXPECT_EQ(r.check.received, r.check.sent) << impl;
    EXPECT_GE(r.clock_elapsed_s, 2.0) << impl << " at " << rate << "/s";
    EXPECT_LE(r.clock_elapsed_s, 2.0 + 1.0 / rate + 0.01) << impl << " at " << rate << "/s";
  }
}

INSTANTIATE_TEST_SUITE_P(Rates, TimedRun, ::testing::Values(2.0, 10.0, 100.0, 1000.0),
                         [](const auto& info) {
                           return "per_sec_" + std::to_string(static_cast<int>(info.param));
                         });

}  // namespace
}  // namespace tmpmc::testing
