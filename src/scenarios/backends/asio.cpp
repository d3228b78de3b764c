// asio.cpp: scenarios on Asio's experimental concurrent_channel (Boost 1.81's
// Asio 1.26), producers and consumers as C++20 coroutines on one io_context
// run by runtime.workers threads: the async channel of the most used C++
// networking library, used as its documentation shows.
//
// Two impls, one close each:
//   asio          Asio's close(), at the moment the scenario asks for it. In
//                 Asio 1.26 that makes the values still buffered
//                 unreceivable (a receive completes with channel_closed) and
//                 leaves senders parked on a full channel parked (only
//                 cancel() completes them): the checker reports the first as
//                 lost, the second as a hang.
//   asio-drained  the protocol an Asio user has to write by hand to lose
//                 nothing (AsioQueue below): a close request refuses
//                 further sends, and Asio's close() runs only once every
//                 value sent has been received.
// Neither has timed operations (the registry refuses such configs): Asio's
// channels have none, and a timer racing each operation would measure the
// race as much as the channel.
#include "backends/backends.h"

namespace tmpmc::scenarios::backends {
std::string asio_note(const ScenarioConfig&) {
  return "Asio's close(): values still buffered are not received (lost), senders parked on a "
         "full channel stay parked (a hang)";
}
std::string asio_drained_note(const ScenarioConfig&) {
  return "closed by hand: a close refuses new sends, and Asio's close() runs once every value "
         "sent was received";
}
}  // namespace tmpmc::scenarios::backends

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds leave Asio out: GCC refuses the std::atomic_thread_fence
// calls in Asio's headers under -fsanitize=thread (-Wtsan, an error with -Werror).
namespace tmpmc::scenarios::backends {
namespace {
RunResult not_in_tsan(const char* impl) {
  RunResult result;
  result.error = std::string("queue.impl \"") + impl +
                 "\" is not available in a ThreadSanitizer build (GCC rejects Asio's fences under "
                 "-fsanitize=thread)";
  return result;
}
}  // namespace
RunResult run_asio(const ScenarioConfig&, const DriverOptions&) { return not_in_tsan("asio"); }
RunResult run_asio_drained(const ScenarioConfig&, const DriverOptions&) {
  return not_in_tsan("asio-drained");
}
}  // namespace tmpmc::scenarios::backends
#else
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backends/runtime_executor.h"
#include "driver_loops.h"
#include "open_loop_pacer.h"
#include "tmpmc/runtime/pacing.h"

namespace tmpmc::scenarios::backends {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using loops::Message;
using loops::Recording;
using loops::RunState;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);  // errors as values, not throws

// AsioQueue: the channel, and close() as the impl maps the scenario's close
// (RunState::close calls it).
//
// asio-drained's close: a close request is answered by Asio's close() only
// once nothing is buffered and nothing is on its way: every send that
// started before the request has completed, and every value sent has been
// received. Each event that can make that true (the request, a send
// completing, a receive) checks it afterwards, so the last one closes. All
// seq_cst: a sender counts itself in in_flight_ and then reads asked_, the
// request sets asked_ and then reads in_flight_; weaker orders would let
// both miss the other, and the channel close with a value still arriving.
template <class M, bool Drained>
class AsioQueue {
 public:
  using Channel = asio::experimental::concurrent_channel<void(error_code, M)>;

  AsioQueue(asio::io_context& io, std::size_t capacity) : channel_(io.get_executor(), capacity) {}

  Channel& channel() noexcept { return channel_; }
  bool close() {
    if constexpr (Drained) {
      asked_.store(true);
      close_if_drained();
    } else {
      channel_.close();
    }
    return true;
  }
  // release(): after a hang, whatever the impl: Asio's close(), and cancel(),
  // the only call that completes senders parked on a full channel.
  void release() {
    channel_.close();
    channel_.cancel();
  }

