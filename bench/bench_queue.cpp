// bench_queue.cpp: Queue<T> against boost::fibers::buffered_channel, in the
// same binary. Boost.Fiber's channel needs a power-of-two capacity >= 2 (and
// holds one less than that): its capacity is rounded up, and the label says so.
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <boost/fiber/all.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "backends/boost_pool.h"
#include "tmpmc/queue/queue.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::bench {

using scenarios::backends::run_on_boost;
namespace {

namespace rt = tmpmc::runtime;
using Item = std::uint64_t;
using BoostChannel = boost::fibers::buffered_channel<Item>;

constexpr std::size_t kStreamItems = 1'000'000;

std::size_t boost_capacity(std::size_t capacity) {
  return std::bit_ceil(std::max<std::size_t>(capacity, 2));
}
void label_boost(benchmark::State& state, std::size_t asked) {
  state.SetLabel("buffered_channel capacity " + std::to_string(boost_capacity(asked)) + " (asked " +
                 std::to_string(asked) + ", rounded up to a power of two >= 2)");
}

// Where a benchmark's fibers run: local (each where it is spawned, moved
// only by a steal) or spread (runtime.placement spread: producer p on
// worker p mod 2, consumer c on worker (c + 1) mod 2, pinned; the main
// fiber on worker 0), so that every message crosses cores.
enum class Placement { local, spread };

unsigned producer_worker(int p) { return static_cast<unsigned>(p) % 2; }
unsigned consumer_worker(int c) { return static_cast<unsigned>(c + 1) % 2; }

// on_tmpmc(): body as the main fiber of a runtime with `workers` workers.
template <class Body>
void on_tmpmc(unsigned workers, Body&& body, Placement placement = Placement::local) {
  rt::Options options;
  options.workers = workers;
  rt::Runtime runtime(options);
  runtime.block_on([&] {
    if (placement == Placement::spread) {
      rt::spawn_pinned(0, "main", body).join();
    } else {
      body();
    }
  });
}

// start_tmpmc(): a fiber of the benchmark, pinned to `worker` under spread.
template <class F>
rt::JoinHandle<void> start_tmpmc(Placement placement, unsigned worker, F&& f) {
  if (placement == Placement::spread) return rt::spawn_pinned(worker, "", std::forward<F>(f));
  return rt::spawn(std::forward<F>(f));
}

// BoostTasks: Boost.Fiber fibers started on the benchmark's threads, local
// (on the caller's thread, for shared_work to share) or spread (each on its
// thread: start_on_boost_thread). A fiber started on another thread is
// joined by that thread, so wait() waits for a count instead.
class BoostTasks {
 public:
  explicit BoostTasks(Placement placement) : placement_(placement) {}
  template <class F>
  void start(unsigned thread, F&& f) {
    {
      std::lock_guard lock(mutex_);
      ++running_;
    }
    auto task = [this, f = std::forward<F>(f)]() mutable {
      f();
      std::lock_guard lock(mutex_);
      if (--running_ == 0) done_.notify_all();
    };
    if (placement_ == Placement::spread) {
      boost::fibers::fiber fiber =
          scenarios::backends::start_on_boost_thread(thread, std::move(task));
      if (fiber.joinable()) local_.push_back(std::move(fiber));
    } else {
      local_.emplace_back(std::move(task));
    }
  }
  // wait(): every fiber started so far has ended.
  void wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return running_ == 0; });
    lock.unlock();
    for (auto& fiber : local_) fiber.join();
    local_.clear();
  }

 private:
  const Placement placement_;
  boost::fibers::mutex mutex_;
  boost::fibers::condition_variable done_;
  unsigned running_ = 0;
  std::vector<boost::fibers::fiber> local_;
};

// ---------------------------------------------------------------- send then receive, never parks

void BM_SendReceive_tmpmc(benchmark::State& state) {
  on_tmpmc(1, [&] {
    Queue<Item> q(1);
    Item i = 0;
    for (auto _ : state) {
      (void)q.send(i++);
      // Consume the value, as Boost.Fiber's side does. DoNotOptimize on the
      // whole std::optional made GCC copy it with a 16-byte load of the two
      // narrow stores that had just built it: a store-forwarding stall that
      // doubled the measured time and was no part of the queue.
      auto received = q.receive();
      benchmark::DoNotOptimize(*received);
    }
  });
}

void BM_SendReceive_boost(benchmark::State& state) {
  run_on_boost(1, [&] {
    BoostChannel ch(boost_capacity(1));
    Item i = 0, out = 0;
    for (auto _ : state) {
      ch.push(i++);
      ch.pop(out);
      benchmark::DoNotOptimize(out);
    }
  });
  label_boost(state, 1);
}

// ---------------------------------------------------------------- ping-pong, capacity 1

void BM_PingPong_tmpmc(benchmark::State& state, unsigned workers, Placement placement) {
  on_tmpmc(
      workers,
      [&] {
        Queue<Item> ping(1), pong(1);
        auto ponger = start_tmpmc(placement, 1, [ping, pong]() mutable {
          while (auto v = ping.receive()) (void)pong.send(*v);
        });
        Item i = 0;
        for (auto _ : state) {
          (void)ping.send(i++);
          auto received = pong.receive();  // the value, as in BM_SendReceive
          benchmark::DoNotOptimize(*received);
        }
        ping.close();
        ponger.join();
      },
      placement);
}

