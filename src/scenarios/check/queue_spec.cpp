// queue_spec.cpp: the sequential specification (queue_spec.h says it in words).
#include "tmpmc/scenarios/queue_spec.h"

namespace tmpmc::scenarios {

namespace {

bool full(const QueueSpecState& s, std::size_t capacity) { return s.values.size() >= capacity; }

// A send's answer.
bool apply_send(QueueSpecState& s, const Operation& op, std::size_t capacity) {
  switch (op.status) {
    case OpStatus::ok:
      if (s.closed || full(s, capacity)) return false;
      s.values.push_back(op.message);
      return true;
    case OpStatus::closed:
      return s.closed;
    case OpStatus::full:  // try_send only
      return op.kind == OpKind::try_send && !s.closed && full(s, capacity);
    case OpStatus::timeout:  // send_for only
      return op.kind == OpKind::send_for && !s.closed && full(s, capacity);
    default:
      return false;
  }
}

// A receive's answer.
bool apply_receive(QueueSpecState& s, const Operation& op) {
  switch (op.status) {
    case OpStatus::ok:
      if (s.values.empty() || s.values.front() != op.message) return false;
      s.values.erase(s.values.begin());
      return true;
    case OpStatus::closed:
      return s.closed && s.values.empty();
    case OpStatus::empty:  // try_receive only
      return op.kind == OpKind::try_receive && !s.closed && s.values.empty();
    case OpStatus::timeout:  // receive_for only
      return op.kind == OpKind::receive_for && !s.closed && s.values.empty();
    default:
      return false;
  }
}

}  // namespace

bool apply(QueueSpecState& s, const Operation& op, std::size_t capacity) {
  switch (op.kind) {
    case OpKind::send:
    case OpKind::try_send:
    case OpKind::send_for:
      return apply_send(s, op, capacity);
    case OpKind::receive:
    case OpKind::try_receive:
    case OpKind::receive_for:
      return apply_receive(s, op);
    case OpKind::close:
      if (op.answer == 0) return s.closed;
      if (s.closed) return false;
      s.closed = true;
      return true;
    case OpKind::len:
      return op.answer == s.values.size();
    case OpKind::is_empty:
      return (op.answer != 0) == s.values.empty();
    case OpKind::is_full:
      return (op.answer != 0) == full(s, capacity);
    case OpKind::is_closed:
      return (op.answer != 0) == s.closed;
  }
  return false;
}

bool apply_effect(QueueSpecState& s, const Operation& op, std::size_t capacity) {
  switch (op.kind) {
    case OpKind::send:
    case OpKind::try_send:
    case OpKind::send_for:
      if (s.closed || full(s, capacity)) return false;
      s.values.push_back(op.message);
      return true;
    case OpKind::receive:
    case OpKind::try_receive:
    case OpKind::receive_for:
      if (s.values.empty()) return false;
      s.values.erase(s.values.begin());
      return true;
    case OpKind::close:
      s.closed = true;
      return true;
    default:
      return false;
  }
}

}  // namespace tmpmc::scenarios
