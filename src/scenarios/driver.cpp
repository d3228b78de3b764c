// driver.cpp: producers, consumers and a coordinator as fibers on the runtime.
//
// Every message carries (producer, seq, intended send time, send time).
// Producers number their sends and log only what did not go through;
// consumers log what they received in their own buffers. The coordinator (the
// root fiber) applies the close timing. A run that does not finish within
// timeout_ms is ended by the runtime's watchdog, which names the stuck fibers.
#include "tmpmc/scenarios/driver.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>

#include "tmpmc/queue/channel.h"
#include "tmpmc/queue/queue.h"

namespace tmpmc::scenarios {

unsigned effective_payload_bytes(unsigned payload_bytes) noexcept {
  for (unsigned bucket : kPayloadBuckets) {
    if (payload_bytes <= bucket) return bucket;
  }
  return kPayloadBuckets[std::size(kPayloadBuckets) - 1];
}

void busy_work(const TimestampClock& clock, std::uint64_t ns) noexcept {
  if (ns == 0) return;
  const std::uint64_t start = clock.now();
  const std::uint64_t ticks = clock.from_ns(ns);
  while (clock.now() - start < ticks) {
  }
}

namespace {

// Message: producer and sequence number packed into one word (as in the
// consumer logs), then the intended and actual send times (clock ticks; 0: not
// stamped), then the payload. All 8-byte fields: the copy into the ring reads
// it back with wide loads, which stall if the fields were written narrower.
template <unsigned PayloadBytes>
struct Message {
  std::uint64_t id;  // producer << ConsumerLog::kSeqBits | seq
  std::uint64_t intended;
  std::uint64_t sent;
  std::array<std::byte, PayloadBytes> payload;
  std::uint32_t producer() const noexcept {
    return static_cast<std::uint32_t>(id >> ConsumerLog::kSeqBits);
  }
  std::uint64_t seq() const noexcept {
    return id & ((std::uint64_t{1} << ConsumerLog::kSeqBits) - 1);
  }
};

// Everything one run shares between its fibers and the code that checks it.
struct RunState {
  const ScenarioConfig& config;
  const TimestampClock& clock;
  const DriverOptions& options;
  std::vector<ProducerLog> producer_logs;
  std::vector<std::unique_ptr<ConsumerLog>> consumer_logs;
  std::vector<Histogram> histograms;             // one per consumer
  std::atomic<std::uint64_t> received_total{0};  // only for close.when = after_received
  std::uint64_t start_ticks = 0;
  runtime::TimePoint end_time{};  // duration_ms mode