void BM_PingPong_boost(benchmark::State& state, int workers, Placement placement) {
  run_on_boost(
      workers,
      [&] {
        BoostChannel ping(boost_capacity(1)), pong(boost_capacity(1));
        BoostTasks ponger(placement);
        ponger.start(1, [&] {
          Item v;
          while (ping.pop(v) == boost::fibers::channel_op_status::success) pong.push(v);
        });
        Item i = 0, out = 0;
        for (auto _ : state) {
          ping.push(i++);
          pong.pop(out);
          benchmark::DoNotOptimize(out);
        }
        ping.close();
        ponger.wait();
      },
      placement == Placement::spread);
  label_boost(state, 1);
}

// BM_CrossCoreFloor: what a ping-pong between two cores cannot beat, with
// no queue and no scheduler: two threads (pinned to CPUs 0 and 1 when the
// machine has them) hand a counter back and forth through one cache line
// each way. The pinger stores `ping` and wakes the ponger with FUTEX_WAKE;
// the ponger parks on `ping` with FUTEX_WAIT and answers on `pong`, which
// the pinger spins on. A round trip is two cross-core line transfers, one
// park and one wake: the floor that BM_PingPong/.../spread is quoted against.
void BM_CrossCoreFloor(benchmark::State& state) {
  alignas(64) std::atomic<std::uint32_t> ping{0};
  alignas(64) std::atomic<std::uint32_t> pong{0};
  const auto futex = [](std::atomic<std::uint32_t>& word, int op, std::uint32_t value) {
    // The futex syscall on the atomic's own word (std::atomic<uint32_t> is
    // a plain 32-bit word: static_assert below).
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, nullptr, nullptr,
                   0);
  };
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  constexpr std::uint32_t kStop = 0xffff'ffff;
  const auto pin = [](int cpu) {
    if (std::thread::hardware_concurrency() < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  };
  std::thread ponger([&] {
    pin(1);
    std::uint32_t seen = 0;
    for (;;) {
      std::uint32_t now = ping.load(std::memory_order_acquire);
      while (now == seen) {
        futex(ping, FUTEX_WAIT_PRIVATE, seen);  // PARK until ping changes
        now = ping.load(std::memory_order_acquire);
      }
      if (now == kStop) return;
      seen = now;
      pong.store(now, std::memory_order_release);
    }
  });
  pin(0);
  std::uint32_t i = 0;
  for (auto _ : state) {
    ++i;
    ping.store(i, std::memory_order_release);
    futex(ping, FUTEX_WAKE_PRIVATE, 1);  // WAKE, whether or not it has parked yet
    while (pong.load(std::memory_order_acquire) != i) {
    }
  }
  ping.store(kStop, std::memory_order_release);
  futex(ping, FUTEX_WAKE_PRIVATE, 1);
  ponger.join();
  {
    cpu_set_t all;
    CPU_ZERO(&all);
    for (unsigned cpu = 0; cpu < std::thread::hardware_concurrency(); ++cpu) CPU_SET(cpu, &all);
    pthread_setaffinity_np(pthread_self(), sizeof all, &all);
  }
}

// ---------------------------------------------------------------- streams: SPSC and MPMC

// Each iteration moves kStreamItems from `producers` to `consumers` fibers.
void BM_Stream_tmpmc(benchmark::State& state, int producers, int consumers, std::size_t capacity,
                     unsigned workers, Placement placement) {
  on_tmpmc(
      workers,
      [&] {
        for (auto _ : state) {
          Queue<Item> q(capacity);
          std::vector<rt::JoinHandle<void>> fibers;
          for (int c = 0; c < consumers; ++c) {
            fibers.push_back(start_tmpmc(placement, consumer_worker(c), [q]() mutable {
              Item sum = 0;
              while (auto v = q.receive()) sum += *v;
              benchmark::DoNotOptimize(sum);
            }));
          }
          std::vector<rt::JoinHandle<void>> senders;
          for (int p = 0; p < producers; ++p) {
            senders.push_back(
                start_tmpmc(placement, producer_worker(p), [q, p, producers]() mutable {
                  for (Item i = p; i < kStreamItems; i += producers) (void)q.send(i);
                }));
          }
          for (auto& s : senders) s.join();
          q.close();
          for (auto& f : fibers) f.join();
        }
      },
      placement);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStreamItems));
}

