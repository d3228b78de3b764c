// linearizability.cpp: the Wing-Gong/Lowe search and the witness reduction
// (linearizability.h).
#include "tmpmc/scenarios/linearizability.h"

#include <algorithm>
#include <unordered_set>

#include "tmpmc/runtime/rng.h"
#include "tmpmc/scenarios/queue_spec.h"

namespace tmpmc::scenarios {

namespace {

enum class Decision { yes, no, out_of_budget };

// Search: one decision over a subset of a history's operations.
class Search {
 public:
  Search(std::vector<Operation> ops, std::size_t capacity, std::uint64_t budget)
      : ops_(std::move(ops)),
        capacity_(capacity),
        budget_(budget),
        placed_((ops_.size() + 63) / 64, 0) {
    // By call order: the candidates at each point are a prefix of the
    // unplaced operations (those called before the earliest pending return).
    std::sort(ops_.begin(), ops_.end(),
              [](const Operation& a, const Operation& b) { return a.invoked < b.invoked; });
    for (const Operation& op : ops_) unplaced_returned_ += op.returned() ? 1 : 0;
  }

  Decision run() {
    QueueSpecState state;
    return place_next(state);
  }
  std::uint64_t configurations() const noexcept { return visited_; }

 private:
  struct KeyHash {
    std::size_t operator()(const std::vector<std::uint64_t>& key) const noexcept {
      std::uint64_t h = 0x6c696e;
      for (const std::uint64_t word : key) h = runtime::mix64(h, word);
      return static_cast<std::size_t>(h);
    }
  };

  bool placed(std::size_t i) const { return (placed_[i / 64] >> (i % 64)) & 1; }
  void flip(std::size_t i) { placed_[i / 64] ^= std::uint64_t{1} << (i % 64); }

  std::vector<std::uint64_t> key_of(const QueueSpecState& state) const {
    std::vector<std::uint64_t> key = placed_;
    key.push_back(state.closed ? 1 : 0);
    key.insert(key.end(), state.values.begin(), state.values.end());
    return key;
  }

  // place_next(): is there a linearisation of the unplaced operations from
  // `state`? Each level places one operation.
  Decision place_next(const QueueSpecState& state) {
    if (unplaced_returned_ == 0) return Decision::yes;
    if (++visited_ > budget_) return Decision::out_of_budget;
    std::vector<std::uint64_t> key = key_of(state);
    if (dead_ends_.contains(key)) return Decision::no;
    // Only an operation called before every unplaced one returned can come next.
    std::uint64_t first_return = Operation::kNever;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (!placed(i) && ops_[i].returned())
        first_return = std::min(first_return, ops_[i].responded);
    }
    for (std::size_t i = 0; i < ops_.size() && ops_[i].invoked < first_return; ++i) {
      if (placed(i)) continue;
      const Operation& op = ops_[i];
      QueueSpecState next = state;
      if (!(op.returned() ? apply(next, op, capacity_) : apply_effect(next, op, capacity_))) {
        continue;
      }
      flip(i);
      unplaced_returned_ -= op.returned() ? 1 : 0;
      const Decision d = place_next(next);
      unplaced_returned_ += op.returned() ? 1 : 0;
      flip(i);
      if (d != Decision::no) return d;
    }
    dead_ends_.insert(std::move(key));
    return Decision::no;
  }

