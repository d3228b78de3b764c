// histogram.cpp: the latency histogram's quantiles and merging.
#include "tmpmc/scenarios/histogram.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tmpmc::scenarios {

Histogram::Histogram() : counts_(kBuckets + kSubBuckets, 0) {}

void Histogram::merge(const Histogram& other) noexcept {
  // Most of a stress run's histograms are empty: 9,000 buckets each.
  if (other.total_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  clamped_ += other.clamped_;
  if (other.total_ != 0) {
    max_ = std::max(max_, other.max_);
    min_ = std::min(min_, other.min_);
  }
}

Histogram Histogram::from_counts(std::vector<std::uint64_t> counts) {
  Histogram h;
  counts.resize(h.counts_.size(), 0);
  h.counts_ = std::move(counts);
  for (std::size_t i = 0; i < h.counts_.size(); ++i) {
    if (h.counts_[i] == 0) continue;
    std::uint64_t low, high;
    bucket_bounds(i, low, high);
    if (h.total_ == 0) h.min_ = low;
    h.max_ = high;
    h.total_ += h.counts_[i];
    h.sum_ += h.counts_[i] * (low + (high - low) / 2);
  }
  return h;
}

void Histogram::bucket_bounds(std::size_t index, std::uint64_t& low, std::uint64_t& high) noexcept {
  if (index < 2 * kSubBuckets) {
    low = high = index;
    return;
  }
  const std::size_t shift = index / kSubBuckets - 1;
  const std::uint64_t top = kSubBuckets + index % kSubBuckets;
  low = top << shift;
  high = low + (std::uint64_t{1} << shift) - 1;
}

std::uint64_t Histogram::percentile(double p) const noexcept {
  if (total_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The rank of the value asked for: at least 1, at most total.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      std::uint64_t low, high;
      bucket_bounds(i, low, high);
      const std::uint64_t mid = low + (high - low) / 2;
      return std::clamp(mid, min(), max());  // never outside what was seen
    }
  }
  return max();
}

}  // namespace tmpmc::scenarios