// The same stream moved `batch` values at a time: producers send_many a
// buffer of their next `batch` values, consumers receive_many up to `batch`.
void BM_StreamBatch_tmpmc(benchmark::State& state, int producers, int consumers,
                          std::size_t capacity, unsigned workers, std::size_t batch) {
  on_tmpmc(workers, [&] {
    for (auto _ : state) {
      Queue<Item> q(capacity);
      std::vector<rt::JoinHandle<void>> fibers;
      for (int c = 0; c < consumers; ++c) {
        fibers.push_back(rt::spawn([q, batch]() mutable {
          std::vector<Item> buffer(batch);
          Item sum = 0;
          while (const std::size_t got = q.receive_many(buffer)) {
            for (std::size_t k = 0; k < got; ++k) sum += buffer[k];
          }
          benchmark::DoNotOptimize(sum);
        }));
      }
      std::vector<rt::JoinHandle<void>> senders;
      for (int p = 0; p < producers; ++p) {
        senders.push_back(rt::spawn([q, p, producers, batch]() mutable {
          // Locals, not the captures: a store to the buffer (Item is a
          // size_t) may alias `batch`, which would be reloaded per value.
          const std::size_t size = batch;
          const Item step = static_cast<Item>(producers);
          std::vector<Item> buffer(size);
          for (Item i = static_cast<Item>(p); i < kStreamItems;) {
            // The count first, then a loop with one bound: checking both
            // bounds per value cost 9 instructions a value (callgrind,
            // scripts/profile-hot-path), more than the queue's own copy.
            const std::size_t n = std::min<std::size_t>(size, (kStreamItems - i + step - 1) / step);
            for (std::size_t k = 0; k < n; ++k, i += step) buffer[k] = i;
            (void)q.send_many(std::span<Item>(buffer.data(), n));
          }
        }));
      }
      for (auto& s : senders) s.join();
      q.close();
      for (auto& f : fibers) f.join();
    }
  });
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStreamItems));
}

void BM_Stream_boost(benchmark::State& state, int producers, int consumers, std::size_t capacity,
                     int workers, Placement placement) {
  run_on_boost(
      workers,
      [&] {
        for (auto _ : state) {
          BoostChannel ch(boost_capacity(capacity));
          BoostTasks fibers(placement), senders(placement);
          for (int c = 0; c < consumers; ++c) {
            fibers.start(consumer_worker(c), [&ch] {
              Item sum = 0, v;
              while (ch.pop(v) == boost::fibers::channel_op_status::success) sum += v;
              benchmark::DoNotOptimize(sum);
            });
          }
          for (int p = 0; p < producers; ++p) {
            senders.start(producer_worker(p), [&ch, p, producers] {
              for (Item i = p; i < kStreamItems; i += producers) ch.push(i);
            });
          }
          senders.wait();
          ch.close();
          fibers.wait();
        }
      },
      placement == Placement::spread);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStreamItems));
  label_boost(state, capacity);
}

[[maybe_unused]] const bool registered = [] {
  benchmark::RegisterBenchmark("BM_SendReceive/tmpmc", BM_SendReceive_tmpmc)->UseRealTime();
  benchmark::RegisterBenchmark("BM_SendReceive/boost_fiber", BM_SendReceive_boost)->UseRealTime();
  // workers:1, workers:2 (local) and workers:2/spread, the cross-core gauge.
  struct Shape {
    int workers;
    Placement placement;
    std::string suffix;
  };
  const Shape shapes[] = {{1, Placement::local, "/workers:1"},
                          {2, Placement::local, "/workers:2"},
                          {2, Placement::spread, "/workers:2/spread"}};
  for (const Shape& shape : shapes) {
    benchmark::RegisterBenchmark(("BM_PingPong/tmpmc" + shape.suffix).c_str(), BM_PingPong_tmpmc,
                                 static_cast<unsigned>(shape.workers), shape.placement)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_PingPong/boost_fiber" + shape.suffix).c_str(),
                                 BM_PingPong_boost, shape.workers, shape.placement)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_CrossCoreFloor", BM_CrossCoreFloor)->UseRealTime();
  for (const Shape& shape : shapes) {
    const std::string w = "/cap:1024" + shape.suffix;
    benchmark::RegisterBenchmark(("BM_Spsc/tmpmc" + w).c_str(), BM_Stream_tmpmc, 1, 1, 1024,
                                 static_cast<unsigned>(shape.workers), shape.placement)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Spsc/boost_fiber" + w).c_str(), BM_Stream_boost, 1, 1, 1024,
                                 shape.workers, shape.placement)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (const Shape& shape : shapes) {
    const std::string w = "/p:4/c:4/cap:1024" + shape.suffix;
    benchmark::RegisterBenchmark(("BM_Mpmc/tmpmc" + w).c_str(), BM_Stream_tmpmc, 4, 4, 1024,
                                 static_cast<unsigned>(shape.workers), shape.placement)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Mpmc/boost_fiber" + w).c_str(), BM_Stream_boost, 4, 4, 1024,
                                 shape.workers, shape.placement)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (std::size_t batch : {1, 8, 32, 128}) {
    const std::string b = "/batch:" + std::to_string(batch);
    benchmark::RegisterBenchmark(("BM_SpscBatch/tmpmc" + b).c_str(), BM_StreamBatch_tmpmc, 1, 1,
                                 1024, 1u, batch)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_MpmcBatch/tmpmc/p:4/c:4" + b).c_str(), BM_StreamBatch_tmpmc,
                                 4, 4, 1024, 1u, batch)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace tmpmc::bench
