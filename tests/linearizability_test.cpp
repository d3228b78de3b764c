// linearizability_test.cpp: the sequential specification (queue_spec.h) and
// the linearizability check (linearizability.h), on histories written by
// hand. Outside a fiber, every call is the "driver" client's: what matters
// to the check is the order of calls and returns, which each test spells out.
#include "tmpmc/scenarios/linearizability.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tmpmc/scenarios/checker.h"
#include "tmpmc/scenarios/history.h"
#include "tmpmc/scenarios/queue_spec.h"

namespace sc = tmpmc::scenarios;
using sc::OpKind;
using sc::OpStatus;
using Kind = sc::LinearizabilityVerdict::Kind;

namespace {

std::uint64_t msg(std::uint32_t producer, std::uint64_t seq) {
  return (std::uint64_t{producer} << sc::ConsumerLog::kSeqBits) | seq;
}

// A history written call by call: call() opens an operation, ret() closes it.
struct Script {
  sc::History h;
  std::size_t call(OpKind kind, std::uint64_t message = 0) { return h.invoke(kind, message); }
  void ret(std::size_t op, OpStatus status, std::uint64_t message = 0, std::uint64_t answer = 0) {
    h.respond(op, status, message, answer);
  }
  // Sequential calls: each returns before the next begins.
  void send(std::uint64_t m, OpStatus status = OpStatus::ok) { ret(call(OpKind::send, m), status); }
  void receive(std::uint64_t m) { ret(call(OpKind::receive), OpStatus::ok, m); }
  void receive(OpStatus status) { ret(call(OpKind::receive), status); }
  void close(bool closed_it = true) { ret(call(OpKind::close), OpStatus::ok, 0, closed_it); }
  void len(std::uint64_t n) { ret(call(OpKind::len), OpStatus::ok, 0, n); }

