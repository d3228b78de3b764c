// planted_queues.h: queues broken on purpose in ways that attack the tool
// itself rather than the checks: a spin that never yields, a crash, a task no
// close releases. The tool must stay in charge of each: report it, write its
// results, leave a replay, and end. They exist only in the tests: the
// planted tmpmc-bench (planted_bench.cpp) registers them as impls, and
// stuck_peer_test runs the stuck one in-process.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "backends/thread_executor.h"
#include "backends/threads_queue.h"
#include "driver/driver_loops.h"
#include "mutants.h"
#include "tmpmc/queue/detail/value_api.h"
#include "tmpmc/queue/status.h"

namespace tmpmc::planted {

namespace sc = tmpmc::scenarios;
using detail::PushResult;

// The planted spin's choice point: a spin's re-read, as the ring's waits
// are (choice_point.h), in the last queue id, which the queue never uses.
inline constexpr runtime::ChoicePointSite kWaitForFlag{127, runtime::PointKind::between, true,
                                                       "planted: wait for a flag nobody sets"};

// SpinOnUnsetFlag: a receive that finds the queue empty waits for a flag
// that nobody ever sets, re-reading it without a pause, a yield or a park.
// On a deterministic runtime each re-read is a spin point that sees nothing
// change: the search must stop it at its step cap and report a livelock. On
// a real runtime the fiber holds its worker for ever: only the CLI's stop
// watchdog ends the process (stop_signals.h).
template <class T>
struct SpinOnUnsetFlag : detail::QueueCore<T, SpinOnUnsetFlag<T>> {
  using detail::QueueCore<T, SpinOnUnsetFlag>::QueueCore;
  runtime::WaitStatus wait_for_item(std::optional<T>&, const runtime::TimePoint*) {
    const runtime::At at{&kWaitForFlag, this->ring_.explored()};
    while (!flag_.spin_load(
        at, [this] { return !flag_.peek(); }, std::memory_order_acquire)) {
    }
    return runtime::WaitStatus::ready;
  }
  runtime::ChoiceAtomic<bool> flag_{false};
};

// The stalled push's point: a spin's re-read inside an operation (the push
// has claimed its slot).
inline constexpr runtime::ChoicePointSite kStallAfterClaim{
    126, runtime::PointKind::inner, true, "planted: a claimed push waits for a flag nobody sets"};

// RingStallingAfterClaim: a push that claims a free slot, then waits for a
// flag nobody sets before it writes the value. A pop that reaches the slot
// waits for the write (the ring's own spin): every fiber spins, the search
// stops the run at its step cap (a livelock), and its teardown cannot move
// either fiber past its operation. What is left is a ring half-way through a
// push that no fiber will finish, which the driver must not wait on when it
// counts what is left in the queue.
template <class T>
class RingStallingAfterClaim : public mutants::UnconfinedRing<T> {
  using Base = mutants::UnconfinedRing<T>;

 public:
  using Base::Base;
  PushResult try_push(T& value) {
    namespace sites = detail::sites;
    std::size_t tail = this->tail_.load(this->at(sites::kPushReadTail), std::memory_order_relaxed);
    if (tail & this->mark_bit_) return PushResult::closed;
    auto& slot = this->slots_[tail & (this->mark_bit_ - 1)];
    if (slot.stamp.load(this->at(sites::kPushReadStamp), std::memory_order_acquire) != tail ||
        !this->tail_.compare_exchange_strong(tail, this->after(tail), this->at(sites::kPushClaim),
                                             std::memory_order_seq_cst,
                                             std::memory_order_relaxed)) {
      return Base::try_push(value);  // full, stale or mid-way: the real push decides
    }
    const runtime::At at{&kStallAfterClaim, this->explore_};
    while (!flag_.spin_load(
        at, [this] { return !flag_.peek(); }, std::memory_order_acquire)) {
    }
    return PushResult::ok;  // not reached
  }

 private:
  runtime::ChoiceAtomic<bool> flag_{false};
};
template <class T>
using StallAfterClaim = detail::QueueCore<T, void, RingStallingAfterClaim<T>>;

// crash_here(): a store through a null pointer the compiler cannot see is
// null: SIGSEGV, not a trap it could turn the store into.
inline int* volatile g_null_pointer = nullptr;
[[gnu::noinline]] inline void crash_here() { *g_null_pointer = 1; }

// CrashWhenFull: a receive that finds every slot full dereferences null. Only
// some schedules get there (the producers must fill the ring before a
// consumer looks), so the crash is the schedule's: the report the tool
// prints as it dies must replay to the same crash.
template <class T>
struct CrashWhenFull : detail::QueueCore<T, CrashWhenFull<T>> {
  using Base = detail::QueueCore<T, CrashWhenFull<T>>;
  using Base::Base;
  QueueStatus receive_into(std::optional<T>& out, const runtime::TimePoint* deadline) {
    if (this->len() == this->capacity()) crash_here();
    return Base::receive_into(out, deadline);
  }
};

// NeverReleasedQueue: the threads peer's queue (ThreadQueue), except that a
// blocking receive, once the queue is closed and drained, waits for ever
// instead of answering "closed": a peer's bug that no close can undo.
template <class T>
class NeverReleasedQueue : public detail::SendApi<NeverReleasedQueue<T>, T>,
                           public detail::ReceiveApi<NeverReleasedQueue<T>, T> {
 public:
  using Clock = std::chrono::steady_clock;
  explicit NeverReleasedQueue(std::size_t capacity, const std::string& = {}) : inner_(capacity) {}
  bool close() { return inner_.close(); }
  std::size_t len() const { return inner_.len(); }

 private:
  friend detail::SendApi<NeverReleasedQueue, T>;
  friend detail::ReceiveApi<NeverReleasedQueue, T>;
  NeverReleasedQueue& primitives() noexcept { return *this; }
  static Clock::time_point now() { return Clock::now(); }

  QueueStatus send_from(T& value, const Clock::time_point*) {
    auto sent = inner_.send(std::move(value));
    if (sent) return QueueStatus::ok;
    value = std::move(sent.error().value);  // handed back, as the contract says
    return QueueStatus::closed;
  }
  QueueStatus try_receive_into(std::optional<T>& out) {
    auto got = inner_.try_receive();
    out = std::move(got.value);
    return got.status;
  }
  QueueStatus receive_into(std::optional<T>& out, const Clock::time_point*) {
    out = inner_.receive();
    if (out) return QueueStatus::ok;
    // The bug: closed and drained is not an answer; wait for what never comes.
    std::unique_lock lock(never_mutex_);
    never_.wait(lock, [] { return false; });
    return QueueStatus::closed;  // not reached
  }

  sc::backends::ThreadQueue<T> inner_;
  std::mutex never_mutex_;
  std::condition_variable never_;  // never notified
};

struct NeverReleasedBackend {
  template <class T>
  using Queue = NeverReleasedQueue<T>;
  using Executor = sc::backends::ThreadExecutor;
  static constexpr bool kChannel = false;
};

inline sc::RunResult run_never_released(const sc::ScenarioConfig& config,
                                        const sc::DriverOptions& options) {
  return sc::loops::run_with_payload<NeverReleasedBackend, 0, true>(config, options);
}

}  // namespace tmpmc::planted