  // The drained protocol's events (asio-drained only).
  // begin_send(): false once a close was asked for (the send is refused).
  bool begin_send() {
    in_flight_.fetch_add(1);
    if (!asked_.load()) return true;
    end_send(false);
    return false;
  }
  void end_send(bool delivered) {
    if (delivered) sent_.fetch_add(1);
    in_flight_.fetch_sub(1);
    close_if_drained();
  }
  void received() {
    received_.fetch_add(1);
    close_if_drained();
  }

 private:
  void close_if_drained() {
    // in_flight_ first: once it reads 0 after the request, sent_ is final.
    if (!asked_.load() || in_flight_.load() != 0) return;
    if (sent_.load() != received_.load()) return;
    if (!closed_.exchange(true)) channel_.close();
  }

  Channel channel_;
  std::atomic<bool> asked_{false}, closed_{false};
  std::atomic<std::uint64_t> in_flight_{0}, sent_{0}, received_{0};
};

// produce(): one producer's loop, driver_fiber_loops.h's produce() as a
// coroutine: the same quota, pacing, stamps and log, with every send a
// co_await that parks the coroutine (not its thread) while the channel is full.
template <unsigned PayloadBytes, Recording R, bool Faults, bool Drained>
asio::awaitable<void> produce(RunState& s, AsioQueue<Message<PayloadBytes>, Drained>& q,
                              std::uint32_t id) {
  using M = Message<PayloadBytes>;
  const ScenarioConfig& c = s.config;
  ProducerLog& log = s.producer_logs[id];
  const bool open_loop = c.producers.rate_per_sec > 0;
  const std::uint64_t sample_every = open_loop ? 1 : c.latency_sample_every;
  const bool close_by_me = c.close.when == CloseWhen::by_producer;
  const std::uint64_t work_ns = c.producers.work_ns;
  const std::uint64_t quota = loops::producer_quota(c, id);
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  std::optional<loops::OpenLoopPacer> pacer;
  if (open_loop) pacer.emplace(c, std::chrono::steady_clock::now(), s.lateness[id]);
  const M prototype{};
  std::uint64_t until_sample = 1;
  for (std::uint64_t seq = 0; seq < quota; ++seq) {
    // As in driver_fiber_loops.h: the clock once per 64 closed-loop sends,
    // before each open-loop one.
    if (open_loop || (seq & 63) == 0) {
      if (s.interrupted()) break;
      if (c.duration_ms && std::chrono::steady_clock::now() >= s.end_time) break;
    }
    std::uint64_t intended = 0, sent = 0;
    if (open_loop) {
      // The timer parks the coroutine until the spin horizon before due; then
      // it waits awake, each post() letting the io_context run other handlers
      // first (runtime/pacing.h: the runtime's workers wait the same way).
      // A send due after the run's end is not made: the run waits for its end.
      const auto due = pacer->due(seq);
      const bool past_end = c.duration_ms && due >= s.end_time;
      const auto until = past_end ? s.end_time : due;
      const auto wake = until - pacer->horizon();
      if (std::chrono::steady_clock::now() < wake) {
        timer.expires_at(wake);
        co_await timer.async_wait(kAwait);
      }
      while (std::chrono::steady_clock::now() < until) co_await asio::post(executor, kAwait);
      if (past_end) break;
      const auto stamps = pacer->stamp(due, std::chrono::steady_clock::now(), s.clock);
      intended = stamps.intended;
      sent = stamps.sent;
    }
    busy_work(s.clock, work_ns);
    if constexpr (R != Recording::off) {
      if (!open_loop && --until_sample == 0) {
        until_sample = sample_every;
        sent = intended = s.clock.now();
      }
    }
    const std::uint64_t packed = (std::uint64_t{id} << ConsumerLog::kSeqBits) | seq;
    if constexpr (Drained) {
      if (!q.begin_send()) {  // a close was asked for: refused, as by a closed queue
        ++log.attempted;
        log.refused_closed.push_back(seq);
        break;
      }
    }
    // Parks here while the channel is full; completes with an error once it
    // is closed (or, after a hang, cancelled). A refused value is gone:
    // Asio does not hand it back.
    auto [ec] = co_await q.channel().async_send(
        error_code{}, M{packed, intended, sent, prototype.payload}, kAwait);
    if constexpr (Drained) q.end_send(!ec);
    ++log.attempted;
    if (ec) {
      log.refused_closed.push_back(seq);
      break;
    }
    if constexpr (Faults) {
      if (close_by_me) loops::count_for_close(s, q);
    }
  }
}

