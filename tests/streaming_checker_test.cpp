// streaming_checker_test.cpp: streaming mode's accounting on hand-made
// tallies, each run held to exact mode's answer on the same messages, and the
// order-independent message digest.
#include "tmpmc/scenarios/streaming_checker.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tmpmc/scenarios/checker.h"
#include "tmpmc/scenarios/driver.h"
#include "tmpmc/scenarios/failure_class.h"
#include "tmpmc/scenarios/stress.h"

namespace tmpmc::testing {
namespace {

namespace sc = tmpmc::scenarios;

// ---------------------------------------------------------------- streaming mode

std::uint64_t id(std::uint32_t producer, std::uint64_t seq) {
  return (std::uint64_t{producer} << sc::ConsumerLog::kSeqBits) | seq;
}

// Both: the same run recorded for both checks, a log and a tally per
// consumer, so that each test can hold streaming mode to exact mode's answer.
struct Both {
  std::vector<sc::ProducerLog> producers;
  std::vector<std::unique_ptr<sc::ConsumerLog>> logs;
  std::vector<std::unique_ptr<sc::ConsumerTally>> tallies;
  std::unique_ptr<sc::ConsumerLog> left_log = std::make_unique<sc::ConsumerLog>();
  std::unique_ptr<sc::ConsumerTally> left_tally;

  Both(std::uint32_t producer_count, std::uint32_t consumer_count, std::uint64_t attempted)
      : producers(producer_count), left_tally(std::make_unique<sc::ConsumerTally>(producer_count)) {
    for (auto& p : producers) p.attempted = attempted;
    for (std::uint32_t c = 0; c < consumer_count; ++c) {
      logs.push_back(std::make_unique<sc::ConsumerLog>());
      tallies.push_back(std::make_unique<sc::ConsumerTally>(producer_count));
    }
  }
  void receive(std::uint32_t consumer, std::uint32_t producer, std::uint64_t seq) {
    logs[consumer]->record(producer, seq);
    tallies[consumer]->record_packed(id(producer, seq));
  }
  void leave(std::uint32_t producer, std::uint64_t seq) {
    left_log->record(producer, seq);
    left_tally->record_packed(id(producer, seq));
  }
  void time_out(std::uint32_t producer, std::uint64_t seq) {
    producers[producer].timed_out.push_back(seq);
    producers[producer].timed_out_digest.add(id(producer, seq));
  }
  sc::CheckResult exact(sc::RunFacts facts = {}) const {
    std::vector<const sc::ConsumerLog*> views;
    for (const auto& log : logs) views.push_back(log.get());
    return sc::check(producers, views, *left_log, facts);
  }
  sc::CheckResult streaming(sc::RunFacts facts = {}) const {
    std::vector<const sc::ConsumerTally*> views;
    for (const auto& tally : tallies) views.push_back(tally.get());
    return sc::check_streaming(producers, views, *left_tally, facts);
  }
};

// Two producers of 100 messages each, spread over two consumers in order.
Both clean_run() {
  Both run(2, 2, 100);
  for (std::uint64_t seq = 0; seq < 100; ++seq) {
    for (std::uint32_t p = 0; p < 2; ++p) run.receive(seq % 2, p, seq);
  }
  return run;
}

// expect_same_counts(): streaming mode counted what exact mode did.
void expect_same_counts(const sc::CheckResult& exact, const sc::CheckResult& streaming) {
  EXPECT_EQ(exact.mode, sc::CheckMode::exact);
  EXPECT_EQ(streaming.mode, sc::CheckMode::streaming);
  EXPECT_EQ(streaming.sent, exact.sent);
  EXPECT_EQ(streaming.send_closed, exact.send_closed);
  EXPECT_EQ(streaming.send_timeout, exact.send_timeout);
  EXPECT_EQ(streaming.received, exact.received);
  EXPECT_EQ(streaming.left_in_queue, exact.left_in_queue);
  EXPECT_EQ(streaming.lost, exact.lost);
  EXPECT_EQ(streaming.lost_after_close, exact.lost_after_close);
  EXPECT_EQ(streaming.duplicated, exact.duplicated);
  EXPECT_EQ(streaming.phantom, exact.phantom);
  EXPECT_EQ(streaming.reordered, exact.reordered);
}

// has_line(): one of the check's failure lines contains `text`.
bool has_line(const sc::CheckResult& r, const std::string& text) {
  for (const auto& line : r.failures()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(StreamingChecker, clean_run_reports_nothing) {
  const Both run = clean_run();
  const auto r = run.streaming();
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.failures().empty());
  EXPECT_TRUE(r.mismatches.empty());
  expect_same_counts(run.exact(), r);
  EXPECT_EQ(r.sent, 200u);
}

TEST(StreamingChecker, loss_names_the_producer) {
  Both run = clean_run();
  run.producers[1].attempted = 101;  // seq 100 of producer 1 was sent ok, never received
  const auto r = run.streaming();
  expect_same_counts(run.exact(), r);
  EXPECT_EQ(r.lost, 1u);
  ASSERT_EQ(r.mismatches.size(), 1u);
  EXPECT_EQ(r.mismatches[0].producer, 1u);
  EXPECT_TRUE(has_line(r, "producer 1: 101 sent ok, 100 received: at least 1 lost"))
      << ::testing::PrintToString(r.failures());
}

TEST(StreamingChecker, duplicate_to_the_same_consumer) {
  Both run = clean_run();
  run.receive(1, 0, 99);  // consumer 1 had seq 99 last: the same seq twice in a row
  const auto r = run.streaming();
  expect_same_counts(run.exact(), r);
  EXPECT_EQ(r.duplicated, 1u);
  EXPECT_TRUE(has_line(r, "producer 0: 100 sent ok, 101 received: at least 1 duplicated"))
      << ::testing::PrintToString(r.failures());
}

TEST(StreamingChecker, duplicate_to_another_consumer) {
  Both run = clean_run();
  run.receive(0, 0, 99);  // consumer 0 had seq 98 last: in order there, twice over all
  const auto r = run.streaming();
  expect_same_counts(run.exact(), r);
  EXPECT_EQ(r.duplicated, 1u);
  EXPECT_EQ(r.reordered, 0u);
}

TEST(StreamingChecker, phantoms) {
  Both run = clean_run();
  run.receive(0, 1, 500);  // never attempted
  run.receive(1, 7, 0);    // from a producer that does not exist
  run.producers[0].attempted = 102;
  run.producers[0].refused_closed = {101};
  run.time_out(0, 100);
  run.receive(1, 0, 100);  // timed out (handed back), yet received
  run.receive(1, 0, 101);  // refused after close, yet received
  const auto r = run.streaming();
  expect_same_counts(run.exact(), r);
  EXPECT_EQ(r.phantom, 4u);
  EXPECT_EQ(r.lost + r.duplicated, 0u);
  sc::RunResult as_run;
  as_run.check = r;
  EXPECT_EQ(sc::failure_kind(as_run), "phantom");
}

TEST(StreamingChecker, reorder) {
  Both run(1, 1, 3);
  run.receive(0, 0, 0);
  run.receive(0, 0, 2);
  run.receive(0, 0, 1);  // backwards
  const auto r = run.streaming();
  expect_same_counts(run.exact(), r);
  EXPECT_EQ(r.reordered, 1u);
  EXPECT_TRUE(r.mismatches.empty());  // every message arrived once
}

TEST(StreamingChecker, loss_and_duplicate_in_one_producer) {
  // Producer 0's counts add up (100 sent ok, 100 received), its messages do
  // not: seq 50 never arrived, seq 49 arrived twice, at two consumers.
  Both run(1, 2, 100);
  for (std::uint64_t seq = 0; seq < 100; ++seq) {
    if (seq != 50) run.receive(0, 0, seq);
  }
  run.receive(1, 0, 49);
  const auto r = run.streaming();
  const auto exact = run.exact();
  EXPECT_EQ(exact.lost, 1u);
  EXPECT_EQ(exact.duplicated, 1u);
  EXPECT_EQ(r.sent, r.received);
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.duplicated, 1u);
  EXPECT_EQ(r.reordered, 0u);
  EXPECT_TRUE(has_line(r, "producer 0: 100 sent ok, 100 received, but not the same messages"))
      << ::testing::PrintToString(r.failures());
}

// A clean run whose producer 1 sent two more messages, still in the queue.
Both run_with_two_left() {
  Both run = clean_run();
  run.producers[1].attempted = 102;
  run.leave(1, 100);
  run.leave(1, 101);
  return run;
}

TEST(StreamingChecker, left_in_queue_is_not_lost) {
  const Both run = run_with_two_left();
  const auto r = run.streaming();
  expect_same_counts(run.exact(), r);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.left_in_queue, 2u);
}

TEST(StreamingChecker, left_after_the_consumers_saw_it_drained_is_lost) {
  // close draining: every consumer was told "closed and drained", yet the
  // queue still held two messages (accepted after close).
  const Both run = run_with_two_left();
  const sc::RunFacts drained{.consumers_saw_drained = true};
  const auto r = run.streaming(drained);
  expect_same_counts(run.exact(drained), r);
  EXPECT_EQ(r.lost, 2u);
  EXPECT_EQ(r.lost_after_close, 2u);
  EXPECT_EQ(r.left_in_queue, 0u);
  EXPECT_TRUE(has_line(r, "2 of them still in the queue"))
      << ::testing::PrintToString(r.failures());
}

TEST(StreamingChecker, timed_out_sends_are_not_lost) {
  Both run = clean_run();
  run.producers[0].attempted = 103;
  run.time_out(0, 100);
  run.time_out(0, 101);
  run.receive(0, 0, 102);
  const auto r = run.streaming();
  expect_same_counts(run.exact(), r);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.failures());
  EXPECT_EQ(r.send_timeout, 2u);
}

