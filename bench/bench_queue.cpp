// bench_queue.cpp: Queue<T> against boost::fibers::buffered_channel, in the
// same binary. Boost.Fiber's channel needs a power-of-two capacity >= 2 (and
// holds one less than that): its capacity is rounded up, and the label says so.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <boost/fiber/all.hpp>
#include <cstdint>
#include <span>
#include <string>
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

template <class Body>
void on_tmpmc(unsigned workers, Body&& body) {
  rt::Options options;
  options.workers = workers;
  rt::Runtime runtime(options);
  runtime.block_on(std::forward<Body>(body));
}

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

void BM_PingPong_tmpmc(benchmark::State& state, unsigned workers) {
  on_tmpmc(workers, [&] {
    Queue<Item> ping(1), pong(1);
    auto ponger = rt::spawn([ping, pong]() mutable {
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
  });
}

void BM_PingPong_boost(benchmark::State& state, int workers) {
  run_on_boost(workers, [&] {
    BoostChannel ping(boost_capacity(1)), pong(boost_capacity(1));
    boost::fibers::fiber ponger([&] {
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
    ponger.join();
  });
  label_boost(state, 1);
}

// ---------------------------------------------------------------- streams: SPSC and MPMC

// Each iteration moves kStreamItems from `producers` to `consumers` fibers.
void BM_Stream_tmpmc(benchmark::State& state, int producers, int consumers, std::size_t capacity,
                     unsigned workers) {
  on_tmpmc(workers, [&] {
    for (auto _ : state) {
      Queue<Item> q(capacity);
      std::vector<rt::JoinHandle<void>> fibers;
      for (int c = 0; c < consumers; ++c) {
        fibers.push_back(rt::spawn([q]() mutable {
          Item sum = 0;
          while (auto v = q.receive()) sum += *v;
          benchmark::DoNotOptimize(sum);
        }));
      }
      std::vector<rt::JoinHandle<void>> senders;
      for (int p = 0; p < producers; ++p) {
        senders.push_back(rt::spawn([q, p, producers]() mutable {
          for (Item i = p; i < kStreamItems; i += producers) (void)q.send(i);
        }));
      }
      for (auto& s : senders) s.join();
      q.close();
      for (auto& f : fibers) f.join();
    }
  });
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
                     int workers) {
  run_on_boost(workers, [&] {
    for (auto _ : state) {
      BoostChannel ch(boost_capacity(capacity));
      std::vector<boost::fibers::fiber> fibers;
      for (int c = 0; c < consumers; ++c) {
        fibers.emplace_back([&ch] {
          Item sum = 0, v;
          while (ch.pop(v) == boost::fibers::channel_op_status::success) sum += v;
          benchmark::DoNotOptimize(sum);
        });
      }
      std::vector<boost::fibers::fiber> senders;
      for (int p = 0; p < producers; ++p) {
        senders.emplace_back([&ch, p, producers] {
          for (Item i = p; i < kStreamItems; i += producers) ch.push(i);
        });
      }
      for (auto& s : senders) s.join();
      ch.close();
      for (auto& f : fibers) f.join();
    }
  });
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStreamItems));
  label_boost(state, capacity);
}

[[maybe_unused]] const bool registered = [] {
  benchmark::RegisterBenchmark("BM_SendReceive/tmpmc", BM_SendReceive_tmpmc)->UseRealTime();
  benchmark::RegisterBenchmark("BM_SendReceive/boost_fiber", BM_SendReceive_boost)->UseRealTime();
  for (int workers : {1, 2}) {
    const std::string w = "/workers:" + std::to_string(workers);
    benchmark::RegisterBenchmark(("BM_PingPong/tmpmc" + w).c_str(), BM_PingPong_tmpmc,
                                 static_cast<unsigned>(workers))
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_PingPong/boost_fiber" + w).c_str(), BM_PingPong_boost,
                                 workers)
        ->UseRealTime();
  }
  for (int workers : {1, 2}) {
    const std::string w = "/cap:1024/workers:" + std::to_string(workers);
    benchmark::RegisterBenchmark(("BM_Spsc/tmpmc" + w).c_str(), BM_Stream_tmpmc, 1, 1, 1024,
                                 static_cast<unsigned>(workers))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Spsc/boost_fiber" + w).c_str(), BM_Stream_boost, 1, 1, 1024,
                                 workers)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_Mpmc/tmpmc/p:4/c:4/cap:1024/workers:1", BM_Stream_tmpmc, 4, 4,
                               1024, 1u)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Mpmc/boost_fiber/p:4/c:4/cap:1024/workers:1", BM_Stream_boost, 4,
                               4, 1024, 1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Mpmc/tmpmc/p:4/c:4/cap:1024/workers:2", BM_Stream_tmpmc, 4, 4,
                               1024, 2u)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Mpmc/boost_fiber/p:4/c:4/cap:1024/workers:2", BM_Stream_boost, 4,
                               4, 1024, 2)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
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