// consume(): one consumer's loop, as driver_fiber_loops.h's consume().
template <unsigned PayloadBytes, Recording R, bool Faults, bool Drained>
asio::awaitable<void> consume(RunState& s, AsioQueue<Message<PayloadBytes>, Drained>& q,
                              std::uint32_t id) {
  const ScenarioConfig& c = s.config;
  auto& record = s.consumer_record<R>(id);
  Histogram& latency = s.histograms[id];
  ConsumerProgress& progress = s.progress[id];
  const loops::ConsumerConstants k{c.consumers.work_ns, c.close.when == CloseWhen::after_received,
                                   c.close.messages};
  const std::uint64_t quota = Faults ? loops::consumer_quota(c, id) : ~std::uint64_t{0};
  for (std::uint64_t received = 0; received < quota; ++received) {
    // Parks here while the channel is empty; an error once it is closed,
    // which in Asio 1.26 may leave values in the buffer.
    auto [ec, m] = co_await q.channel().async_receive(kAwait);
    if (ec) {
      loops::saw_closed(s, q);
      co_return;
    }
    if constexpr (Drained) q.received();
    loops::consumed<PayloadBytes, R>(s, k, m, record, latency, progress, &q);
  }
}

// Tasks: the run's coroutines, each awaited with a deadline by the
// coordinator (which runs outside the io_context, on the calling thread).
class Tasks {
 public:
  explicit Tasks(std::size_t count) : done_(count, 0) {}
  // finished(): task i ended, with `error` if it threw.
  void finished(std::size_t i, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    done_[i] = 1;
    if (error && !error_) error_ = std::move(error);
    changed_.notify_all();
  }
  // not_done(): the tasks in [first, last) still running at `deadline`.
  std::vector<std::size_t> not_done(std::size_t first, std::size_t last,
                                    runtime::TimePoint deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] {
      for (std::size_t i = first; i < last; ++i)
        if (!done_[i]) return false;
      return true;
    });
    std::vector<std::size_t> running;
    for (std::size_t i = first; i < last; ++i)
      if (!done_[i]) running.push_back(i);
    return running;
  }
  void rethrow() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<char> done_;  // not vector<bool>: neighbouring flags share no bits
  std::exception_ptr error_;
};

// IoThreads: the threads that run a run's io_context. A thread that fails to
// start (std::system_error) or an error thrown before join() stops the
// io_context and joins those already running as the error leaves run():
// destroying a joinable std::thread would call std::terminate instead.
class IoThreads {
 public:
  IoThreads(asio::io_context& io, unsigned count) : io_(io) {
    threads_.reserve(count);
    try {
      for (unsigned w = 0; w < count; ++w) {
        threads_.emplace_back([&io] {
          const runtime::TimerSlack slack;  // its timers fire on time (pacing.h)
          io.run();
        });
      }
    } catch (...) {
      // The destructor does not run for an object whose constructor threw.
      io_.stop();
      join();
      throw;
    }
  }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;
  ~IoThreads() {
    if (threads_.empty()) return;
    io_.stop();
    join();
  }
  // join(): the normal end; every task has finished or io_context was stopped.
  void join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  asio::io_context& io_;
  std::vector<std::thread> threads_;
};

// AsioExecutor: the executor run_with_payload() sets up. The coordinator runs
// on the calling thread; the run's io_context and its threads live in run().
class AsioExecutor {
 public:
  AsioExecutor(const ScenarioConfig& c, const DriverOptions&, const TraceState&)
      : timeout_(c.hang_after()) {}
  template <class F>
  void block_on(F&& root) {
    deadline_ = now() + timeout_;
    std::forward<F>(root)();
  }
  static runtime::TimePoint now() { return std::chrono::steady_clock::now(); }
  runtime::TimePoint deadline() const { return deadline_; }
  // A deadline far enough away to let a released channel end every task.
  void extend_deadline() { deadline_ = now() + timeout_; }
  void finish(RunResult&) const {}

