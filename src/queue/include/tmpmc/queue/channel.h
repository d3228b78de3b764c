// channel.h: channel<T>(capacity), a Queue split into Sender and Receiver.
//
// Both handles are copyable; each copy counts. The last Sender destroyed closes
// the channel: receivers drain what was sent, then see closed. The last
// Receiver destroyed closes it too, so that a sender never parks forever on a
// channel nobody reads: sends then fail with QueueError::Closed.
//
// The semantics of every operation are Queue<T>'s (queue.h).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "tmpmc/queue/queue.h"

namespace tmpmc {

template <class T>
class Sender;
template <class T>
class Receiver;

namespace detail {

template <class T>
struct ChannelState {
  ChannelState(std::size_t capacity, std::string name) : core(capacity, std::move(name)) {}
  QueueCore<T> core;
  std::atomic<std::size_t> senders{0};
  std::atomic<std::size_t> receivers{0};
};

// Endpoint: the shared bookkeeping of Sender and Receiver copies.
template <class T, std::atomic<std::size_t> ChannelState<T>::*Count>
class Endpoint {
 public:
  explicit Endpoint(std::shared_ptr<ChannelState<T>> state) : state_(std::move(state)) {
    acquire();
  }
  Endpoint(const Endpoint& other) : state_(other.state_) { acquire(); }
  Endpoint(Endpoint&& other) noexcept = default;
  Endpoint& operator=(const Endpoint& other) {
    if (this != &other) {
      release();
      state_ = other.state_;
      acquire();
    }
    return *this;
  }
  Endpoint& operator=(Endpoint&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~Endpoint() { release(); }

 protected:
  std::shared_ptr<ChannelState<T>> state_;

 private:
  void acquire() noexcept {
    if (state_) ((*state_).*Count).fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    // acq_rel: the last one out sees every other endpoint's sends before closing.
    if (state_ && ((*state_).*Count).fetch_sub(1, std::memory_order_acq_rel) == 1) {
      try {
        state_->core.close();
      } catch (...) {
        // ignored: close() throws only the runtime's shutdown unwinding; the channel is closed.
      }
    }
    state_.reset();
  }
};

}  // namespace detail

template <class T>
class Sender : public detail::Endpoint<T, &detail::ChannelState<T>::senders>,
               public detail::SendApi<Sender<T>, T> {
  using Base = detail::Endpoint<T, &detail::ChannelState<T>::senders>;

 public:
  using Base::Base;

  // send, try_send, send_until, send_for: as Queue<T>'s (detail/value_api.h).

  // close() closes the channel for every endpoint.
  bool close() { return primitives().close(); }

  bool is_closed() const { return this->state_->core.is_closed(); }
  std::size_t len() const { return this->state_->core.len(); }
  std::size_t capacity() const noexcept { return this->state_->core.capacity(); }
  std::size_t sender_count() const noexcept { return this->state_->senders.load(); }
  std::size_t receiver_count() const noexcept { return this->state_->receivers.load(); }

 private:
  friend detail::SendApi<Sender, T>;
  [[gnu::always_inline]] detail::QueueCore<T>& primitives() noexcept { return this->state_->core; }
};

template <class T>
class Receiver : public detail::Endpoint<T, &detail::ChannelState<T>::receivers>,
                 public detail::ReceiveApi<Receiver<T>, T> {
  using Base = detail::Endpoint<T, &detail::ChannelState<T>::receivers>;

 public:
  using Base::Base;

  // receive, try_receive, receive_until, receive_for: as Queue<T>'s
  // (detail/value_api.h).

  bool close() { return primitives().close(); }

  bool is_closed() const { return this->state_->core.is_closed(); }
  std::size_t len() const { return this->state_->core.len(); }
  bool is_empty() const { return len() == 0; }
  std::size_t capacity() const noexcept { return this->state_->core.capacity(); }
  std::size_t sender_count() const noexcept { return this->state_->senders.load(); }
  std::size_t receiver_count() const noexcept { return this->state_->receivers.load(); }

 private:
  friend detail::ReceiveApi<Receiver, T>;
  [[gnu::always_inline]] detail::QueueCore<T>& primitives() noexcept { return this->state_->core; }
};

// channel<T>(capacity, name): throws std::invalid_argument for capacity 0.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity, std::string name = "channel") {
  auto state = std::make_shared<detail::ChannelState<T>>(capacity, std::move(name));
  return {Sender<T>(state), Receiver<T>(state)};
}

}  // namespace tmpmc
