// histogram_test.cpp: the latency histogram's percentiles, merge and range.
#include "tmpmc/scenarios/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "driver/interval_monitor.h"
#include "tmpmc/runtime/rng.h"

namespace tmpmc::testing {
namespace {

namespace sc = tmpmc::scenarios;

TEST(Histogram, percentiles_within_one_percent_of_exact) {
  runtime::Xoshiro256 rng(7);
  std::vector<std::uint64_t> values;
  sc::Histogram h;
  for (int i = 0; i < 200'000; ++i) {
    // Log-uniform from 1 ns to ~1 s, plus a tail.
    const double exponent = static_cast<double>(rng.below(30'000'000)) / 1e6;
    const auto v = static_cast<std::uint64_t>(std::pow(2.0, exponent));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
    const double exact = static_cast<double>(values[std::max<std::size_t>(rank, 1) - 1]);
    const double got = static_cast<double>(h.percentile(p));
    EXPECT_LE(std::abs(got - exact), exact * 0.01 + 1)
        << "p" << p << " exact " << exact << " got " << got;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, merge_adds_counts) {
  sc::Histogram a, b;
  for (std::uint64_t v = 1; v <= 1000; ++v) (v % 2 ? a : b).record(v * 1000);
  a.merge(b);
  EXPECT_EQ(a.count(), 1000u);
  EXPECT_NEAR(static_cast<double>(a.percentile(50)), 500'000.0, 5'000.0);
  EXPECT_EQ(a.max(), 1'000'000u);
}

TEST(Histogram, hour_long_values_and_clamp) {
  sc::Histogram h;
  const std::uint64_t hour = 3'600'000'000'000ULL;
  h.record(hour);
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), static_cast<double>(hour), hour * 0.01);
  h.record(~std::uint64_t{0});
  EXPECT_EQ(h.clamped(), 1u);
}

// The difference of two readings of the bucket counts is the histogram of
// what was recorded in between.
TEST(Histogram, from_counts_of_a_difference_is_what_came_between) {
  sc::Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v * 10);
  std::vector<std::uint64_t> before(sc::Histogram::bucket_count());
  for (std::size_t i = 0; i < before.size(); ++i) before[i] = h.count_at(i);
  for (std::uint64_t v = 1; v <= 50; ++v) h.record(1'000'000 + v);
  std::vector<std::uint64_t> between(sc::Histogram::bucket_count());
  for (std::size_t i = 0; i < between.size(); ++i) between[i] = h.count_at(i) - before[i];
  const sc::Histogram d = sc::Histogram::from_counts(std::move(between));
  EXPECT_EQ(d.count(), 50u);
  EXPECT_NEAR(static_cast<double>(d.percentile(50)), 1'000'025.0, 1'000'025.0 * 0.01);
  EXPECT_GE(d.min(), 990'000u);
  EXPECT_GE(d.max(), 1'000'050u);  // the top bucket's upper bound
  EXPECT_LE(d.max(), 1'010'000u);
}

// A monitor whose period never ends within the test records the whole run
// as its last interval when stopped.
TEST(IntervalMonitor, stop_records_the_rest_of_the_run) {
  std::vector<sc::ConsumerProgress> progress(2);
  std::vector<sc::Histogram> latency(2);
  sc::IntervalMonitor monitor(std::chrono::hours(1), progress, latency, nullptr);
  for (int i = 0; i < 5; ++i) progress[0].add_one();
  for (int i = 0; i < 7; ++i) progress[1].add_one();
  latency[0].record(1000);
  latency[1].record(3000);
  const std::vector<sc::Interval> intervals = monitor.stop();
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0].received, 12u);
  EXPECT_EQ(intervals[0].latency_samples, 2u);
  EXPECT_NEAR(static_cast<double>(intervals[0].max_ns), 3000.0, 30.0);
  EXPECT_GT(intervals[0].rss_bytes, 0u);
}

TEST(IntervalMonitor, nothing_since_the_last_record_adds_no_interval) {
  std::vector<sc::ConsumerProgress> progress(1);
  std::vector<sc::Histogram> latency(1);
  sc::IntervalMonitor monitor(std::chrono::hours(1), progress, latency, nullptr);
  EXPECT_TRUE(monitor.stop().empty());
}

// However the monitor's wake-ups fall against the consumers' counting, every
// message lands in exactly one interval, and each interval it reports (on
// its own thread) is the one it keeps.
TEST(IntervalMonitor, every_message_lands_in_exactly_one_interval) {
  std::vector<sc::ConsumerProgress> progress(2);
  std::vector<sc::Histogram> latency(2);
  std::vector<sc::Interval> reported;  // written by the monitor's thread only
  sc::IntervalMonitor monitor(std::chrono::milliseconds(1), progress, latency,
                              [&](const sc::Interval& in) { reported.push_back(in); });
  std::vector<std::thread> consumers;
  for (std::size_t c = 0; c < 2; ++c) {
    consumers.emplace_back([&, c] {
      for (std::uint64_t i = 0; i < 200'000; ++i) {
        progress[c].add_one();
        if (i % 64 == 0) latency[c].record(i);
      }
    });
  }
  for (auto& t : consumers) t.join();
  const std::vector<sc::Interval> intervals = monitor.stop();
  ASSERT_FALSE(intervals.empty());
  std::uint64_t received = 0, samples = 0;
  for (const auto& in : intervals) {
    received += in.received;
    samples += in.latency_samples;
    EXPECT_GE(in.length_s, 0.0);
  }
  EXPECT_EQ(received, 400'000u);
  EXPECT_EQ(samples, 2 * ((200'000 + 63) / 64));
  ASSERT_EQ(reported.size(), intervals.size());
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    EXPECT_EQ(reported[i].received, intervals[i].received);
  }
}

}  // namespace
}  // namespace tmpmc::testing
