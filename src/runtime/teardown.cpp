// teardown.cpp: unwinding every fiber a runtime still holds (at destruction,
// and after a deadlock, hang or stopped run), never one half-way through an
// operation.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime_core.h"
#include "sanitizer.h"
#include "worker.h"

namespace tmpmc::runtime::detail {

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
    registry_.for_each([&](Fiber* f) {
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

}  // namespace tmpmc::runtime::detail