 private:
  std::chrono::milliseconds timeout_;
  runtime::TimePoint deadline_{};
};

template <bool Drained>
struct AsioBackend {
  using Executor = AsioExecutor;

  // run(): the whole run (driver_loops.h's run_tasks() hook): tasks, close
  // timing and deadlines as run_fibers() has them.
  template <unsigned PayloadBytes, Recording R, bool Faults>
  static void run(AsioExecutor& ex, RunState& s) {
    using M = Message<PayloadBytes>;
    const ScenarioConfig& c = s.config;
    const std::uint32_t consumers = c.consumers.count, producers = c.producers.count;
    asio::io_context io(static_cast<int>(c.runtime.workers));
    AsioQueue<M, Drained> q(io, c.queue.capacity);
    Tasks tasks(consumers + producers);
    const bool last_producer_closes = c.close.when == CloseWhen::senders_dropped;
    // Tasks 0 .. consumers-1 consume; the rest produce.
    for (std::uint32_t i = 0; i < consumers; ++i) {
      asio::co_spawn(io, consume<PayloadBytes, R, Faults, Drained>(s, q, i),
                     [&tasks, i](std::exception_ptr e) { tasks.finished(i, std::move(e)); });
    }
    for (std::uint32_t i = 0; i < producers; ++i) {
      asio::co_spawn(io, produce<PayloadBytes, R, Faults, Drained>(s, q, i),
                     [&, i](std::exception_ptr e) {
                       if (last_producer_closes &&
                           s.producers_left.fetch_sub(1, std::memory_order_relaxed) == 1) {
                         s.close(q);
                       }
                       tasks.finished(consumers + i, std::move(e));
                     });
    }
    IoThreads threads(io, c.runtime.workers);

    std::vector<std::size_t> stuck;
    auto await = [&](std::size_t first, std::size_t last) {
      for (std::size_t i : tasks.not_done(first, last, ex.deadline())) stuck.push_back(i);
    };
    const std::size_t all = consumers + producers;
    if (c.close.when == CloseWhen::after_ms) {
      std::this_thread::sleep_until(AsioExecutor::now() + std::chrono::milliseconds(c.close.ms));
      s.close(q);
      await(consumers, all);
    } else {
      await(consumers, all);
      if (c.close.when != CloseWhen::senders_dropped) s.close(q);
    }
    await(0, consumers);
    if (!stuck.empty()) {
      // Release everyone (close() alone does not wake parked senders), give
      // them a timeout more, then give up on the io_context altogether.
      s.close(q);
      q.release();
      ex.extend_deadline();
      if (!tasks.not_done(0, all, ex.deadline()).empty()) io.stop();
    }
    threads.join();
    tasks.rethrow();
    if (!stuck.empty()) {
      std::vector<std::string> names;
      for (std::size_t i : stuck) {
        names.push_back(i < consumers ? "consumer-" + std::to_string(i)
                                      : "producer-" + std::to_string(i - consumers));
      }
      throw loops::hang_error(c, std::move(names));
    }
    drain_left(s, q);
  }

  // drain_left(): what the channel still gives out after the run, as left in
  // the queue. An open channel (asio-drained whose close never came, say
  // after consumers quit) gives its buffer; a closed one gives nothing, in
  // Asio 1.26 even while values remain, and the checker counts those lost.
  template <class M>
  static void drain_left(RunState& s, AsioQueue<M, Drained>& q) {
    bool more = true;
    while (more && q.channel().try_receive([&](error_code ec, M m) {
      if (ec) {
        more = false;
      } else {
        s.record_left(m.id);
      }
    })) {
    }
  }
};

}  // namespace

RunResult run_asio(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<AsioBackend<false>, true>(config, options);
}
RunResult run_asio_drained(const ScenarioConfig& config, const DriverOptions& options) {
  return loops::run_backend<AsioBackend<true>, true>(config, options);
}

}  // namespace tmpmc::scenarios::backends
#endif  // __SANITIZE_THREAD__
