// interval_monitor.cpp: see interval_monitor.h.
#include "driver/interval_monitor.h"

#include <unistd.h>

#include <fstream>
#include <utility>

namespace tmpmc::scenarios {

namespace {

// resident_bytes(): the process's resident set now, from /proc/self/statm
// (its second field, in pages); 0 if it cannot be read.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

IntervalMonitor::IntervalMonitor(std::chrono::milliseconds every,
                                 std::span<const ConsumerProgress> progress,
                                 std::span<const Histogram> latency,
                                 std::function<void(const Interval&)> on_interval)
    : every_(every),
      progress_(progress),
      latency_(latency),
      on_interval_(std::move(on_interval)),
      start_(std::chrono::steady_clock::now()),
      last_(read()),
      thread_([this] { loop(); }) {}

IntervalMonitor::~IntervalMonitor() {
  if (thread_.joinable()) stop();
}

IntervalMonitor::Reading IntervalMonitor::read() const {
  Reading r;
  r.at = std::chrono::steady_clock::now();
  for (const ConsumerProgress& p : progress_)
    r.received += p.received.load(std::memory_order_relaxed);
  r.latency_counts.assign(Histogram::bucket_count(), 0);
  for (const Histogram& h : latency_) {
    for (std::size_t i = 0; i < r.latency_counts.size(); ++i) r.latency_counts[i] += h.count_at(i);
  }
  return r;
}

void IntervalMonitor::record(const Reading& now) {
  std::vector<std::uint64_t> counts(now.latency_counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    counts[i] = now.latency_counts[i] - last_.latency_counts[i];
  }
  const Histogram latency = Histogram::from_counts(std::move(counts));
  Interval in;
  in.end_s = std::chrono::duration<double>(now.at - start_).count();
  in.length_s = std::chrono::duration<double>(now.at - last_.at).count();
  in.received = now.received - last_.received;
  in.msgs_per_sec = in.length_s > 0 ? static_cast<double>(in.received) / in.length_s : 0;
  in.latency_samples = latency.count();
  in.p50_ns = latency.percentile(50);
  in.p99_ns = latency.percentile(99);
  in.p999_ns = latency.percentile(99.9);
  in.max_ns = latency.max();
  in.rss_bytes = resident_bytes();
  intervals_.push_back(in);
  last_ = now;
  if (on_interval_) on_interval_(in);
}

void IntervalMonitor::loop() {
  auto next = start_ + every_;
  std::unique_lock lock(mutex_);
  // Absolute deadlines: a late wake-up shortens the next interval instead of
  // shifting every later one.
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    const Reading now = read();
    record(now);
    lock.lock();
    // A monitor descheduled for longer than an interval records one long
    // interval, not a burst of empty ones.
    while (next <= now.at) next += every_;
  }
}

std::vector<Interval> IntervalMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // The rest of the run, unless nothing happened since the last record.
  const Reading now = read();
  if (now.received != last_.received || now.latency_counts != last_.latency_counts) record(now);
  return std::move(intervals_);
}

}  // namespace tmpmc::scenarios