  RunState(const ScenarioConfig& c, const TimestampClock& k, const DriverOptions& o)
      : config(c),
        clock(k),
        options(o),
        producer_logs(c.producers.count),
        histograms(c.consumers.count) {
    for (unsigned i = 0; i < c.consumers.count; ++i) {
      consumer_logs.push_back(std::make_unique<ConsumerLog>(o.log_arena));
    }
  }
  bool interrupted() const noexcept {
    return options.interrupt != nullptr && options.interrupt->load(std::memory_order_relaxed);
  }
};

// produce(): one producer's loop. `Out` is a Queue or a Sender.
template <unsigned PayloadBytes, bool Record, class Out>
void produce(RunState& s, Out out, std::uint32_t id) {
  const ScenarioConfig& c = s.config;
  ProducerLog& log = s.producer_logs[id];
  const bool open_loop = c.producers.rate_per_sec > 0;
  const double period_ns = open_loop ? 1e9 / c.producers.rate_per_sec : 0;
  const std::uint64_t sample_every = open_loop ? 1 : c.latency_sample_every;
  // messages: this producer's share of the total (the first ones take the remainder).
  std::uint64_t quota = ~std::uint64_t{0};
  if (c.messages) {
    quota = *c.messages / c.producers.count + (id < *c.messages % c.producers.count ? 1 : 0);
  }
  const auto start = runtime::now();
  const Message<PayloadBytes> prototype{};  // the payload's bytes, copied into every message
  std::uint64_t until_sample = 1;           // the first message is stamped
  for (std::uint64_t seq = 0; seq < quota; ++seq) {
    if ((seq & 63) == 0) {
      if (s.interrupted()) break;
      if (c.duration_ms && runtime::now() >= s.end_time) break;
    }
    std::uint64_t intended = 0, sent = 0;
    if (open_loop) {
      // Open loop: each message has an intended time; a stalled queue delays
      // the sends behind it, and their latency counts from the intended time
      // (no coordinated omission).
      const auto due = start + std::chrono::nanoseconds(static_cast<std::int64_t>(period_ns * seq));
      if (runtime::now() < due) runtime::this_fiber::sleep_until(due);
      const auto late = std::chrono::duration_cast<std::chrono::nanoseconds>(runtime::now() - due);
      sent = s.clock.now();
      intended = sent - s.clock.from_ns(static_cast<std::uint64_t>(late.count()));
    }
    busy_work(s.clock, c.producers.work_ns);
    if constexpr (Record) {
      // A countdown, not seq % sample_every: a division per message costs more
      // than the queue operation it measures.
      if (!open_loop && --until_sample == 0) {
        until_sample = sample_every;
        sent = intended = s.clock.now();
      }
    }
    const std::uint64_t packed = (std::uint64_t{id} << ConsumerLog::kSeqBits) | seq;
    ++log.attempted;
    // Unstamped messages are built from constants, as with recording compiled
    // out: a message written field by field and then copied into the ring with
    // wider loads stalls on store forwarding, so stamps stay off the common path.
    auto result = sent == 0
                      ? out.send(Message<PayloadBytes>{packed, 0, 0, prototype.payload})
                      : out.send(Message<PayloadBytes>{packed, intended, sent, prototype.payload});
    if (!result) {
      log.refused_closed.push_back(seq);
      break;  // closed stays closed: this producer is done
    }
  }
}

// consume(): one consumer's loop. `In` is a Queue or a Receiver.
template <unsigned PayloadBytes, bool Record, class In>
void consume(RunState& s, In in, std::uint32_t id, Queue<Message<PayloadBytes>>* to_close) {
  const ScenarioConfig& c = s.config;
  ConsumerLog& log = *s.consumer_logs[id];
  Histogram& latency = s.histograms[id];
  const bool count_for_close = c.close.when == CloseWhen::after_received;
  while (auto m = in.receive()) {
    if constexpr (Record) {
      if (m->intended != 0) latency.record(s.clock.to_ns(s.clock.now() - m->intended));
      log.record_packed(m->id);
    }
    busy_work(s.clock, c.consumers.work_ns);
    if (count_for_close) {
      // The consumer that receives message number close.messages closes the queue.
      if (s.received_total.fetch_add(1, std::memory_order_relaxed) + 1 == c.close.messages) {
        to_close->close();
      }
    }
  }
}

template <unsigned PayloadBytes, bool Record>
void run_fibers(RunState& s, ConsumerLog& left) {
  using M = Message<PayloadBytes>;
  const ScenarioConfig& c = s.config;
  std::vector<runtime::JoinHandle<void>> producers, consumers;
  if (c.close.when == CloseWhen::senders_dropped) {
    // The last Sender to go (each producer's, when it returns) closes the channel.
    auto [tx, rx] = channel<M>(c.queue.capacity, "q0");
    for (std::uint32_t i = 0; i < c.consumers.count; ++i) {
      consumers.push_back(runtime::spawn("consumer-" + std::to_string(i), [&s, rx = rx, i]() {
        consume<PayloadBytes, Record>(s, rx, i, nullptr);
      }));
    }
    for (std::uint32_t i = 0; i < c.producers.count; ++i) {
      producers.push_back(runtime::spawn("producer-" + std::to_string(i), [&s, tx = tx, i]() {
        produce<PayloadBytes, Record>(s, tx, i);
      }));
    }
    { auto drop = std::move(tx); }  // the coordinator's own Sender
    Receiver<M> drain = std::move(rx);
    for (auto& p : producers) p.join();
    for (auto& k : consumers) k.join();
    while (auto m = drain.try_receive().value) left.record(m->producer(), m->seq());
    return;
  }
  Queue<M> q(c.queue.capacity, "q0");
  for (std::uint32_t i = 0; i < c.consumers.count; ++i) {
    consumers.push_back(runtime::spawn("consumer-" + std::to_string(i), [&s, q, i]() mutable {
      consume<PayloadBytes, Record>(s, q, i, &q);
    }));
  }
  for (std::uint32_t i = 0; i < c.producers.count; ++i) {
    producers.push_back(runtime::spawn("producer-" + std::to_string(i),
                                       [&s, q, i]() { produce<PayloadBytes, Record>(s, q, i); }));
  }
  switch (c.close.when) {
    case CloseWhen::after_producers:
      for (auto& p : producers) p.join();
      q.close();
      break;
    case CloseWhen::after_ms:
      // Close while producers may still be sending.
      runtime::this_fiber::sleep_for(std::chrono::milliseconds(c.close.ms));
      q.close();
      for (auto& p : producers) p.join();
      break;
    case CloseWhen::after_received:
      // A consumer closes at close.messages; if the producers finish first
      // (interrupted, or duration_ms), close after them.
      for (auto& p : producers) p.join();
      q.close();
      break;
    case CloseWhen::senders_dropped:
      break;
  }
  for (auto& k : consumers) k.join();
  while (auto m = q.try_receive().value) left.record(m->producer(), m->seq());
}

template <unsigned PayloadBytes, bool Record>
RunResult run_with_payload(const ScenarioConfig& c, const DriverOptions& options) {
  const TimestampClock& clock = *options.clock;
  RunState s(c, clock, options);
  ConsumerLog left;
  runtime::Options ro;
  ro.workers = c.runtime.workers;
  ro.deterministic = c.runtime.deterministic;
  ro.seed = c.runtime.seed;
  ro.stack_size = static_cast<std::size_t>(c.runtime.stack_kib) * 1024;
  ro.watchdog = std::chrono::milliseconds(c.run.timeout_ms);
  runtime::Runtime rt(ro);
  RunResult result;
  std::uint64_t stuck = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    rt.block_on([&] {
      if (c.duration_ms) s.end_time = runtime::now() + std::chrono::milliseconds(*c.duration_ms);
      run_fibers<PayloadBytes, Record>(s, left);
    });
  } catch (const runtime::StuckError& e) {
    stuck = e.parked().size();
    result.stuck_fibers = e.parked();
    result.stuck_summary = e.what();
  } catch (const std::bad_alloc&) {
    // The run failed, and says why; the accounting below still covers what ran.
    result.error = "out of memory: queue.capacity " + std::to_string(c.queue.capacity) + " x " +
                   std::to_string(sizeof(Message<PayloadBytes>)) + "-byte messages, " +
                   std::to_string(c.producers.count + c.consumers.count) + " fibers";
  } catch (const std::exception& e) {
    result.error = e.what();  // e.g. no fiber stack could be mapped
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  result.elapsed_s = std::chrono::duration<double>(elapsed).count();
  result.stats = rt.stats();
  if (c.runtime.deterministic) result.trace_hash = rt.trace_hash();
  std::vector<const ConsumerLog*> logs;
  for (auto& log : s.consumer_logs) logs.push_back(log.get());
  if constexpr (Record) {
    result.check = check(s.producer_logs, logs, left, stuck);
  } else {
    for (auto& log : s.producer_logs)
      result.check.sent += log.attempted - log.refused_closed.size();
    result.check.received = result.check.sent;
  }
  for (const auto& h : s.histograms) result.latency.merge(h);
  result.msgs_per_sec =
      result.elapsed_s > 0 ? static_cast<double>(result.check.received) / result.elapsed_s : 0;
  result.interrupted = s.interrupted();
  return result;
}

}  // namespace

template <bool Record>
RunResult run_recording(const ScenarioConfig& config, const DriverOptions& options) {
  switch (effective_payload_bytes(config.producers.payload_bytes)) {
    case 0:
      return run_with_payload<0, Record>(config, options);
    case 16:
      return run_with_payload<16, Record>(config, options);
    case 64:
      return run_with_payload<64, Record>(config, options);
    case 256:
      return run_with_payload<256, Record>(config, options);
    case 1024:
      return run_with_payload<1024, Record>(config, options);
    default:
      return run_with_payload<4096, Record>(config, options);
  }
}

RunResult run_scenario(const ScenarioConfig& config, const DriverOptions& options) {
  // Two instantiations: with recording off, no stamp, log or histogram code is
  // compiled into the producer and consumer loops at all.
  return options.record ? run_recording<true>(config, options)
                        : run_recording<false>(config, options);
}

}  // namespace tmpmc::scenarios
