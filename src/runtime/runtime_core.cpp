// runtime_core.cpp: a runtime's start, its spawns and schedules, the
// injection queue, idle workers, and block_on.
#include "runtime_core.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <thread>

#include "sanitizer.h"
#include "worker.h"

namespace tmpmc::runtime::detail {

namespace {
Options normalized(Options options) {
  if (options.deterministic) {
    if (options.workers > 1) {
      throw std::invalid_argument("runtime: deterministic mode runs on exactly 1 worker, got " +
                                  std::to_string(options.workers));
    }
    options.workers = 1;
  }
  if (options.workers == 0) options.workers = std::max(1u, std::thread::hardware_concurrency());
  if (options.stack_size < 16 * 1024) {
    throw std::invalid_argument("runtime: stack_size must be at least 16 KiB, got " +
                                std::to_string(options.stack_size));
  }
  return options;
}
}  // namespace

RuntimeCore::RuntimeCore(Options options_in)
    : options(normalized(std::move(options_in))),
      deterministic(options.deterministic),
      registry_(options.workers, options.deterministic) {
  // Before the workers: each keeps a pointer to it.
  if (deterministic) picker_ = std::make_unique<DeterministicPicker>(options);
  for (unsigned i = 0; i < options.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
  }
}

RuntimeCore::~RuntimeCore() { cancel_all_fibers(); }

// ---------------------------------------------------------------- fibers

void RuntimeCore::submit(Fiber* fiber, Worker* caller, std::string* name, unsigned home) {
  if (home != kAnyWorker && home >= workers_.size()) {
    fiber->release();  // the runtime's reference; the caller's JoinHandle drops the other
    throw std::invalid_argument("runtime: spawn_pinned on worker " + std::to_string(home) +
                                " of a runtime with " + std::to_string(workers_.size()) +
                                " workers");
  }
  fiber->runtime_ = this;
  if (name != nullptr) fiber->name_ = std::move(*name);
  // One worker: every fiber is on it already, and a deterministic run stays
  // exactly as it was (the pin is not a scheduling event).
  if (home != kAnyWorker && workers_.size() > 1) {
    fiber->home_ = home;
    if (!pinned_fibers_.load(std::memory_order_relaxed)) {
      pinned_fibers_.store(true, std::memory_order_relaxed);  // a hint: see has_pinned_fibers()
    }
  }
  const bool ours = caller != nullptr && &caller->core() == this;
  registry_.add(fiber, deterministic ? 0 : ours ? caller->index() : registry_.outside_shard());
  if (ours) {
    caller->note_spawn();
    caller->make_runnable(fiber, true);  // a fiber pinned elsewhere goes to its worker's inbox
  } else {
    external_spawns_.fetch_add(1, std::memory_order_relaxed);
    inject(fiber);
  }
}

void RuntimeCore::schedule(Fiber* fiber, bool run_next) {
  Worker* worker = Worker::current();
  if (worker != nullptr && &worker->core() == this) {
    worker->make_runnable(fiber, run_next);
  } else {
    inject(fiber);
  }
}

std::size_t RuntimeCore::live_fibers() { return registry_.live(); }

void RuntimeCore::fiber_finished(Fiber* fiber) noexcept {
  registry_.remove(fiber);
  if (picker_) picker_->note_progress();
  sanitizer::destroy_fiber(std::exchange(fiber->tsan_fiber_, nullptr));
  if (fiber->is_root_) {
    stopping_.store(true, std::memory_order_seq_cst);
    wake_all_workers();
  }
  fiber->release();
}

// ---------------------------------------------------------------- injection and idle workers

void RuntimeCore::inject(Fiber* fiber) {
  // A pinned fiber may run on its own worker only: its inbox, not the
  // queue every worker takes from.
  if (fiber->home_ != kAnyWorker) {
    workers_[fiber->home_]->post(fiber);
    return;
  }
  {
    std::lock_guard lock(injected_mu_);
    fiber->next_runnable_ = nullptr;
    if (injected_tail_ != nullptr) {
      injected_tail_->next_runnable_ = fiber;
    } else {
      injected_head_ = fiber;
    }
    injected_tail_ = fiber;
    // seq_cst: pairs with a sleeping worker's announce-then-recheck.
    injected_count_.fetch_add(1, std::memory_order_seq_cst);
  }
  wake_idle_worker(true);
}

Fiber* RuntimeCore::take_injected() {
  if (injected_count_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard lock(injected_mu_);
  Fiber* fiber = injected_head_;
  if (fiber == nullptr) return nullptr;
  injected_head_ = fiber->next_runnable_;
  if (injected_head_ == nullptr) injected_tail_ = nullptr;
  fiber->next_runnable_ = nullptr;
  injected_count_.fetch_sub(1, std::memory_order_relaxed);
  return fiber;
}

void RuntimeCore::wake_idle_worker(bool include_watchful) noexcept {
  for (auto& worker : workers_) {
    if (worker->wake_if_sleeping(include_watchful)) return;
  }
}

void RuntimeCore::wake_all_workers() noexcept {
  for (auto& worker : workers_) worker->wake_thread();
}

bool RuntimeCore::any_worker_holds_work() const noexcept {
  for (const auto& worker : workers_) {
    if (worker->holds_work()) return true;
  }
  return false;
}

void RuntimeCore::declare_stuck(Stuck kind) noexcept {
  Stuck expected = Stuck::no;
  stuck_.compare_exchange_strong(expected, kind);
  stopping_.store(true, std::memory_order_seq_cst);
  wake_all_workers();
}

// ---------------------------------------------------------------- block_on

void RuntimeCore::run_root(Fiber* root) {
  if (Worker::current() != nullptr) {
    root->release();  // the runtime's reference: it will never run
    throw std::logic_error("block_on called from inside a runtime (use spawn and join)");
  }
  stopping_.store(false);
  stuck_.store(Stuck::no);
  root->is_root_ = true;  // written before the root is published to any worker
  root->name_ = "root";
  if (picker_) picker_->begin_run();
  submit(root, nullptr);  // from outside: worker 0 takes it from the injection queue
  watchdog_deadline_.reset();
  if (!deterministic && options.watchdog.count() > 0)
    watchdog_deadline_ = Clock::now() + options.watchdog;

  std::vector<std::thread> threads;
  try {
    for (std::size_t i = 1; i < workers_.size(); ++i) {
      Worker* worker = workers_[i].get();
      threads.emplace_back([worker] {
        // Timers that fire on time (pacing.h): for the thread's life.
        const TimerSlack slack;
        Worker::set_current(worker);
        worker->loop();
        Worker::set_current(nullptr);
      });
    }
  } catch (...) {
    declare_stuck(Stuck::no);
    for (auto& thread : threads) thread.join();
    throw;
  }
  {
    // The caller's thread is worker 0 until the root finishes; its own timer
    // slack comes back after that. Virtual time needs none (and a stress run
    // calls this once per seed).
    std::optional<TimerSlack> slack;
    if (!deterministic) slack.emplace();
    Worker::set_current(workers_[0].get());
    workers_[0]->loop();
    Worker::set_current(nullptr);
  }
  stopping_.store(true, std::memory_order_seq_cst);
  wake_all_workers();
  for (auto& thread : threads) thread.join();

  // A run that ended by itself ended where its policy expected (a replay
  // that has steps left diverged from its recording).
  if (picker_ && stuck_.load() != Stuck::stopped && !picker_->end_of_run()) {
    stuck_.store(Stuck::stopped);
  }
  const Stuck outcome = stuck_.load();
  if (outcome != Stuck::no) {
    std::vector<std::string> parked = describe_stuck_fibers();
    if (outcome == Stuck::stopped) {
      // Written before the unwinding, whose finishing fibers count as progress.
      StoppedError stopped = stopped_error(std::move(parked));
      cancel_all_fibers();
      throw stopped;
    }
    cancel_all_fibers();
    const std::string n = std::to_string(parked.size());
    if (outcome == Stuck::deadlock) {
      throw DeadlockError(
          "deadlock: all " + n + " remaining fibers are parked and no timer is pending",
          std::move(parked));
    }
    throw HangError("hang: the root fiber did not finish within " +
                        std::to_string(options.watchdog.count()) + " ms; " + n +
                        " fibers have not finished",
                    std::move(parked));
  }
}

RuntimeStats RuntimeCore::stats() const {
  RuntimeStats total;
  for (const auto& worker : workers_) worker->add_counters_to(total);
  total.wakes += external_wakes_.load(std::memory_order_relaxed);
  total.spawns += external_spawns_.load(std::memory_order_relaxed);
  return total;
}

}  // namespace tmpmc::runtime::detail
