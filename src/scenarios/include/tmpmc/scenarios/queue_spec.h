// queue_spec.h: the sequential specification of the bounded queue with close
// (DESIGN.md, "The queue's contract"), one operation at a time. The
// linearizability check (linearizability.h) asks it whether each operation,
// answering as it was recorded, is allowed in the state the operations
// linearised before it left, and what state follows.
//
//   state: the values in the queue, oldest first (at most `capacity`), and
//          whether it is closed (closed stays closed).
//
//   send(v)        ok:      open, not full; v goes in at the back
//                  closed:  closed (v is handed back; the queue is unchanged)
//                  A send on an open full queue does not happen here: it
//                  waits, and linearises later, at a state with room.
//   try_send(v)    as send, and full: open and full
//   send_for(v)    as send, and timeout: open and full
//   receive()      v:       not empty, v at the front; v leaves
//                  closed:  closed and empty
//                  an error (the seed design's Err(Closed)): never; a
//                  receive that finds the queue closed and drained answers
//                  "nothing", and one that finds a value takes it
//                  On an open empty queue it waits, as send does.
//   try_receive()  as receive, and empty: open and empty
//   receive_for()  as receive, and timeout: open and empty
//   close()        true:    open; it becomes closed.   false: already closed
//   len()          the number of values
//   is_empty(), is_full(), is_closed(): what they say
//
// A timed operation that timed out linearises, like a try that failed, at a
// point between its call and its return where its condition (room, or a
// value, or close) did not hold: it may time out only if there was such a
// point, so one that times out while a value sat in the queue all along is
// caught. (A stricter reading, "never held at any point of the wait", is
// wrong for any queue shared by several consumers: a value may arrive and be
// taken by another consumer while the timed receiver waits.)
//
// An operation that never returned (its fiber hung) may have taken effect
// or not: apply_effect() applies what it would have done, whatever it
// would have answered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tmpmc/scenarios/history.h"

namespace tmpmc::scenarios {

struct QueueSpecState {
  std::vector<std::uint64_t> values;  // oldest first
  bool closed = false;
  bool operator==(const QueueSpecState&) const = default;
};

// apply(): whether `op` (returned, answering as recorded) is allowed in
// `state`; if so, `state` becomes the state after it (otherwise it is left
// unchanged).
bool apply(QueueSpecState& state, const Operation& op, std::size_t capacity);

// apply_effect(): for an operation that never returned: whether it can take
// effect in `state` (a send with room on an open queue, a receive of a
// queued value, a close), and if so, takes it. Observers have no effect.
bool apply_effect(QueueSpecState& state, const Operation& op, std::size_t capacity);

}  // namespace tmpmc::scenarios
