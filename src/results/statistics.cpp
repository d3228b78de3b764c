// statistics.cpp: medians, spreads and the Mann-Whitney U test.
#include "tmpmc/results/statistics.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tmpmc::results {

namespace {

// Exact distribution of U for sample sizes m, n (no ties): count[u] = the
// number of orderings with U = u, by the recursion
// N(m, n, u) = N(m-1, n, u-n) + N(m, n-1, u).
std::vector<double> u_counts(std::size_t m, std::size_t n) {
  // table[i][j] is the count vector for sizes (i, j).
  std::vector<std::vector<std::vector<double>>> table(m + 1,
                                                      std::vector<std::vector<double>>(n + 1));
  for (std::size_t i = 0; i <= m; ++i) {
    for (std::size_t j = 0; j <= n; ++j) {
      std::vector<double>& counts = table[i][j];
      counts.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        counts[0] = 1;
        continue;
      }
      const auto& left = table[i - 1][j];  // the largest value is from the first sample: +j
      const auto& right = table[i][j - 1];
      for (std::size_t u = 0; u < left.size(); ++u) counts[u + j] += left[u];
      for (std::size_t u = 0; u < right.size(); ++u) counts[u] += right[u];
    }
  }
  return table[m][n];
}

double normal_two_sided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

}  // namespace

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t m = a.size(), n = b.size();
  if (m == 0 || n == 0) return 1.0;
  // Ranks of the pooled sample, ties getting their average rank.
  std::vector<std::pair<double, int>> pooled;
  pooled.reserve(m + n);
  for (double v : a) pooled.emplace_back(v, 0);
  for (double v : b) pooled.emplace_back(v, 1);
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    const double t = static_cast<double>(j - i);
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (std::size_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += average_rank;
    }
    i = j;
  }
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  const double u = rank_sum_a - md * (md + 1) / 2;  // U of the first sample
  const double u_min = std::min(u, md * nd - u);
  if (!ties && m <= 25 && n <= 25) {
    const std::vector<double> counts = u_counts(m, n);
    double total = 0, at_most = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (static_cast<double>(k) <= u_min + 1e-9) at_most += counts[k];
    }
    return std::min(1.0, 2.0 * at_most / total);
  }
  const double mean = md * nd / 2;
  const double variance = md * nd / 12 * ((md + nd + 1) - tie_term / ((md + nd) * (md + nd - 1)));
  if (variance <= 0) return 1.0;
  const double z = (std::fabs(u - mean) - 0.5) / std::sqrt(variance);  // continuity correction
  return std::min(1.0, normal_two_sided(std::max(0.0, z)));
}

}  // namespace tmpmc::results
