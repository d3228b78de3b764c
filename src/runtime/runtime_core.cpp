#include "runtime_core.h"

#include <algorithm>
#include <cstdio>
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
    : options(normalized(std::move(options_in))), deterministic(options.deterministic) {
  // Before the workers: each keeps a pointer to it.
  if (deterministic) picker_ = std::make_unique<DeterministicPicker>(options);
  for (unsigned i = 0; i < options.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
  }
  // Shard `workers` takes spawns from outside, from any thread. A
  // deterministic runtime has one shard for all, locked: its ids are then
  // the spawn order (1, 2, 3, ...), the identity a schedule names fibers by.
  const unsigned shards = deterministic ? 1 : options.workers + 1;
  for (unsigned i = 0; i < shards; ++i) {
    registry_.push_back(std::make_unique<RegistryShard>(options.workers > 1 || i == options.workers ||
                                                        deterministic));
  }
}

RuntimeCore::~RuntimeCore() { cancel_all_fibers(); }

// ---------------------------------------------------------------- fibers

void RuntimeCore::submit(Fiber* fiber, Worker* worker, std::string* name) {
  fiber->runtime_ = this;
  if (name != nullptr) fiber->name_ = std::move(*name);
  const bool ours = worker != nullptr && &worker->core() == this;
  register_fiber(fiber, deterministic ? 0 : ours ? worker->index() : options.workers);
  if (ours) {
    worker->note_spawn();
    worker->make_runnable(fiber, true);
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

void RuntimeCore::RegistryShard::lock() noexcept {
  if (!shared) return;
  // Uncontended but for a fiber finishing on another worker than it was spawned on.
  while (locked.exchange(true, std::memory_order_acquire)) {
    while (locked.load(std::memory_order_relaxed)) std::this_thread::yield();
  }
}

void RuntimeCore::register_fiber(Fiber* fiber, std::uint32_t shard_index) {
  RegistryShard& shard = *registry_[shard_index];
  shard.lock();
  fiber->id_ = shard.spawned++ * registry_.size() + shard_index + 1;
  fiber->registry_shard_ = shard_index;
  fiber->registry_prev_ = nullptr;
  fiber->registry_next_ = shard.head;
  if (shard.head != nullptr) shard.head->registry_prev_ = fiber;
  shard.head = fiber;
  // Single writer (the lock holder): a plain increment, published for live_fibers().
  shard.live.store(shard.live.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  shard.unlock();
}

void RuntimeCore::unregister_fiber(Fiber* fiber) noexcept {
  RegistryShard& shard = *registry_[fiber->registry_shard_];
  shard.lock();
  if (fiber->registry_prev_ != nullptr) {
    fiber->registry_prev_->registry_next_ = fiber->registry_next_;
  } else {
    shard.head = fiber->registry_next_;
  }
  if (fiber->registry_next_ != nullptr)
    fiber->registry_next_->registry_prev_ = fiber->registry_prev_;
  fiber->registry_prev_ = fiber->registry_next_ = nullptr;
  shard.live.store(shard.live.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  shard.unlock();
}

template <class Visit>
void RuntimeCore::for_each_live_fiber(Visit&& visit) {
  for (auto& shard : registry_) {
    shard->lock();
    for (Fiber* f = shard->head; f != nullptr; f = f->registry_next_) visit(f);
    shard->unlock();
  }
}

std::size_t RuntimeCore::live_fibers() {
  // No lock: a count read while fibers come and go is a snapshot either way.
  std::size_t live = 0;
  for (auto& shard : registry_) live += shard->live.load(std::memory_order_relaxed);
  return live;
}

void RuntimeCore::fiber_finished(Fiber* fiber) noexcept {
  unregister_fiber(fiber);
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

// ---------------------------------------------------------------- reports and shutdown

StoppedError RuntimeCore::stopped_error(std::vector<std::string> fibers) const {
  const StopKind kind = picker_->stop().value_or(StopKind::interrupted);
  const std::string steps = std::to_string(picker_->steps());
  const std::string cap = std::to_string(options.max_steps);
  const std::string left = "; " + std::to_string(fibers.size()) + " fibers have not finished";
  switch (kind) {
    case StopKind::livelock:
      return StoppedError(kind,
                          "livelock: no fiber made progress in the last " +
                              std::to_string(picker_->steps_without_progress()) + " of " + steps +
                              " steps (max_steps " + cap + ")" + left,
                          std::move(fibers));
    case StopKind::runaway:
      return StoppedError(kind,
                          "runaway: the run reached max_steps (" + cap +
                              ") while still making progress (last " +
                              std::to_string(picker_->steps_without_progress()) +
                              " steps ago); raise max_steps if it is meant to run this long" + left,
                          std::move(fibers));
    case StopKind::diverged:
      return StoppedError(kind, picker_->divergence() + left, std::move(fibers));
    case StopKind::interrupted:
      break;
  }
  return StoppedError(kind, "interrupted: stopped after " + steps + " steps" + left,
                      std::move(fibers));
}

std::vector<std::string> RuntimeCore::describe_stuck_fibers() {
  std::vector<std::pair<std::uint64_t, std::string>> lines;
  for_each_live_fiber([&](Fiber* fiber) {
    std::string line = fiber->display_name() + ": ";
    const ParkState state = park_state(fiber->park_word_.load(std::memory_order_acquire));
    if (state == kParked && fiber->waiting_on_ != nullptr) {
      line += fiber->waiting_on_->label();
    } else if (state == kParked && fiber->waiting_for_ != nullptr) {
      line += fiber->waiting_for_;
    } else if (!fiber->started_) {
      line += "runnable, never started";
    } else if (fiber->last_switch_at_ != nullptr) {
      // A stopped deterministic run: where it keeps giving up the worker.
      line += std::string("runnable, last at ") + fiber->last_switch_at_;
    } else {
      line += "runnable";
    }
    lines.emplace_back(fiber->id_, std::move(line));
  });
  // Reports read best in spawn order.
  std::sort(lines.begin(), lines.end());
  std::vector<std::string> report;
  for (auto& [id, line] : lines) report.push_back(std::move(line));
  return report;
}

std::vector<Fiber*> RuntimeCore::drain_run_queues() {
  std::vector<Fiber*> drained;
  for (auto& worker : workers_) {
    auto more = worker->drain();
    drained.insert(drained.end(), more.begin(), more.end());
  }
  while (Fiber* fiber = take_injected()) drained.push_back(fiber);
  if (picker_) {
    auto more = picker_->take_all();
    drained.insert(drained.end(), more.begin(), more.end());
  }
  return drained;
}

void RuntimeCore::finish_operations() noexcept {
  Worker* worker0 = workers_[0].get();
  // An operation is a few accesses (a spin waits for another fiber's): a
  // correct program is done within a handful of rounds.
  constexpr int kMaxRounds = 10'000;
  for (int round = 0; round < kMaxRounds; ++round) {
    std::vector<Fiber*> inside;
    for (Fiber* fiber : drain_run_queues()) {
      if (fiber->at_inner_point_) inside.push_back(fiber);
    }
    if (inside.empty()) return;
    for (Fiber* fiber : inside) worker0->run_to_finish_operation(fiber);
  }
  std::fprintf(stderr, "tmpmc runtime: fibers did not finish their operations at teardown\n");
}

void RuntimeCore::cancel_all_fibers() noexcept {
  Worker* worker0 = workers_[0].get();
  Worker::set_current(worker0);
  stopping_.store(true);  // every unwound fiber switches straight back here
  if (picker_) finish_operations();
  for (int round = 0; round < 8; ++round) {
    drain_run_queues();  // the registry holds them all; queues must not keep stale pointers
    std::vector<Fiber*> alive;
    for_each_live_fiber([&](Fiber* f) {
      f->retain();
      alive.push_back(f);
    });
    if (alive.empty()) break;
    for (Fiber* fiber : alive) {
      if (!fiber->finished()) {
        if (!fiber->started_) {
          fiber->error_ = std::make_exception_ptr(
              std::runtime_error("fiber '" + fiber->display_name() +
                                 "' cancelled before it ran: its runtime was destroyed"));
          fiber->mark_finished();
          fiber_finished(fiber);
        } else if (!fiber->cancelled_ && !fiber->at_inner_point_) {
          // (One still inside an operation is leaked, not unwound half-way.)
          worker0->run_to_cancel(fiber);
        }
      }
      fiber->release();
    }
  }
  drain_run_queues();
  // Idle carriers hold stacks but no fiber: each returns, and its stack is freed.
  for (auto& worker : workers_) worker0->release_carriers(*worker);
  if (const std::size_t left = live_fibers(); left != 0) {
    std::fprintf(stderr,
                 "tmpmc runtime: %zu fibers kept parking while being unwound; they are leaked\n",
                 left);
  }
  Worker::set_current(nullptr);
}

RuntimeStats RuntimeCore::stats() const {
  RuntimeStats total;
  for (const auto& worker : workers_) worker->add_counters_to(total);
  total.wakes += external_wakes_.load(std::memory_order_relaxed);
  total.spawns += external_spawns_.load(std::memory_order_relaxed);
  return total;
}

}  // namespace tmpmc::runtime::detail
