// runtime.cpp: the public face of the runtime (runtime.h).
#include "tmpmc/runtime/runtime.h"

#include <thread>

#include "runtime_core.h"
#include "worker.h"

namespace tmpmc::runtime {

using detail::Fiber;
using detail::RuntimeCore;
using detail::Worker;

// ---------------------------------------------------------------- Runtime

Runtime::Runtime(Options options) : core_(std::make_unique<RuntimeCore>(std::move(options))) {}
Runtime::~Runtime() = default;

void Runtime::run_root(Fiber* root) {
  root->retain();  // run_root's own reference while it runs
  struct Release {
    Fiber* f;
    ~Release() { f->release(); }
  } release{root};
  core_->run_root(root);
}

RuntimeStats Runtime::stats() const { return core_->stats(); }
std::size_t Runtime::live_fibers() const { return core_->live_fibers(); }
unsigned Runtime::workers() const noexcept { return core_->options.workers; }
bool Runtime::deterministic() const noexcept { return core_->deterministic; }
std::uint64_t Runtime::trace_hash() const noexcept { return core_->trace_hash(); }
std::vector<TraceEvent> Runtime::trace() const { return core_->trace(); }
Schedule Runtime::schedule() const { return core_->schedule(); }
ChoicePointSet Runtime::reached_choice_points() const {
  return core_->picker() != nullptr ? core_->picker()->reached() : ChoicePointSet{};
}

std::string StuckError::report() const {
  std::string text = what();
  for (const auto& line : parked_) text += "\n  " + line;
  return text;
}

unsigned current_worker() noexcept {
  const Worker* worker = Worker::current();
  return worker != nullptr ? worker->index() : detail::kAnyWorker;
}

// ---------------------------------------------------------------- time

TimePoint now() noexcept {
  Worker* worker = Worker::current();
  if (worker != nullptr && worker->deterministic()) {
    worker->note_clock_read();  // a read of the run's clock, for its trace (happens_before.h)
    return worker->core().virtual_now();
  }
  return Clock::now();
}

// ---------------------------------------------------------------- this_fiber

namespace this_fiber {

bool on_fiber() noexcept { return Worker::on_fiber() != nullptr; }

std::uint64_t step() noexcept {
  Worker* worker = Worker::on_fiber();
  return worker == nullptr ? 0 : worker->deterministic_step();
}

void yield() {
  Worker* worker = Worker::on_fiber();
  if (worker == nullptr) {
    std::this_thread::yield();
    return;
  }
  worker->yield_current("yield");
}

void sleep_until(TimePoint deadline) {
  Worker* worker = Worker::on_fiber();
  if (worker == nullptr) {
    std::this_thread::sleep_until(deadline);
    return;
  }
  if (deadline <= now()) {
    worker->yield_current("sleep");
    return;
  }
  // PARK: woken only by its timer (the token's epoch makes any other wake stale).
  worker->park_until(deadline, worker->current_fiber()->park_token(), nullptr, "sleep");
}

void sleep_for(Duration d) { sleep_until(now() + d); }

std::string name() {
  Worker* worker = Worker::on_fiber();
  return worker == nullptr ? std::string() : worker->current_fiber()->display_name();
}

}  // namespace this_fiber

void yield_point(const char* where) {
  Worker* worker = Worker::current();
  if (worker != nullptr && worker->deterministic()) [[unlikely]]
    worker->yield_point(where);
}

bool exploring() noexcept {
  Worker* worker = Worker::current();
  return worker != nullptr && worker->deterministic();
}

}  // namespace tmpmc::runtime
