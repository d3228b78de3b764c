// histogram_test.cpp: the latency histogram's percentiles, merge and range.
#include "tmpmc/scenarios/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

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

}  // namespace
}  // namespace tmpmc::testing