TEST(StreamingChecker, tally_of_interleaved_producers) {
  sc::ConsumerTally tally(4);
  for (std::uint64_t seq = 0; seq < 1'000'000; ++seq) tally.record_packed(id(seq % 4, seq / 4));
  EXPECT_EQ(tally.count(), 1'000'000u);
  EXPECT_EQ(tally.reordered(), 0u);
  EXPECT_EQ(tally.repeats(3), 0u);
  EXPECT_EQ(tally.highest_seq(3), 249'999u);
  EXPECT_EQ(tally.digest(3).count, 250'000u);
}

TEST(MessageDigest, order_independent_and_one_swap_always_differs) {
  sc::MessageDigest forward, backward, swapped;
  for (std::uint64_t i = 0; i < 1000; ++i) forward.add(id(0, i));
  for (std::uint64_t i = 1000; i-- > 0;) backward.add(id(0, i));
  EXPECT_EQ(forward, backward);
  for (std::uint64_t i = 0; i < 1000; ++i) swapped.add(id(0, i == 500 ? 499 : i));
  EXPECT_EQ(swapped.count, forward.count);
  EXPECT_NE(swapped.sum, forward.sum);  // the mix is a bijection: no single swap cancels
  EXPECT_NE(swapped.mixed_sum, forward.mixed_sum);
}

}  // namespace
}  // namespace tmpmc::testing
