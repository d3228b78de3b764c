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
namespace {
// with_placement(): a note, and what spread does here.
std::string with_placement(const std::string& note, const ScenarioConfig& config) {
  const std::string spread = spread_note(
      config,
      "no equivalent: one io_context run by runtime.workers threads, any of which resumes "
      "any coroutine; runs as local");
  return spread.empty() ? note : note + "; " + spread;
}
}  // namespace

std::string asio_note(const ScenarioConfig& config) {
  return with_placement(
      "Asio's close(): values still buffered are not received (lost), senders parked on a "
      "full channel stay parked (a hang)",
      config);
}
std::string asio_drained_note(const ScenarioConfig& config) {
  return with_placement(
      "closed by hand: a close refuses new sends, and Asio's close() runs once every value "
      "sent was received",
      config);
}
}  // namespace tmpmc::scenarios::backends

// Not compiled in ThreadSanitizer builds: the registry's row says why
// (impls.cpp), and run_scenario() answers with that.
#if !defined(__SANITIZE_THREAD__)
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "backends/asio_executor.h"
#include "backends/asio_queue.h"
#include "driver/driver_loops.h"
#include "tmpmc/runtime/pacing.h"

namespace tmpmc::scenarios::backends {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using loops::Message;
using loops::Recording;
using loops::RunState;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);  // errors as values, not throws

// pace_until(): an open-loop producer's wait, as runtime/pacing.h's: the
// timer parks the coroutine until the spin horizon before `until`; then it
// waits awake, each post() letting the io_context run other handlers first.
asio::awaitable<void> pace_until(asio::steady_timer& timer, runtime::TimePoint until,
                                 std::chrono::nanoseconds horizon) {
  const auto executor = co_await asio::this_coro::executor;
  if (std::chrono::steady_clock::now() < until - horizon) {
    timer.expires_at(until - horizon);
    co_await timer.async_wait(kAwait);
  }
  while (std::chrono::steady_clock::now() < until) co_await asio::post(executor, kAwait);
}

// produce(): one producer's loop, driver_fiber_loops.h's produce() as a
// coroutine: the same steps (ProducerSteps), with each wait and each send a
// co_await that parks the coroutine, not its thread.
template <unsigned PayloadBytes, Recording R, bool Faults, bool Drained>
asio::awaitable<void> produce(RunState& s, AsioQueue<Message<PayloadBytes>, Drained>& q,
                              std::uint32_t id) {
  constexpr auto now = [] { return std::chrono::steady_clock::now(); };
  loops::ProducerSteps<PayloadBytes, R> p(s, id, true, now());
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (std::uint64_t seq = 0; seq < p.quota(); ++seq) {
    if (p.stop_before(seq, now)) break;
    loops::Stamps stamps;
    if (p.open_loop()) {
      const loops::Due due = p.due(seq);
      co_await pace_until(timer, due.until, p.horizon());
      if (due.past_end) break;
      stamps = p.paced(due, now());
    }
    stamps = p.prepare(stamps);
    if constexpr (Drained) {
      if (!q.begin_send()) {  // a close was asked for: refused, as by a closed queue
        p.refused(seq);
        break;
      }
    }
    // Parks here while the channel is full; completes with an error once it
    // is closed (or, after a hang, cancelled). A refused value is gone:
    // Asio does not hand it back.
    auto [ec] =
        co_await q.channel().async_send(error_code{}, p.message(p.packed(seq), stamps), kAwait);
    if constexpr (Drained) q.end_send(!ec);
    if (ec) {
      p.refused(seq);
      break;
    }
    p.template sent<Faults>(&q);
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
    loops::coordinate(
        s, q, [](std::chrono::milliseconds ms) { std::this_thread::sleep_for(ms); },
        [&] { await(consumers, all); }, [&] { await(0, consumers); });
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
      names.reserve(stuck.size());
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
