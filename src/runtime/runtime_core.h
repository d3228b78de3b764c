// runtime_core.h: state shared by a runtime's workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "policy.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::runtime::detail {

class Worker;

class RuntimeCore {
 public:
  enum class Stuck { no, deadlock, hang };

  explicit RuntimeCore(Options options);
  ~RuntimeCore();

  // submit() registers a new fiber and makes it runnable. `caller`: the
  // calling thread's worker (Worker::current()), or null.
  void submit(Fiber* fiber, Worker* caller);
  // schedule() makes a fiber runnable: on the calling worker's queue when the
  // caller is one of ours (a woken fiber runs next, on the waker's worker),
  // otherwise through the injection queue, waking a sleeping worker.
  void schedule(Fiber* fiber, bool run_next);
  void run_root(Fiber* root);

  // The injection queue: fibers made runnable from outside the runtime.
  void inject(Fiber* fiber);
  Fiber* take_injected();
  bool has_injected() const noexcept { return injected_count_.load(std::memory_order_seq_cst) > 0; }

  // Idle workers: wake one when there is surplus work and none is looking for
  // it. `include_watchful`: also a worker in a short, watchful sleep (outside
  // work must start at once; local surplus can wait for its next look).
  void wake_idle_worker(bool include_watchful) noexcept;
  void wake_all_workers() noexcept;

  // A fiber has run to completion (called on the next fiber's stack).
  void fiber_finished(Fiber* fiber) noexcept;

  // Deterministic mode.
  TimePoint virtual_now() const noexcept { return virtual_now_; }
  void advance_virtual_time(TimePoint to) noexcept {
    if (to > virtual_now_) virtual_now_ = to;
  }
  void tick_virtual_time() noexcept { virtual_now_ += kVirtualStep; }
  // choose() asks the policy, records the choice and removes the fiber from `runnable`.
  Fiber* choose(RunnableSet& runnable, Fiber* previous, const char* at);

  // declare_stuck() ends the current block_on with a deadlock or hang report.
  void declare_stuck(Stuck kind) noexcept;

  // Reports: one line per fiber that has not finished.
  std::vector<std::string> describe_stuck_fibers();
  // Unwinds every fiber still alive (parked or runnable); used at destruction
  // and after a deadlock or hang. Runs on the calling thread as worker 0.
  void cancel_all_fibers() noexcept;

  RuntimeStats stats() const;
  std::size_t live_fibers();

  const Options options;
  const bool deterministic;
  std::vector<std::unique_ptr<Worker>> workers;

  // Set when block_on must return: the root finished, or a deadlock or hang.
  std::atomic<bool> stopping{false};
  std::atomic<unsigned> sleeping_workers{0};
  std::atomic<unsigned> spinning_workers{0};
  std::atomic<std::uint64_t> external_wakes{0};  // unparks made from outside any worker
  std::optional<TimePoint> watchdog_deadline;    // for worker 0 in real mode
  std::atomic<Stuck> stuck{Stuck::no};

  // Deterministic run state (touched only by the one worker).
  std::uint64_t trace_hash = 0;
  std::uint64_t step = 0;
  std::vector<std::uint32_t> choices;
  std::vector<TraceEvent> trace;

 private:
  static constexpr Duration kVirtualStep = std::chrono::microseconds(1);

  void register_fiber(Fiber* fiber, std::uint32_t shard);
  void unregister_fiber(Fiber* fiber) noexcept;
  std::vector<Fiber*> drain_run_queues();

  std::mutex injected_mu_;
  Fiber* injected_head_ = nullptr;
  Fiber* injected_tail_ = nullptr;
  std::atomic<std::size_t> injected_count_{0};

  // Every fiber not yet finished, for reports and for unwinding at shutdown:
  // one shard per worker (the spawner's) plus one for spawns from outside, so
  // that spawning and finishing take an uncontended lock. In a one-worker
  // runtime the worker's shard takes none: its fibers are spawned and finish
  // on that worker's thread, and the list is walked only once the worker has
  // stopped (reports, teardown); `live` is atomic for live_fibers() meanwhile.
  struct alignas(64) RegistryShard {
    explicit RegistryShard(bool shared) : shared(shared) {}
    const bool shared;
    std::atomic<bool> locked{false};
    Fiber* head = nullptr;
    std::atomic<std::size_t> live{0};  // written under the lock (or by the one worker)
    std::uint64_t spawned = 0;  // numbers the shard's fibers: ids are deterministic
    void lock() noexcept;
    void unlock() noexcept {
      if (shared) locked.store(false, std::memory_order_release);
    }
  };
  std::vector<std::unique_ptr<RegistryShard>> registry_;
  template <class Visit>
  void for_each_live_fiber(Visit&& visit);
  std::atomic<std::uint64_t> external_spawns_{0};
  std::unique_ptr<Policy> policy_;
  TimePoint virtual_now_{std::chrono::hours(1)};  // the same start on every run
};

}  // namespace tmpmc::runtime::detail
