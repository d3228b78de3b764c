// history.cpp: recording and printing a run's operations (history.h).
#include "tmpmc/scenarios/history.h"

#include <algorithm>
#include <cstdio>

#include "tmpmc/runtime/runtime.h"
#include "tmpmc/scenarios/checker.h"

namespace tmpmc::scenarios {

bool Operation::carries_message() const noexcept {
  return is_send(kind) || (is_receive(kind) && status == OpStatus::ok);
}

std::size_t History::invoke(OpKind kind, std::uint64_t message) {
  Operation op;
  op.client = client_of_caller();
  op.kind = kind;
  op.message = message;
  op.invoked = events_++;
  op.invoke_step = runtime::this_fiber::step();
  operations_.push_back(op);
  return operations_.size() - 1;
}

std::size_t History::invoke_again(std::size_t index) {
  Operation op = operations_[index];
  op.status = OpStatus::pending;
  op.responded = Operation::kNever;
  op.response_step = 0;
  operations_.push_back(op);
  return operations_.size() - 1;
}

void History::respond(std::size_t index, OpStatus status, std::uint64_t message,
                      std::uint64_t answer) {
  Operation& op = operations_[index];
  op.status = status;
  if (is_receive(op.kind)) op.message = message;  // the value received (status ok)
  op.answer = answer;
  op.responded = events_++;
  op.response_step = runtime::this_fiber::step();
}

std::uint32_t History::client_of_caller() {
  std::string name = runtime::this_fiber::name();
  if (name.empty()) name = "driver";  // draining the queue after the run
  const auto it = std::find(clients_.begin(), clients_.end(), name);
  if (it != clients_.end()) return static_cast<std::uint32_t>(it - clients_.begin());
  clients_.push_back(std::move(name));
  return static_cast<std::uint32_t>(clients_.size() - 1);
}

const char* to_string(OpKind kind) noexcept {
  switch (kind) {
    case OpKind::send:
      return "send";
    case OpKind::try_send:
      return "try_send";
    case OpKind::send_for:
      return "send_for";
    case OpKind::receive:
      return "receive";
    case OpKind::try_receive:
      return "try_receive";
    case OpKind::receive_for:
      return "receive_for";
    case OpKind::close:
      return "close";
    case OpKind::len:
      return "len";
    case OpKind::is_empty:
      return "is_empty";
    case OpKind::is_full:
      return "is_full";
    case OpKind::is_closed:
      return "is_closed";
  }
  return "?";
}

const char* to_string(OpStatus status) noexcept {
  switch (status) {
    case OpStatus::ok:
      return "ok";
    case OpStatus::full:
      return "full";
    case OpStatus::empty:
      return "empty";
    case OpStatus::closed:
      return "closed";
    case OpStatus::timeout:
      return "timeout";
    case OpStatus::error:
      return "error";
    case OpStatus::pending:
      return "(never returned)";
  }
  return "?";
}

namespace {

std::string message_name(std::uint64_t packed) {
  return "p" + std::to_string(packed >> ConsumerLog::kSeqBits) + "#" +
         std::to_string(packed & ((std::uint64_t{1} << ConsumerLog::kSeqBits) - 1));
}

std::string call_of(const Operation& op) {
  return std::string(to_string(op.kind)) + "(" +
         (is_send(op.kind) ? message_name(op.message) : "") + ")";
}

std::string answer_of(const Operation& op) {
  if (!op.returned()) return to_string(op.status);
  switch (op.kind) {
    case OpKind::receive:
    case OpKind::try_receive:
    case OpKind::receive_for:
      return op.status == OpStatus::ok ? message_name(op.message) : to_string(op.status);
    case OpKind::close:
    case OpKind::is_empty:
    case OpKind::is_full:
    case OpKind::is_closed:
      return op.answer ? "true" : "false";
    case OpKind::len:
      return std::to_string(op.answer);
    default:
      return to_string(op.status);
  }
}

std::string steps_of(const Operation& op) {
  if (op.invoke_step == 0) return "after the run";  // outside every fiber
  std::string text = "steps " + std::to_string(op.invoke_step) + "-";
  text += op.returned() ? std::to_string(op.response_step) : std::string("...");
  return text;
}

}  // namespace

std::vector<std::string> describe(const History& history, const std::vector<std::size_t>& ops) {
  std::vector<std::size_t> order = ops;
  const auto& all = history.operations();
  std::sort(order.begin(), order.end(),
            [&all](std::size_t a, std::size_t b) { return all[a].invoked < all[b].invoked; });
  std::size_t steps_width = 0, client_width = 0;
  for (const std::size_t i : order) {
    steps_width = std::max(steps_width, steps_of(all[i]).size());
    client_width = std::max(client_width, history.clients()[all[i].client].size());
  }
  std::vector<std::string> lines;
  for (const std::size_t i : order) {
    const Operation& op = all[i];
    std::string steps = steps_of(op);
    steps.resize(steps_width, ' ');
    std::string client = history.clients()[op.client];
    client.resize(client_width, ' ');
    lines.push_back(steps + "  " + client + "  " + call_of(op) + " -> " + answer_of(op));
  }
  return lines;
}

}  // namespace tmpmc::scenarios
