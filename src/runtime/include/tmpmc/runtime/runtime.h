// runtime.h: the fiber runtime.
//
// A Runtime runs fibers (stackful coroutines on Boost.Context) on N worker
// threads. Each worker has a local run queue with a LIFO "next" slot (a fiber
// woken by the running fiber runs next, on the same worker, so fibers that talk
// to each other stay together), a shared injection queue takes work from
// outside, and an idle worker steals only from a stalled one (a worker whose
// run queue did not move for a moment: a real backlog) before it sleeps on a
// futex. An idle runtime uses no CPU.
//
// In deterministic mode the runtime has one worker, time is virtual, and every
// scheduling choice (including at every labelled shared access:
// choice_point.h) is made by a policy: seeded
// (random, PCT), fixed (round robin), or a recorded schedule (replay,
// schedule.h). A seed, or a schedule, replays the same interleaving on any
// machine; the choices are hashed into trace_hash().
//
// Fibers run only inside block_on(): it runs the root fiber on the calling
// thread (worker 0) plus workers-1 more threads, and returns when the root
// fiber returns. Fibers still parked or runnable when the Runtime is destroyed
// are unwound (their destructors run), so nothing leaks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tmpmc/runtime/choice_point.h"
#include "tmpmc/runtime/clock.h"
#include "tmpmc/runtime/join_handle.h"
#include "tmpmc/runtime/pacing.h"
#include "tmpmc/runtime/schedule.h"

