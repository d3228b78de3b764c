// history.h: the operations a stress run performed on its queue, with when
// each was invoked and when it returned, for the linearizability check
// (linearizability.h). Recorded by recorded_queue.h on deterministic runs
// only: one fiber runs at a time, so the order in which invocations and
// responses are appended is the run's real-time order.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tmpmc::scenarios {

// What a client asked the queue. A batch (send_many, receive_many and their
// try and timed variants) is recorded as one operation of the single kind per
// message it carried, all with the batch's interval (recorded_queue.h).
enum class OpKind : std::uint8_t {
  send,         // parks while full
  try_send,     // never parks
  send_for,     // parks while full, up to a timeout
  receive,      // parks while empty
  try_receive,  // never parks
  receive_for,  // parks while empty, up to a timeout
  close,
  len,
  is_empty,
  is_full,
  is_closed,
};

// is_send(), is_receive(): the kinds that carry a message in, or out.
constexpr bool is_send(OpKind kind) noexcept {
  return kind == OpKind::send || kind == OpKind::try_send || kind == OpKind::send_for;
}
constexpr bool is_receive(OpKind kind) noexcept {
  return kind == OpKind::receive || kind == OpKind::try_receive || kind == OpKind::receive_for;
}

// What the queue answered. `error` is the seed design's Err(Closed) from a
// receive: our contract has no such answer (queue_spec.h).
enum class OpStatus : std::uint8_t { ok, full, empty, closed, timeout, error, pending };

// Operation: one call. `message` is the packed message id (driver_run_state.h)
// a send carried or a receive returned (status ok); `answer` is what len()
// returned, or 1/0 for close(), is_empty(), is_full() and is_closed().
struct Operation {
  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

  std::uint32_t client = 0;  // index into History::clients()
  OpKind kind = OpKind::send;
  OpStatus status = OpStatus::pending;
  std::uint64_t message = 0;
  std::uint64_t answer = 0;
  // Positions in the history's event order: an operation A precedes B in real
  // time exactly when A.responded < B.invoked. responded is kNever while the
  // call has not returned (its fiber hung, or was unwound).
  std::uint64_t invoked = 0;
  std::uint64_t responded = kNever;
  // The deterministic runtime's steps (0: outside every fiber, after the run).
  std::uint64_t invoke_step = 0;
  std::uint64_t response_step = 0;

  bool returned() const noexcept { return responded != kNever; }
  // carries_message(): a send's argument, or a receive's value.
  bool carries_message() const noexcept;
};

class History {
 public:
  // invoke(): a call begins; returns its index for respond().
  std::size_t invoke(OpKind kind, std::uint64_t message = 0);
  // invoke_again(): another operation invoked with the one at `index` (the
  // same client, kind and invocation), for a batch's further messages;
  // returns its index for respond().
  std::size_t invoke_again(std::size_t index);
  // respond(): the call at `index` returned `status` (and `message`/`answer`).
  void respond(std::size_t index, OpStatus status, std::uint64_t message = 0,
               std::uint64_t answer = 0);

  const std::vector<Operation>& operations() const noexcept { return operations_; }
  const std::vector<std::string>& clients() const noexcept { return clients_; }
  bool empty() const noexcept { return operations_.empty(); }

 private:
  std::uint32_t client_of_caller();

  std::vector<Operation> operations_;
  std::vector<std::string> clients_;  // fiber names, in order of first call
  std::uint64_t events_ = 0;
};

const char* to_string(OpKind kind) noexcept;
const char* to_string(OpStatus status) noexcept;

// describe(): one line per operation, in invocation order, e.g.
//   "steps 3-9    producer-1  send(p1#0) -> ok"
std::vector<std::string> describe(const History& history, const std::vector<std::size_t>& ops);

}  // namespace tmpmc::scenarios
