// interval_monitor.h: a run's Interval records (driver.h), taken by a thread
// of its own while the run's fibers move messages.
//
// It reads what the consumers publish without stopping them: each consumer's
// received count (ConsumerProgress) and the bucket counts of its latency
// histogram (Histogram::count_at), both relaxed; an interval is the
// difference between two readings. A reading is not a snapshot of one
// instant across consumers, but every message lands in exactly one interval.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "tmpmc/scenarios/driver.h"
#include "tmpmc/scenarios/histogram.h"

namespace tmpmc::scenarios {

// ConsumerProgress: one consumer's received count, on a cache line of its
// own so that publishing it never contends with another consumer.
struct alignas(64) ConsumerProgress {
  std::atomic<std::uint64_t> received{0};
  // add_one(): the consumer is the only writer, so a relaxed load and store
  // (no read-modify-write) suffice; the monitor only needs each value.
  void add_one() noexcept {
    received.store(received.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

class IntervalMonitor {
 public:
  // Starts sampling `progress` and `latency` (one of each per consumer; they
  // must outlive the monitor) every `every`, and passes each interval to
  // on_interval (if set), on the monitor's thread.
  IntervalMonitor(std::chrono::milliseconds every, std::span<const ConsumerProgress> progress,
                  std::span<const Histogram> latency,
                  std::function<void(const Interval&)> on_interval);
  IntervalMonitor(const IntervalMonitor&) = delete;
  IntervalMonitor& operator=(const IntervalMonitor&) = delete;
  ~IntervalMonitor();

  // stop(): records the last, partial interval, ends the thread, and returns
  // every interval. Call once, after the run's fibers are done.
  std::vector<Interval> stop();

 private:
  struct Reading {
    std::chrono::steady_clock::time_point at;
    std::uint64_t received = 0;
    std::vector<std::uint64_t> latency_counts;
  };
  Reading read() const;
  void record(const Reading& now);
  void loop();

  const std::chrono::milliseconds every_;
  const std::span<const ConsumerProgress> progress_;
  const std::span<const Histogram> latency_;
  const std::function<void(const Interval&)> on_interval_;
  const std::chrono::steady_clock::time_point start_;
  Reading last_;
  std::vector<Interval> intervals_;  // written by the monitor's thread until stop() joins it
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mutex_
  std::thread thread_;     // last: starts once everything above is set
};

}  // namespace tmpmc::scenarios
