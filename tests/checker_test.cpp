// checker_test.cpp: exact mode's accounting on hand-made logs, how a run's
// mode is chosen, and the failure classes' names (streaming mode:
// streaming_checker_test.cpp).
#include "tmpmc/scenarios/checker.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tmpmc/scenarios/driver.h"
#include "tmpmc/scenarios/failure_class.h"
#include "tmpmc/scenarios/streaming_checker.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::testing {
namespace {

namespace sc = tmpmc::scenarios;

struct Logs {
  std::vector<sc::ProducerLog> producers;
  std::vector<std::unique_ptr<sc::ConsumerLog>> consumers;
  sc::ConsumerLog left;
  sc::CheckResult check(std::uint64_t hung = 0) {
    std::vector<const sc::ConsumerLog*> views;
    for (auto& c : consumers) views.push_back(c.get());
    return sc::check(producers, views, left, sc::RunFacts{.hung_fibers = hung});
  }
};

// Two producers of 100 messages each, spread over two consumers in order.
void fill_clean(Logs& logs) {
  logs.producers.resize(2);
  for (auto& p : logs.producers) p.attempted = 100;
  logs.consumers.push_back(std::make_unique<sc::ConsumerLog>());
  logs.consumers.push_back(std::make_unique<sc::ConsumerLog>());
  for (std::uint64_t seq = 0; seq < 100; ++seq) {
    for (std::uint32_t p = 0; p < 2; ++p) logs.consumers[seq % 2]->record(p, seq);
  }
}

TEST(Checker, clean_log_reports_nothing) {
  Logs logs;
  fill_clean(logs);
  const auto r = logs.check();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.sent, 200u);
  EXPECT_EQ(r.received, 200u);
  EXPECT_TRUE(r.failures().empty());
}

TEST(Checker, injected_loss) {
  Logs logs;
  fill_clean(logs);
  logs.producers[1].attempted = 101;  // seq 100 of producer 1 was sent ok, never received
  const auto r = logs.check();
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.duplicated + r.phantom + r.reordered, 0u);
}

TEST(Checker, failure_lines_name_the_first_message) {
  Logs logs;
  fill_clean(logs);
  logs.producers[1].attempted = 102;  // seqs 100 and 101 of producer 1 never received
  logs.consumers[0]->record(0, 10);   // consumer 0 had seq 98 last: back to seq 10, seen before
  const auto r = logs.check();
  ASSERT_TRUE(r.first_lost.has_value());
  EXPECT_EQ(r.first_lost->producer, 1u);
  EXPECT_EQ(r.first_lost->seq, 100u);
  const auto lines = r.failures();
  ASSERT_EQ(lines.size(), 3u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("2 lost"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("the first: producer 1 seq 100"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("1 duplicated; the first: producer 0 seq 10"), std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("1 reordered"), std::string::npos) << lines[2];
}

TEST(Checker, left_in_queue_is_not_lost) {
  Logs logs;
  fill_clean(logs);
  logs.producers[1].attempted = 101;
  logs.left.record(1, 100);
  const auto r = logs.check();
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.left_in_queue, 1u);
}

TEST(Checker, injected_duplicate) {
  Logs logs;
  fill_clean(logs);
  logs.consumers[1]->record(0, 99);  // received again (by the consumer that had 99: no reorder)
  const auto r = logs.check();
  EXPECT_EQ(r.duplicated, 1u);
  EXPECT_EQ(r.lost + r.phantom + r.reordered, 0u);
}

TEST(Checker, injected_phantom) {
  Logs logs;
  fill_clean(logs);
  logs.consumers[0]->record(1, 500);  // never sent
  logs.producers[0].attempted = 101;
  logs.producers[0].refused_closed = {100};
  logs.consumers[1]->record(0, 100);  // refused after close, yet received
  const auto r = logs.check();
  EXPECT_EQ(r.phantom, 2u);
  EXPECT_EQ(r.send_closed, 1u);
  EXPECT_EQ(r.lost + r.duplicated + r.reordered, 0u);
}

TEST(Checker, injected_reorder) {
  Logs logs;
  logs.producers.resize(1);
  logs.producers[0].attempted = 3;
  logs.consumers.push_back(std::make_unique<sc::ConsumerLog>());
  logs.consumers[0]->record(0, 0);
  logs.consumers[0]->record(0, 2);
  logs.consumers[0]->record(0, 1);  // backwards
  const auto r = logs.check();
  EXPECT_EQ(r.reordered, 1u);
  EXPECT_EQ(r.lost + r.duplicated + r.phantom, 0u);
}

TEST(Checker, hung_fibers_fail) {
  Logs logs;
  fill_clean(logs);
  EXPECT_FALSE(logs.check(2).ok());
}

// ---------------------------------------------------------------- which mode a run uses

TEST(CheckMode, auto_is_exact_up_to_the_limit_then_streaming) {
  sc::ScenarioConfig c;
  c.messages = sc::kAutoExactMaxMessages;
  EXPECT_EQ(sc::check_mode(c), sc::CheckMode::exact);
  c.messages = sc::kAutoExactMaxMessages + 1;
  EXPECT_EQ(sc::check_mode(c), sc::CheckMode::streaming);
  c.messages.reset();
  c.duration_ms = 10;  // a length not known in advance
  EXPECT_EQ(sc::check_mode(c), sc::CheckMode::streaming);
  c.check = sc::CheckSetting::exact;
  EXPECT_EQ(sc::check_mode(c), sc::CheckMode::exact);
  c.duration_ms.reset();
  c.messages = 10;
  c.check = sc::CheckSetting::streaming;
  EXPECT_EQ(sc::check_mode(c), sc::CheckMode::streaming);
  EXPECT_STREQ(sc::to_string(sc::CheckMode::streaming), "streaming");
}

// ---------------------------------------------------------------- failure classes

TEST(FailureClass, every_name_reads_back_as_its_class) {
  for (const sc::FailureClass failure :
       {sc::FailureClass::hang, sc::FailureClass::error, sc::FailureClass::duplicated,
        sc::FailureClass::phantom, sc::FailureClass::spurious_closed, sc::FailureClass::lost,
        sc::FailureClass::reordered}) {
    EXPECT_EQ(sc::failure_class_from_string(sc::to_string(failure)), failure)
        << sc::to_string(failure);
  }
  EXPECT_EQ(sc::failure_class_from_string("hung"), std::nullopt);  // a count's name, not a class's
  EXPECT_EQ(sc::failure_class_from_string(""), std::nullopt);
}

TEST(FailureClass, counts_are_read_from_the_check) {
  sc::CheckResult check;
  check.lost = 1;
  check.duplicated = 2;
  check.phantom = 3;
  check.reordered = 4;
  check.hung = 5;
  check.spurious_closed = 6;
  std::uint64_t expected = 1;
  for (const sc::FailureClass counted : sc::kCountedFailures) {
    EXPECT_EQ(sc::count_of(check, counted), expected++) << sc::to_string(counted);
  }
  EXPECT_EQ(sc::count_name(sc::FailureClass::hang), "hung");
  EXPECT_EQ(sc::count_name(sc::FailureClass::spurious_closed), "spurious_closed");
  EXPECT_EQ(sc::count_of(check, sc::FailureClass::error), 0u);
}

}  // namespace
}  // namespace tmpmc::testing
