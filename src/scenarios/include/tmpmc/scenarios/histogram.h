// histogram.h: a log-linear latency histogram (HdrHistogram's layout).
//
// Values are bucketed by their power of two, and each power of two is split
// into kSubBuckets linear sub-buckets: with 128 sub-buckets the relative error
// is at most 1/128 < 1% from 1 ns to about 2^42 ns (73 minutes). Recording is
// a shift, a subtraction and an increment: no allocation, no branch on the
// hot path beyond the range clamp. Histograms of the same shape merge by
// adding counts.
//
// One thread records; another may read the bucket counts meanwhile
// (count_at(), for a run's interval records): each count is written and read
// through a relaxed atomic_ref, which on x86-64 is the same plain load and
// store as before, so recording costs nothing more.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace tmpmc::scenarios {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;  // 128 sub-buckets: < 1% relative error
  static constexpr std::uint64_t kSubBuckets = 1u << kSubBucketBits;
  static constexpr int kMaxBits = 42;  // values up to 2^42 ns (~73 min) are exact to 1%
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;

  Histogram();

  // record(ns): values above kMaxValue are clamped (and counted in clamped()).
  void record(std::uint64_t value) noexcept {
    if (value > kMaxValue) [[unlikely]] {
      value = kMaxValue;
      ++clamped_;
    }
    std::atomic_ref<std::uint64_t> count(counts_[index_of(value)]);
    // relaxed: a single writer; a reader wants each count, not an order.
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    ++total_;
    sum_ += value;
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
  }

  void merge(const Histogram& other) noexcept;

  // The bucket counts, readable while another thread records: bucket i's
  // count now (relaxed, see above), and a histogram made of such counts, for
  // example the difference of two readings (min and max are then the bounds
  // of the lowest and highest non-empty buckets, the mean their midpoints').
  static constexpr std::size_t bucket_count() noexcept { return kBuckets + kSubBuckets; }
  std::uint64_t count_at(std::size_t index) const noexcept {
    // atomic_ref needs a non-const object (until C++26); the vector's is one.
    auto& count = const_cast<std::uint64_t&>(counts_[index]);
    return std::atomic_ref<std::uint64_t>(count).load(std::memory_order_relaxed);
  }
  static Histogram from_counts(std::vector<std::uint64_t> counts);

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t max() const noexcept { return total_ ? max_ : 0; }
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  double mean() const noexcept { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }
  std::uint64_t clamped() const noexcept { return clamped_; }
  // percentile(p): the value at or below which p% of the recorded values fall
  // (p in [0, 100]), as the midpoint of its bucket (within 1%), or 0 if empty.
  std::uint64_t percentile(double p) const noexcept;

  static std::size_t index_of(std::uint64_t value) noexcept {
    // Values below kSubBuckets are exact; above, keep the top kSubBucketBits+1 bits.
    const int bits = 64 - __builtin_clzll(value | 1);
    if (bits <= kSubBucketBits + 1) return static_cast<std::size_t>(value);
    const int shift = bits - (kSubBucketBits + 1);
    const std::uint64_t top = value >> shift;  // in [kSubBuckets, 2*kSubBuckets)
    return static_cast<std::size_t>((shift + 1) * kSubBuckets + (top - kSubBuckets));
  }
  // bucket_bounds(i): the values [low, high] that index i covers.
  static void bucket_bounds(std::size_t index, std::uint64_t& low, std::uint64_t& high) noexcept;

 private:
  static constexpr std::size_t kBuckets = (kMaxBits - kSubBucketBits + 1) * kSubBuckets;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t clamped_ = 0;
};

}  // namespace tmpmc::scenarios
