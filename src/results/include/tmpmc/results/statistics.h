// statistics.h: the statistics the summaries and compare use.
#pragma once

#include <vector>

namespace tmpmc::results {

// median_of(values): the median (mean of the middle two for an even count); 0 if empty.
double median_of(std::vector<double> values);

// mann_whitney_p(a, b): two-sided p-value of the Mann-Whitney U test. Exact
// (the distribution of U counted by recursion) when both samples are at most
// 25 values and there are no ties; otherwise the normal approximation with
// tie and continuity corrections.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace tmpmc::results
