// bench_runtime.cpp: the runtime against Boost.Fiber, in the same binary so
// that the ratio holds on a noisy machine.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "backends/boost_pool.h"
#include "tmpmc/runtime/notify.h"
#include "tmpmc/runtime/pacing.h"
#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/histogram.h"

namespace tmpmc::bench {

using scenarios::backends::run_on_boost;
namespace {

namespace rt = tmpmc::runtime;

rt::Runtime make_runtime(unsigned workers) {
  rt::Options options;
  options.workers = workers;
  return rt::Runtime(options);
}

// Each iteration is one yield of the measured fiber: two switches (there and back).
void set_switch_counter(benchmark::State& state) {
  state.counters["per_switch"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The measured loops, written once for both runtimes: `spawn` starts a fiber
// and returns something with join(); `yield` gives up the worker.
template <class Spawn, class Yield>
void yield_loop(benchmark::State& state, Spawn spawn, Yield yield) {
  std::atomic<bool> stop{false};
  auto partner = spawn([&] {
    while (!stop.load(std::memory_order_relaxed)) yield();
  });
  for (auto _ : state) yield();
  stop.store(true);
  partner.join();
}

template <class NotifyType, class Spawn>
void notify_ping_pong(benchmark::State& state, Spawn spawn) {
  NotifyType ping, pong;
  std::atomic<bool> stop{false};
  auto ponger = spawn([&] {
    for (;;) {
      ping.wait();
      if (stop.load(std::memory_order_relaxed)) return;
      pong.notify_one();
    }
  });
  for (auto _ : state) {
    ping.notify_one();
    pong.wait();
  }
  stop.store(true);
  ping.notify_one();
  ponger.join();
}

const auto tmpmc_spawn = [](auto fn) { return rt::spawn(std::move(fn)); };
const auto boost_spawn = [](auto fn) { return boost::fibers::fiber(std::move(fn)); };

void BM_Yield_tmpmc(benchmark::State& state) {
  rt::Runtime runtime = make_runtime(1);
  runtime.block_on([&] { yield_loop(state, tmpmc_spawn, [] { rt::this_fiber::yield(); }); });
  set_switch_counter(state);
}

void BM_Yield_boost(benchmark::State& state) {
  run_on_boost(1, [&] { yield_loop(state, boost_spawn, [] { boost::this_fiber::yield(); }); });
  set_switch_counter(state);
}

void BM_SpawnJoin_tmpmc(benchmark::State& state) {
  rt::Runtime runtime = make_runtime(1);
  runtime.block_on([&] {
    for (auto _ : state) rt::spawn([] {}).join();
  });
}

void BM_SpawnJoin_boost(benchmark::State& state) {
  run_on_boost(1, [&] {
    for (auto _ : state) boost::fibers::fiber([] {}).join();
  });
}

void BM_NotifyPingPong_tmpmc(benchmark::State& state, unsigned workers) {
  rt::Runtime runtime = make_runtime(workers);
  runtime.block_on([&] { notify_ping_pong<rt::Notify>(state, tmpmc_spawn); });
}

// Boost.Fiber has no Notify: the equivalent is a flag guarded by a mutex and
// a condition_variable, one per direction.
struct BoostNotify {
  boost::fibers::mutex mu;
  boost::fibers::condition_variable cv;
  bool permit = false;
  void notify_one() {
    {
      std::unique_lock lock(mu);
      permit = true;
    }
    cv.notify_one();
  }
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return permit; });
    permit = false;
  }
};

void BM_NotifyPingPong_boost(benchmark::State& state, int workers) {
  run_on_boost(workers, [&] { notify_ping_pong<BoostNotify>(state, boost_spawn); });
}

// BM_TimerLateness: a fiber sleeping until deadlines 100 us apart (an
// open-loop producer's pace), each iteration one sleep; counters: how late
// it resumed, p50 and p99 (ns). `sleep_until` is the runtime's own sleep.
constexpr auto kTimerPeriod = std::chrono::microseconds(100);

template <class SleepUntil>
void timer_lateness(benchmark::State& state, SleepUntil sleep_until) {
  scenarios::Histogram lateness;
  rt::TimePoint due = rt::Clock::now();
  for (auto _ : state) {
    due += kTimerPeriod;
    sleep_until(due);
    lateness.record(static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, std::chrono::nanoseconds(rt::Clock::now() - due).count())));
  }
  state.counters["p50_ns"] = static_cast<double>(lateness.percentile(50));
  state.counters["p99_ns"] = static_cast<double>(lateness.percentile(99));
}

// timer_spin_us: the runtime's spin horizon (0: the kernel wakes the worker).
void BM_TimerLateness_tmpmc(benchmark::State& state, int timer_spin_us) {
  rt::Options options;
  options.workers = 1;
  options.timer_spin = std::chrono::microseconds(timer_spin_us);
  rt::Runtime runtime(options);
  runtime.block_on(
      [&] { timer_lateness(state, [](rt::TimePoint t) { rt::this_fiber::sleep_until(t); }); });
}

// Boost.Fiber's own sleep (on a thread with 1 ns of timer slack, as the
// runtime's workers have), and paced as the tool's boost-fiber backend paces
// open-loop producers: its sleep to the horizon, then yields.
void BM_TimerLateness_boost(benchmark::State& state, bool paced) {
  run_on_boost(1, [&] {
    timer_lateness(state, [paced](rt::TimePoint t) {
      if (paced) {
        rt::pace_until(
            t, rt::kDefaultTimerSpin,
            [](rt::TimePoint wake) { boost::this_fiber::sleep_until(wake); },
            [] { boost::this_fiber::yield(); });
      } else {
        boost::this_fiber::sleep_until(t);
      }
    });
  });
}

[[maybe_unused]] const bool registered = [] {
  benchmark::RegisterBenchmark("BM_TimerLateness/tmpmc", BM_TimerLateness_tmpmc,
                               static_cast<int>(rt::kDefaultTimerSpin.count()))
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_TimerLateness/boost_fiber", BM_TimerLateness_boost, false)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_TimerLateness/tmpmc/timer_spin_us:0", BM_TimerLateness_tmpmc, 0)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_TimerLateness/boost_fiber/paced", BM_TimerLateness_boost, true)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_Yield/tmpmc", BM_Yield_tmpmc)->UseRealTime();
  benchmark::RegisterBenchmark("BM_Yield/boost_fiber", BM_Yield_boost)->UseRealTime();
  benchmark::RegisterBenchmark("BM_SpawnJoin/tmpmc", BM_SpawnJoin_tmpmc)->UseRealTime();
  benchmark::RegisterBenchmark("BM_SpawnJoin/boost_fiber", BM_SpawnJoin_boost)->UseRealTime();
  for (int workers : {1, 2}) {
    const std::string suffix = "/workers:" + std::to_string(workers);
    benchmark::RegisterBenchmark(("BM_NotifyPingPong/tmpmc" + suffix).c_str(),
                                 BM_NotifyPingPong_tmpmc, static_cast<unsigned>(workers))
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_NotifyPingPong/boost_fiber" + suffix).c_str(),
                                 BM_NotifyPingPong_boost, workers)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace tmpmc::bench
