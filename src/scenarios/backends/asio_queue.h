// asio_queue.h: AsioQueue<M, Drained>, Asio's experimental concurrent_channel
// (Boost 1.81's Asio 1.26) behind the close the asio and asio-drained impls
// give it (asio.cpp runs them; tests/peer_queues_test.cpp checks the close).
#pragma once

#include <atomic>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>

namespace tmpmc::scenarios::backends {

// AsioQueue: the channel, and close() as the impl maps the scenario's close
// (RunState::close calls it).
//
// asio-drained's close: a close request is answered by Asio's close() only
// once nothing is buffered and nothing is on its way: every send that
// started before the request has completed, and every value sent has been
// received. Each event that can make that true (the request, a send
// completing, a receive) checks it afterwards, so the last one closes. All
// seq_cst: a sender counts itself in in_flight_ and then reads asked_, the
// request sets asked_ and then reads in_flight_; weaker orders would let
// both miss the other, and the channel close with a value still arriving.
template <class M, bool Drained>
class AsioQueue {
 public:
  using Channel = boost::asio::experimental::concurrent_channel<void(boost::system::error_code, M)>;

  AsioQueue(boost::asio::io_context& io, std::size_t capacity)
      : channel_(io.get_executor(), capacity) {}

  Channel& channel() noexcept { return channel_; }
  bool close() {
    if constexpr (Drained) {
      asked_.store(true);
      close_if_drained();
    } else {
      channel_.close();
    }
    return true;
  }
  // release(): after a hang, whatever the impl: Asio's close(), and cancel(),
  // the only call that completes senders parked on a full channel.
  void release() {
    channel_.close();
    channel_.cancel();
  }

  // The drained protocol's events (asio-drained only).
  // begin_send(): false once a close was asked for (the send is refused).
  bool begin_send() {
    in_flight_.fetch_add(1);
    if (!asked_.load()) return true;
    end_send(false);
    return false;
  }
  void end_send(bool delivered) {
    if (delivered) sent_.fetch_add(1);
    in_flight_.fetch_sub(1);
    close_if_drained();
  }
  void received() {
    received_.fetch_add(1);
    close_if_drained();
  }

 private:
  void close_if_drained() {
    // in_flight_ first: once it reads 0 after the request, sent_ is final.
    if (!asked_.load() || in_flight_.load() != 0) return;
    if (sent_.load() != received_.load()) return;
    if (!closed_.exchange(true)) channel_.close();
  }

  Channel channel_;
  std::atomic<bool> asked_{false}, closed_{false};
  std::atomic<std::uint64_t> in_flight_{0}, sent_{0}, received_{0};
};

}  // namespace tmpmc::scenarios::backends