namespace tmpmc::runtime {

// How a deterministic runtime picks the next fiber.
enum class PolicyKind {
  random,       // uniformly among the runnable fibers, seeded
  pct,          // probabilistic concurrency testing (priorities + depth-1 change points)
  round_robin,  // FIFO order, no randomness
  replay,       // a recorded schedule, step by step (schedule.h); never falls back
  bounded,      // one run of a bounded search: a prefix of choices, then no preemption
  pos,          // partial-order sampling: priorities re-drawn at random at every choice
};

// ChoicePoint: one step of a run where two or more fibers were runnable, as
// the bounded search records it (SchedulePolicy::choice_log).
struct ChoicePoint {
  std::vector<std::uint32_t> runnable;  // fiber ids, in the runnable set's order
  std::uint32_t chosen = 0;             // the fiber that ran
  // The fiber that gave up the worker, if it could have gone on (it yielded
  // and is among `runnable`): running another one here is a preemption. 0
  // if it parked, finished or was the idle loop: any choice is free.
  std::uint32_t continuing = 0;
  // The fiber the bounded policy runs here when its prefix does not say:
  // `continuing` if any, else the runnable fiber that ran least recently. A
  // choice other than this one is a deviation (what shrinking removes).
  std::uint32_t fallback = 0;
  // The fiber that gave up the worker (0: the scheduler's idle loop) and how
  // many steps it had run then, this one included: where in its own run the
  // choice falls, whatever the other fibers did before (a Switch's key).
  std::uint32_t previous = 0;
  std::uint32_t previous_steps = 0;
  // The hash of the run's happens-before order up to this point: runs that
  // reach a point with the same state and continuing fiber can go on alike
  // (the search's reduction, scenarios/explore.cpp).
  std::uint64_t state = 0;
};

// Switch: "when fiber `from` gives up the worker after its `from_steps`-th
// step, run fiber `to`" (the bounded policy, SchedulePolicy::switches).
// Keyed by a fiber's own progress, not by the run's choice count, a switch
// stays where it was when switches before it are removed: what shrinking
// (scenarios/shrink.cpp) needs.
struct Switch {
  std::uint32_t from = 0;
  std::uint32_t from_steps = 0;
  std::uint32_t to = 0;
  bool operator==(const Switch&) const = default;
};

struct SchedulePolicy {
  PolicyKind kind = PolicyKind::random;
  int pct_depth = 3;  // PCT's bug depth d (>= 1)
  // PCT's estimate k of a run's length in choices (steps with two or more
  // runnable fibers: forced steps are no place for a change point). The
  // scenario driver learns it from a first run (driver.h, calibrate_pct);
  // 0 puts every change point at the first choice.
  std::uint64_t pct_expected_choices = 2000;
  // PCT's fairness: after this many steps of one run, PCT picks uniformly at
  // random (policy.cpp says why), so a polling fiber cannot starve the others.
  std::uint64_t pct_fair_after = 10'000;
  Schedule replay;  // for replay: the schedule of one run (block_on) to repeat
  // For bounded: the fiber to run at each of the run's first choice points
  // (steps with two or more runnable), then at every later one the fiber
  // that gave up the worker if it can go on, else the runnable fiber that
  // ran least recently (policies/bounded.cpp). Each choice point is appended to *choice_log
  // (cleared when a run begins), which the caller owns. A prefix entry of 0
  // chooses as past the prefix. With lenient_prefix, an entry naming a fiber
  // that is not runnable there also does (shrinking's edited schedules);
  // without, the run diverges (the program is not deterministic).
  std::vector<std::uint32_t> prefix;
  bool lenient_prefix = false;
  // For bounded, past the prefix: where one of these matches, its fiber runs
  // instead of the default (if runnable; else the default).
  std::vector<Switch> switches;
  std::vector<ChoicePoint>* choice_log = nullptr;
};

struct Options {
  unsigned workers = 0;  // 0: one per CPU. Deterministic mode requires 1 (0 means 1).
  bool deterministic = false;
  std::uint64_t seed = 1;
  SchedulePolicy policy;
  std::size_t stack_size = 64 * 1024;  // usable bytes per fiber, plus a guard page
  // watchdog: with real workers, a root fiber that has not finished after this
  // long is reported as a hang (HangError) instead of hanging. 0: no watchdog.
  std::chrono::milliseconds watchdog{0};
  // timer_spin: the spin horizon (pacing.h). A worker whose next timer is due
  // within it waits for the timer awake in its idle loop instead of asking the
  // kernel to wake it (which would be tens of microseconds late), and a worker
  // that sleeps until a timer wakes this much before it. Runnable fibers still
  // run first; a worker with no timer that close sleeps as before (an idle
  // runtime stays near 0% CPU). 0: no spinning. Real workers only.
  std::chrono::microseconds timer_spin = kDefaultTimerSpin;
  // max_steps: a deterministic run (one block_on) that reaches this many
  // scheduling steps is stopped and reported (StoppedError: a livelock or a
  // runaway) instead of running on. The default is thousands of times the
  // longest run of a shipped stress config (docs/DESIGN.md); >= 1.
  static constexpr std::uint64_t kDefaultMaxSteps = 10'000'000;
  std::uint64_t max_steps = kDefaultMaxSteps;
  // stop_requested, if set, is asked every kStopCheckSteps steps of a
  // deterministic run; true stops the run (StoppedError, interrupted). It is
  // how a signal or a time budget ends a run that would not end by itself.
  // Called on the worker between fibers: it must not park.
  static constexpr std::uint64_t kStopCheckSteps = 1024;
  std::function<bool()> stop_requested;
  // record_trace keeps every scheduling event of a deterministic run for
  // trace(), and its choices for choices(). Without it a run keeps only the
  // running trace_hash(): its memory does not grow with its length.
  bool record_trace = false;
  // record_schedule keeps the schedule of each deterministic run (one item of
  // 8 bytes per choice; record_trace implies it) for schedule().
  bool record_schedule = false;
  // schedule_tap, if set, sees every step of each deterministic run too: the
  // schedule so far in a buffer allocated once, which a crash handler prints
  // (schedule.h). Not owned; it outlives the runtime.
  ScheduleTap* schedule_tap = nullptr;
  // choice_points: which labelled accesses are choice points in a
  // deterministic run (choice_point.h). `operations` keeps the granularity
  // stress had before every access was one (ring and wait-list operations
  // run without interruption): for comparing what the finer points find.
  Granularity choice_points = Granularity::every_access;
  // trace_state, if set, describes the program's state (say, a queue's length
  // and whether it is closed) for each recorded event. Called on the worker
  // between fibers: it must not park.
  std::function<std::string()> trace_state;
};

// RuntimeStats: per-worker counters, summed when asked.
struct RuntimeStats {
  std::uint64_t switches = 0;  // stack switches
  std::uint64_t parks = 0;     // fibers that suspended waiting for something
  std::uint64_t wakes = 0;     // successful unparks
  std::uint64_t steals = 0;    // fibers taken from another worker's queue
  std::uint64_t spawns = 0;
  // Fibers pinned to a worker (spawn_pinned) made runnable by another
  // thread and handed over through the worker's inbox: wakes that crossed
  // workers, and so cores.
  std::uint64_t cross_worker_wakes = 0;
};

// One scheduling event of a deterministic run.
struct TraceEvent {
  std::uint64_t step;  // 1 is the run's first step (as a divergence names them)
  std::uint64_t fiber_id;
  std::string fiber;     // name of the fiber chosen to run
  std::string previous;  // name of the fiber that gave up the worker ("" at the start)
  std::string at;        // where the previous fiber gave up the worker
  std::string state;     // Options::trace_state() at this step
  std::uint32_t choice;  // index into the runnable set (as the policy saw it)
  std::uint32_t runnable;
};

// Raised by block_on when every fiber is parked and nothing can wake them
// (deterministic mode), when the watchdog fires (real workers), or when a
// deterministic run is stopped (StoppedError). what() is the one-line
// summary; report() names each fiber that had not finished and its wait.
class StuckError : public std::runtime_error {
 public:
  StuckError(const std::string& what, std::vector<std::string> parked)
      : std::runtime_error(what), parked_(std::move(parked)) {}
  const std::vector<std::string>& parked() const noexcept { return parked_; }
  std::string report() const;