  sc::LinearizabilityVerdict check(std::size_t capacity) const {
    return sc::check_linearizability(h, capacity);
  }
  std::vector<std::string> witness(std::size_t capacity) const {
    const auto verdict = check(capacity);
    return sc::describe(h, verdict.witness);
  }
};

// --------------------------------------------------------------- the specification

TEST(QueueSpec, sends_fill_to_capacity_then_only_a_try_may_answer_full) {
  sc::QueueSpecState s;
  sc::Operation send{.kind = OpKind::send, .status = OpStatus::ok, .message = 1};
  EXPECT_TRUE(sc::apply(s, send, 1));
  EXPECT_EQ(s.values, std::vector<std::uint64_t>{1});
  EXPECT_FALSE(sc::apply(s, send, 1)) << "a second value in a 1-slot queue";
  sc::Operation try_full{.kind = OpKind::try_send, .status = OpStatus::full, .message = 2};
  EXPECT_TRUE(sc::apply(s, try_full, 1));
  sc::Operation blocking_full{.kind = OpKind::send, .status = OpStatus::full, .message = 2};
  EXPECT_FALSE(sc::apply(s, blocking_full, 1)) << "a blocking send never answers full";
  sc::Operation len{.kind = OpKind::len, .status = OpStatus::ok, .answer = 1};
  EXPECT_TRUE(sc::apply(s, len, 1));
  len.answer = 2;
  EXPECT_FALSE(sc::apply(s, len, 1));
}

TEST(QueueSpec, receive_drains_then_reports_closed_and_never_an_error) {
  sc::QueueSpecState s{.values = {7}, .closed = true};
  sc::Operation closed{.kind = OpKind::receive, .status = OpStatus::closed};
  EXPECT_FALSE(sc::apply(s, closed, 1)) << "closed while a value is left";
  sc::Operation got{.kind = OpKind::receive, .status = OpStatus::ok, .message = 7};
  EXPECT_TRUE(sc::apply(s, got, 1));
  EXPECT_TRUE(sc::apply(s, closed, 1));
  sc::Operation error{.kind = OpKind::receive, .status = OpStatus::error};
  EXPECT_FALSE(sc::apply(s, error, 1)) << "the seed's Err(Closed) holds in no state";
  sc::Operation send_ok{.kind = OpKind::send, .status = OpStatus::ok, .message = 8};
  EXPECT_FALSE(sc::apply(s, send_ok, 1)) << "a send after close";
  sc::Operation send_closed{.kind = OpKind::send, .status = OpStatus::closed, .message = 8};
  EXPECT_TRUE(sc::apply(s, send_closed, 1));
}

TEST(QueueSpec, timeouts_need_their_condition_to_fail_and_the_queue_open) {
  sc::QueueSpecState s;
  sc::Operation timed_receive{.kind = OpKind::receive_for, .status = OpStatus::timeout};
  EXPECT_TRUE(sc::apply(s, timed_receive, 1));
  s.values = {3};
  EXPECT_FALSE(sc::apply(s, timed_receive, 1)) << "a value was there";
  sc::Operation timed_send{.kind = OpKind::send_for, .status = OpStatus::timeout, .message = 4};
  EXPECT_TRUE(sc::apply(s, timed_send, 1));
  s.closed = true;
  EXPECT_FALSE(sc::apply(s, timed_send, 1)) << "closed: the send returns closed, not timeout";
}

// --------------------------------------------------------------- the check

TEST(Linearizability, a_sequential_fifo_history_passes) {
  Script s;
  s.send(msg(0, 0));
  s.send(msg(1, 0));
  s.len(2);
  s.receive(msg(0, 0));
  s.receive(msg(1, 0));
  s.close();
  s.receive(OpStatus::closed);
  const auto verdict = s.check(2);
  EXPECT_EQ(verdict.kind, Kind::linearizable);
  EXPECT_EQ(verdict.operations, 7u);
}

TEST(Linearizability, overlapping_calls_may_take_effect_in_either_order) {
  // A receive parked before the send: it may linearise after it.
  Script s;
  const auto r = s.call(OpKind::receive);
  s.send(msg(0, 0));
  s.ret(r, OpStatus::ok, msg(0, 0));
  // A send parked on a full queue takes effect once a receive makes room.
  s.send(msg(0, 1));
  const auto blocked = s.call(OpKind::send, msg(0, 2));
  s.receive(msg(0, 1));
  s.ret(blocked, OpStatus::ok);
  s.receive(msg(0, 2));
  EXPECT_EQ(s.check(1).kind, Kind::linearizable);
}

TEST(Linearizability, a_timeout_while_another_consumer_took_the_value_passes) {
  // The timed receive's wait saw the queue empty at some point: a value came
  // and went to another consumer meanwhile.
  Script s;
  const auto timed = s.call(OpKind::receive_for);
  s.send(msg(0, 0));
  s.receive(msg(0, 0));
  s.ret(timed, OpStatus::timeout);
  EXPECT_EQ(s.check(1).kind, Kind::linearizable);
}

TEST(Linearizability, a_call_that_never_returned_may_have_taken_effect) {
  Script s;
  s.call(OpKind::send, msg(0, 0));  // hung after its push
  s.receive(msg(0, 0));
  s.call(OpKind::receive);  // hung before its pop
  EXPECT_EQ(s.check(1).kind, Kind::linearizable);
}

TEST(Linearizability, one_value_too_many_is_caught_and_shown_with_the_fewest_calls) {
  Script s;
  s.len(0);
  s.send(msg(0, 0));
  s.send(msg(1, 0));  // a 1-slot queue took a second value
  s.receive(msg(0, 0));
  s.receive(msg(1, 0));
  const auto verdict = s.check(1);
  ASSERT_EQ(verdict.kind, Kind::not_linearizable);
  // A message goes with its receive (dropping a receive alone would leave its
  // value in the queue and make later answers wrong for no fault of theirs).
  EXPECT_EQ(s.witness(1), (std::vector<std::string>{
                              "after the run  driver  send(p0#0) -> ok",
                              "after the run  driver  send(p1#0) -> ok",
                              "after the run  driver  receive() -> p0#0",
                              "after the run  driver  receive() -> p1#0",
                          }));
}

TEST(Linearizability, fifo_broken_across_producers_is_caught) {
  Script s;
  s.send(msg(0, 0));
  s.send(msg(1, 0));
  s.send(msg(0, 1));
  s.receive(msg(1, 0));  // p0#0 went in first
  s.receive(msg(0, 0));
  s.receive(msg(0, 1));
  const auto verdict = s.check(3);
  ASSERT_EQ(verdict.kind, Kind::not_linearizable);
  // p0#1 is not needed to show it.
  EXPECT_EQ(s.witness(3), (std::vector<std::string>{
                              "after the run  driver  send(p0#0) -> ok",
                              "after the run  driver  send(p1#0) -> ok",
                              "after the run  driver  receive() -> p1#0",
                              "after the run  driver  receive() -> p0#0",
                          }));
}

TEST(Linearizability, a_wrong_full_or_timeout_is_caught) {
  Script full;
  full.ret(full.call(OpKind::try_send, msg(0, 0)), OpStatus::full);  // on an empty queue
  ASSERT_EQ(full.check(1).kind, Kind::not_linearizable);
  EXPECT_EQ(full.witness(1).size(), 1u);

  Script timeout;
  timeout.send(msg(0, 0));
  timeout.len(1);
  timeout.ret(timeout.call(OpKind::receive_for), OpStatus::timeout);  // the value sat there
  timeout.receive(msg(0, 0));
  ASSERT_EQ(timeout.check(1).kind, Kind::not_linearizable);
  EXPECT_EQ(timeout.witness(1), (std::vector<std::string>{
                                    "after the run  driver  send(p0#0) -> ok",
                                    "after the run  driver  receive_for() -> timeout",
                                    "after the run  driver  receive() -> p0#0",
                                }));
}

TEST(Linearizability, close_rules_are_checked) {
  Script early;
  early.receive(OpStatus::closed);  // before anyone closed
  early.close();
  EXPECT_EQ(early.check(1).kind, Kind::not_linearizable);

  Script accepted;
  accepted.close();
  accepted.send(msg(0, 0));  // went in after close
  EXPECT_EQ(accepted.check(1).kind, Kind::not_linearizable);

  Script twice;
  twice.close(true);
  twice.close(true);  // only one close closes it
  EXPECT_EQ(twice.check(1).kind, Kind::not_linearizable);

  Script fine;
  fine.send(msg(0, 0));
  fine.close(true);
  fine.close(false);
  fine.send(msg(0, 1), OpStatus::closed);
  fine.receive(msg(0, 0));
  fine.receive(OpStatus::closed);
  fine.ret(fine.call(OpKind::is_closed), OpStatus::ok, 0, 1);
  EXPECT_EQ(fine.check(1).kind, Kind::linearizable);
}

TEST(Linearizability, the_witness_drops_the_answers_that_counted_on_dropped_values) {
  // len() -> 2 in a 1-slot queue, where a second send also went in: the
  // witness is the two messages. Once their values are gone, len() is
  // dropped with them: a len() made wrong by the reduction is no witness.
  Script s;
  s.send(msg(0, 0));
  const auto p1 = s.call(OpKind::send, msg(1, 0));
  s.len(2);
  s.ret(p1, OpStatus::ok);
  s.receive(msg(0, 0));
  s.receive(msg(1, 0));
  ASSERT_EQ(s.check(1).kind, Kind::not_linearizable);
  const auto lines = s.witness(1);
  ASSERT_EQ(lines.size(), 4u) << ::testing::PrintToString(lines);
  for (const auto& line : lines) EXPECT_EQ(line.find("len("), std::string::npos) << line;
}

TEST(Linearizability, a_search_past_its_budget_is_undecided_not_a_pass) {
  Script s;
  for (std::uint64_t i = 0; i < 6; ++i) s.call(OpKind::send, msg(0, i));  // all concurrent
  s.receive(msg(0, 5));
  const auto verdict = sc::check_linearizability(s.h, 8, /*budget=*/2);
  EXPECT_EQ(verdict.kind, Kind::undecided);
  const auto lines = sc::report(s.h, verdict);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("undecided"), std::string::npos) << lines[0];
  EXPECT_EQ(sc::check_linearizability(s.h, 8).kind, Kind::linearizable);
}

}  // namespace
