// join_handle.h: JoinHandle<T>, the result of spawn().
#pragma once

#include <utility>

#include "tmpmc/runtime/detail/fiber.h"

namespace tmpmc::runtime {

// JoinHandle<T> owns a reference to a spawned fiber. join() suspends the
// calling fiber (never its worker thread) until the fiber finishes, then
// returns its value or rethrows its exception. Dropping the handle without
// joining detaches the fiber: it runs on, and its result is discarded.
template <class T>
class JoinHandle {
 public:
  JoinHandle() = default;
  explicit JoinHandle(detail::Task<T>* task) noexcept : task_(task) {}
  JoinHandle(JoinHandle&& other) noexcept : task_(std::exchange(other.task_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    if (this != &other) {
      reset();
      task_ = std::exchange(other.task_, nullptr);
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() { reset(); }

  // join() may park: it is woken when the fiber finishes. Call it once, from a fiber.
  T join() {
    task_->join_wait();
    return take_finished();
  }

  // take_finished() returns the result of a fiber known to have finished,
  // without parking: for block_on, which runs on a plain thread.
  T take_finished() {
    detail::Task<T>* task = std::exchange(task_, nullptr);
    struct Release {
      detail::Task<T>* t;
      ~Release() { t->release(); }
    } release{task};
    return task->take_result();
  }

  bool is_finished() const noexcept { return task_ != nullptr && task_->finished(); }
  bool valid() const noexcept { return task_ != nullptr; }
  const std::string& name() const noexcept { return task_->name(); }

 private:
  void reset() noexcept {
    if (task_ != nullptr) std::exchange(task_, nullptr)->release();
  }
  detail::Task<T>* task_ = nullptr;
};

}  // namespace tmpmc::runtime