 private:
  std::vector<std::string> parked_;
};
class DeadlockError : public StuckError {
  using StuckError::StuckError;
};
class HangError : public StuckError {
  using StuckError::StuckError;
};

// Why a deterministic run was stopped before its root fiber finished.
enum class StopKind {
  livelock,     // at max_steps, and no fiber made progress in the last half of them
  runaway,      // at max_steps, still making progress
  interrupted,  // Options::stop_requested said so
  diverged,     // a replay met a step its schedule cannot answer (policies/replay.cpp)
};
// Progress, for that verdict: a fiber was woken by another fiber (not by its
// own timer), or a fiber finished. Fibers that only yield, poll with timed
// waits or sleep make none.
class StoppedError : public StuckError {
 public:
  StoppedError(StopKind kind, const std::string& what, std::vector<std::string> fibers)
      : StuckError(what, std::move(fibers)), kind_(kind) {}
  StopKind kind() const noexcept { return kind_; }

 private:
  StopKind kind_;
};

namespace detail {
class RuntimeCore;
// submit() hands a new fiber to `core`, or to the calling fiber's runtime if
// `core` is null, naming it `*name` (moved from) unless `name` is null, and
// pinning it to worker `home` unless that is kAnyWorker.
void submit(RuntimeCore* core, Fiber* fiber, std::string* name, unsigned home);

// spawn_task() is every spawn(): unnamed spawns touch no string at all.
template <class F>
JoinHandle<std::invoke_result_t<F>> spawn_task(RuntimeCore* core, std::string* name, unsigned home,
                                               F&& f) {
  using T = std::invoke_result_t<F>;
  auto* task = new TaskImpl<T, std::decay_t<F>>(std::forward<F>(f));
  JoinHandle<T> handle(task);  // owns the handle's reference even if submit throws
  submit(core, task, name, home);
  return handle;
}
}  // namespace detail

class Runtime {
 public:
  explicit Runtime(Options options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // block_on(f) runs f as the root fiber and returns its result (or rethrows
  // its exception). Call from a plain thread, not from a fiber.
  template <class F>
  std::invoke_result_t<F> block_on(F&& f) {
    using T = std::invoke_result_t<F>;
    auto* task = new detail::TaskImpl<T, std::decay_t<F>>(std::forward<F>(f));
    JoinHandle<T> handle(task);
    run_root(task);
    return handle.take_finished();
  }

  // spawn(f) starts f on a new fiber; call from a fiber of this runtime or
  // from outside (the fiber then starts at the next block_on).
  template <class F>
  JoinHandle<std::invoke_result_t<F>> spawn(F&& f) {
    return detail::spawn_task(core_.get(), nullptr, detail::kAnyWorker, std::forward<F>(f));
  }
  template <class F>
  JoinHandle<std::invoke_result_t<F>> spawn(std::string name, F&& f) {
    return detail::spawn_task(core_.get(), &name, detail::kAnyWorker, std::forward<F>(f));
  }
  // spawn_pinned(worker, name, f) starts f on a new fiber that runs on worker
  // `worker` (< workers()) only: it starts there, a wake from another worker
  // or from outside hands it to that worker (its inbox), and no idle worker
  // steals it. How fibers that talk are spread over cores, on purpose (the
  // scenarios' runtime.placement "spread"). Throws std::invalid_argument for
  // a worker the runtime does not have. In deterministic mode (one worker)
  // it is spawn().
  template <class F>
  JoinHandle<std::invoke_result_t<F>> spawn_pinned(unsigned worker, std::string name, F&& f) {
    return detail::spawn_task(core_.get(), &name, worker, std::forward<F>(f));
  }

  RuntimeStats stats() const;
  // live_fibers(): spawned fibers that have not finished (for leak checks).
  std::size_t live_fibers() const;
  unsigned workers() const noexcept;
  bool deterministic() const noexcept;
  // trace_hash(): 64-bit hash of every scheduling choice of the deterministic
  // runs so far (0 on a real runtime).
  std::uint64_t trace_hash() const noexcept;
  // trace(): the events of the deterministic runs so far, kept only with
  // Options::record_trace. schedule(): the last (or current) run's schedule,
  // with record_schedule or record_trace (empty otherwise).
  std::vector<TraceEvent> trace() const;
  Schedule schedule() const;
  // reached_choice_points(): the choice point sites (choice_point.h) the
  // deterministic runs so far passed through, by id (none on a real runtime).
  ChoicePointSet reached_choice_points() const;

 private:
  void run_root(detail::Fiber* root);
  std::unique_ptr<detail::RuntimeCore> core_;
};

// spawn(f) on the runtime of the calling fiber.
template <class F>
JoinHandle<std::invoke_result_t<F>> spawn(std::string name, F&& f) {
  return detail::spawn_task(nullptr, &name, detail::kAnyWorker, std::forward<F>(f));
}
template <class F>
JoinHandle<std::invoke_result_t<F>> spawn(F&& f) {
  return detail::spawn_task(nullptr, nullptr, detail::kAnyWorker, std::forward<F>(f));
}
// spawn_pinned(worker, name, f) on the runtime of the calling fiber
// (Runtime::spawn_pinned).
template <class F>
JoinHandle<std::invoke_result_t<F>> spawn_pinned(unsigned worker, std::string name, F&& f) {
  return detail::spawn_task(nullptr, &name, worker, std::forward<F>(f));
}
// current_worker(): the index of the worker the calling fiber runs on
// (0 .. workers()-1), or kAnyWorker outside a runtime's thread.
unsigned current_worker() noexcept;

namespace this_fiber {
// yield(): lets other runnable fibers run; returns at once if there are none.
void yield();
// sleep_for / sleep_until park the fiber until the time (virtual time in
// deterministic mode); woken by the worker's timer.
void sleep_for(Duration d);
void sleep_until(TimePoint deadline);
// name() of the calling fiber ("" outside a fiber).
std::string name();
bool on_fiber() noexcept;
// step(): on a deterministic runtime, the step the calling fiber runs in, as
// traces and divergences number them (1 is the run's first); 0 elsewhere.
std::uint64_t step() noexcept;
}  // namespace this_fiber

// yield_point(where) marks a window that no access of a ChoiceAtomic
// (choice_point.h) labels: in deterministic mode the policy may switch
// fibers here; elsewhere it is one predictable branch.
void yield_point(const char* where);

}  // namespace tmpmc::runtime
