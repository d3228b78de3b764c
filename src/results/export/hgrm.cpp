// hgrm.cpp: latency as HdrHistogram's percentile distribution (the text of
// outputPercentileDistribution, which HdrHistogram's plotters read): a
// header, one row per percentile (value, percentile as a fraction, count at
// or below, 1/(1-percentile)), then the mean, max and layout footer.
//
// The rows come from the scenario's summary.latency_percentiles: all
// measured runs merged, at 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99 and
// 100%, each the midpoint of its histogram bucket (within 1%). The total
// count, the mean and the max are exact (summed over the runs' latency_ns);
// the standard deviation is estimated from the rows, each percentile step
// weighing as much as the fraction of samples it spans. Values are in
// milliseconds with six decimals (nanosecond resolution), the unit
// HdrHistogram's plotters label their axis with.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "formats.h"
#include "result_fields.h"

namespace tmpmc::results::detail {

namespace {

// scenarios::Histogram's layout (histogram.h) in HdrHistogram's terms:
// values below 256 are exact and each power of two above is split into 128
// steps, i.e. 256 sub-buckets, up to 2^42 ns in 35 buckets.
constexpr int kBuckets = 35, kSubBuckets = 256;
constexpr double kNsPerMs = 1e6;

struct Point {
  double percentile = 0;  // 0-100
  double value_ns = 0;
};

std::string line(const char* format, auto... values) {
  char text[160];
  std::snprintf(text, sizeof text, format, values...);
  return text;
}

}  // namespace

void write_hgrm(const nlohmann::json& result, std::ostream& out) {
  const Located scenario = scenarios_of(result).front();
  std::vector<Point> points;
  for (const auto& entry : scenario.elements("summary.latency_percentiles")) {
    if (!entry.node.is_array() || entry.node.size() != 2 || !entry.node[0].is_number() ||
        !entry.node[1].is_number()) {
      throw ExportError(entry.place + ": expected [percentile, nanoseconds]");
    }
    points.push_back({entry.node[0].get<double>(), entry.node[1].get<double>()});
  }
  double total = 0, sum = 0, max_ns = 0;
  for (const auto& run : scenario.elements("runs")) {
    const double samples = run.number("latency_ns.samples");
    total += samples;
    sum += samples * run.number("latency_ns.mean");
    max_ns = std::max(max_ns, run.number("latency_ns.max"));
  }
  const double mean_ns = total > 0 ? sum / total : 0;
  double variance = 0, below = 0;
  for (const auto& p : points) {
    const double fraction = std::clamp(p.percentile / 100, below, 1.0);
    variance += (fraction - below) * (p.value_ns - mean_ns) * (p.value_ns - mean_ns);
    below = fraction;
  }

  out << line("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  for (const auto& p : points) {
    const double fraction = p.percentile / 100;
    const long long count = std::llround(fraction * total);
    if (fraction < 1) {
      out << line("%12.6f %2.12f %10lld %14.2f\n", p.value_ns / kNsPerMs, fraction, count,
                  1 / (1 - fraction));
    } else {
      out << line("%12.6f %2.12f %10lld\n", p.value_ns / kNsPerMs, fraction, count);
    }
  }
  out << line("#[Mean    = %12.6f, StdDeviation   = %12.6f]\n", mean_ns / kNsPerMs,
              std::sqrt(variance) / kNsPerMs)
      << line("#[Max     = %12.6f, Total count    = %12lld]\n", max_ns / kNsPerMs,
              std::llround(total))
      << line("#[Buckets = %12d, SubBuckets     = %12d]\n", kBuckets, kSubBuckets);
}

}  // namespace tmpmc::results::detail
