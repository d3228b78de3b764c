// threads_queue.h: ThreadQueue<T>, the bounded queue of programs without
// fibers: a ring under one std::mutex, with a std::condition_variable for
// "not full" and one for "not empty". Every block parks an OS thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <expected>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "tmpmc/queue/detail/value_api.h"
#include "tmpmc/queue/status.h"

namespace tmpmc::scenarios::backends {

template <class T>
class ThreadQueue : public detail::SendApi<ThreadQueue<T>, T>,
                    public detail::ReceiveApi<ThreadQueue<T>, T> {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ThreadQueue(std::size_t capacity, const std::string& = {}) : slots_(capacity) {}

  bool close() {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return false;
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
    return true;
  }
  std::size_t len() const {
    std::lock_guard lock(mutex_);
    return size_;
  }

  // The primitives of detail/value_api.h, which adds send, receive and the rest.

 private:
  friend detail::SendApi<ThreadQueue, T>;
  friend detail::ReceiveApi<ThreadQueue, T>;
  ThreadQueue& primitives() noexcept { return *this; }

  static Clock::time_point now() { return Clock::now(); }
  QueueStatus send_from(T& value, const Clock::time_point* deadline) {
    std::unique_lock lock(mutex_);
    auto ready = [this] { return closed_ || size_ < slots_.size(); };
    if (deadline == nullptr) {
      not_full_.wait(lock, ready);
    } else if (!not_full_.wait_until(lock, *deadline, ready)) {
      return QueueStatus::timeout;
    }
    if (closed_) return QueueStatus::closed;
    slots_[(head_ + size_) % slots_.size()].emplace(std::move(value));
    ++size_;
    lock.unlock();
    not_empty_.notify_one();
    return QueueStatus::ok;
  }
  QueueStatus try_receive_into(std::optional<T>& out) {
    std::unique_lock lock(mutex_);
    if (size_ == 0) return closed_ ? QueueStatus::closed : QueueStatus::empty;
    take(out);
    lock.unlock();
    not_full_.notify_one();
    return QueueStatus::ok;
  }
  QueueStatus receive_into(std::optional<T>& out, const Clock::time_point* deadline) {
    std::unique_lock lock(mutex_);
    auto ready = [this] { return closed_ || size_ > 0; };
    if (deadline == nullptr) {
      not_empty_.wait(lock, ready);
    } else if (!not_empty_.wait_until(lock, *deadline, ready)) {
      return QueueStatus::timeout;
    }
    if (size_ == 0) return QueueStatus::closed;  // closed and drained
    take(out);
    lock.unlock();
    not_full_.notify_one();
    return QueueStatus::ok;
  }

  void take(std::optional<T>& out) {
    out.emplace(std::move(*slots_[head_]));
    slots_[head_].reset();
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable not_full_, not_empty_;
  std::vector<std::optional<T>> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  bool closed_ = false;
};

}  // namespace tmpmc::scenarios::backends