  std::vector<Operation> ops_;
  std::size_t capacity_;
  std::uint64_t budget_;
  std::vector<std::uint64_t> placed_;  // a bit per operation
  std::size_t unplaced_returned_ = 0;
  std::uint64_t visited_ = 0;
  std::unordered_set<std::vector<std::uint64_t>, KeyHash> dead_ends_;
};

Decision decide(const History& history, const std::vector<std::size_t>& subset,
                std::size_t capacity, std::uint64_t budget, std::uint64_t* visited = nullptr) {
  std::vector<Operation> ops;
  ops.reserve(subset.size());
  for (const std::size_t i : subset) ops.push_back(history.operations()[i]);
  Search search(std::move(ops), capacity, budget);
  const Decision d = search.run();
  if (visited != nullptr) *visited = search.configurations();
  return d;
}

// counts_on_values(): an answer that needs values in the queue (dropping a
// message could make it wrong).
bool counts_on_values(const Operation& op) {
  if (!op.returned()) return false;
  switch (op.kind) {
    case OpKind::len:
      return true;
    case OpKind::is_empty:
      return op.answer == 0;
    case OpKind::is_full:
      return op.answer != 0;
    case OpKind::try_send:
      return op.status == OpStatus::full;
    case OpKind::send_for:
      return op.status == OpStatus::timeout;
    default:
      return false;
  }
}

// part_of_close(): a close call, or an answer that saw the queue closed.
bool part_of_close(const Operation& op) {
  if (op.kind == OpKind::close) return true;
  if (!op.returned()) return false;
  if (op.kind == OpKind::is_closed) return op.answer != 0;
  return op.status == OpStatus::closed;  // not an error: that holds in no state
}

// puts_or_takes(): a send whose value went in (or may have: it never
// returned), or a receive that took one. A try_send answered full or a send
// that timed out left the queue as it was: it is a single operation.
bool puts_or_takes(const Operation& op) {
  if (is_send(op.kind)) return !op.returned() || op.status == OpStatus::ok;
  return op.carries_message();
}

// The units of the reduction, in the order they are tried: single
// operations first (the cheapest to lose), then messages, then the close.
struct Unit {
  std::vector<std::size_t> ops;
  bool message = false;  // dropping it also drops counts_on_values() answers
};

std::vector<Unit> units_of(const History& history) {
  const auto& all = history.operations();
  std::vector<Unit> singles, messages;
  Unit close;
  std::vector<std::uint64_t> message_ids;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Operation& op = all[i];
    if (part_of_close(op)) {
      close.ops.push_back(i);
    } else if (puts_or_takes(op)) {
      const auto it = std::find(message_ids.begin(), message_ids.end(), op.message);
      if (it == message_ids.end()) {
        message_ids.push_back(op.message);
        messages.push_back(Unit{{i}, true});
      } else {
        messages[static_cast<std::size_t>(it - message_ids.begin())].ops.push_back(i);
      }
    } else {
      singles.push_back(Unit{{i}, false});
    }
  }
  std::vector<Unit> units = std::move(singles);
  units.insert(units.end(), messages.begin(), messages.end());
  if (!close.ops.empty()) units.push_back(std::move(close));
  return units;
}

std::vector<std::size_t> reduce(const History& history, std::size_t capacity,
                                std::uint64_t budget) {
  const auto& all = history.operations();
  std::vector<bool> kept(all.size(), true);
  const auto subset = [&kept] {
    std::vector<std::size_t> ops;
    for (std::size_t i = 0; i < kept.size(); ++i) {
      if (kept[i]) ops.push_back(i);
    }
    return ops;
  };
  const std::vector<Unit> units = units_of(history);
  for (bool dropped_any = true; dropped_any;) {
    dropped_any = false;
    for (const Unit& unit : units) {
      if (std::none_of(unit.ops.begin(), unit.ops.end(), [&](std::size_t i) { return kept[i]; })) {
        continue;
      }
      std::vector<bool> before = kept;
      for (const std::size_t i : unit.ops) kept[i] = false;
      if (unit.message) {
        for (std::size_t i = 0; i < all.size(); ++i) {
          if (counts_on_values(all[i])) kept[i] = false;
        }
      }
      const std::vector<std::size_t> rest = subset();
      // Still failing (and decided so): the unit was not needed.
      if (!rest.empty() && decide(history, rest, capacity, budget) == Decision::no) {
        dropped_any = true;
      } else {
        kept = std::move(before);
      }
    }
  }
  return subset();
}

}  // namespace

LinearizabilityVerdict check_linearizability(const History& history, std::size_t capacity,
                                             std::uint64_t budget) {
  LinearizabilityVerdict verdict;
  verdict.operations = history.operations().size();
  std::vector<std::size_t> all(history.operations().size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  switch (decide(history, all, capacity, budget, &verdict.configurations)) {
    case Decision::yes:
      verdict.kind = LinearizabilityVerdict::Kind::linearizable;
      break;
    case Decision::out_of_budget:
      verdict.kind = LinearizabilityVerdict::Kind::undecided;
      break;
    case Decision::no:
      verdict.kind = LinearizabilityVerdict::Kind::not_linearizable;
      verdict.witness = reduce(history, capacity, budget);
      break;
  }
  return verdict;
}

std::vector<std::string> report(const History& history, const LinearizabilityVerdict& verdict) {
  std::vector<std::string> lines;
  switch (verdict.kind) {
    case LinearizabilityVerdict::Kind::linearizable:
      break;
    case LinearizabilityVerdict::Kind::undecided:
      lines.push_back("linearizability undecided: " + std::to_string(verdict.operations) +
                      " operations, no decision within " +
                      std::to_string(verdict.configurations - 1) +
                      " configurations (a smaller scenario decides; not a pass)");
      break;
    case LinearizabilityVerdict::Kind::not_linearizable: {
      lines.push_back("not linearizable (" + std::to_string(verdict.witness.size()) +
                      " of the run's " + std::to_string(verdict.operations) +
                      " operations show it: no order of them, each placed between its call "
                      "and its return, gives these answers):");
      for (std::string& line : describe(history, verdict.witness)) lines.push_back("  " + line);
      break;
    }
  }
  return lines;
}

}  // namespace tmpmc::scenarios
