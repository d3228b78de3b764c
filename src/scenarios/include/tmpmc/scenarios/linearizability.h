// linearizability.h: whether a recorded history (history.h) is linearizable
// with respect to the queue's sequential specification (queue_spec.h): is
// there an order of its operations, each placed between its call and its
// return, in which every answer is the specification's?
//
// The search is Wing and Gong's, as Lowe refined it (and porcupine and
// Knossos run it): take, among the operations not yet placed, one that was
// called before every remaining one had returned, apply it to the state, and
// go on; back up when none applies; remember every (placed set, state) pair
// already found to be a dead end. An operation that never returned may be
// placed (with its effect) or left out.
//
// A history that is not linearizable is reduced to a minimal witness: whole
// units are dropped while what is left still fails. A unit is a message (the
// send that put it in and every receive that took it), the close (every
// close call and every answer "closed"), or any other single operation (a
// try_send answered full is one: its value never went in). Dropping a message
// also drops the answers that counted on the queue holding it (len, is_empty
// false, is_full true, a "full" or a send's timeout), and dropping the close
// drops the answers that saw it closed: what is left then fails only if the
// whole history did, so the witness shows a real violation. The witness is
// minimal in that dropping any one more unit makes it pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tmpmc/scenarios/history.h"

namespace tmpmc::scenarios {

struct LinearizabilityVerdict {
  enum class Kind { linearizable, not_linearizable, undecided };
  Kind kind = Kind::linearizable;
  // not_linearizable: the minimal witness's operations (indices into the
  // history's operations()).
  std::vector<std::size_t> witness;
  std::size_t operations = 0;        // in the whole history
  std::uint64_t configurations = 0;  // (placed set, state) pairs the first search visited
};

// The search gives up, and the verdict is undecided, after this many
// configurations (a few hundred milliseconds).
inline constexpr std::uint64_t kLinearizabilityBudget = 1'000'000;

LinearizabilityVerdict check_linearizability(const History& history, std::size_t capacity,
                                             std::uint64_t budget = kLinearizabilityBudget);

// report(): the verdict's lines for a failure report: for not_linearizable,
// a heading and the witness (describe() in history.h); for undecided, why.
std::vector<std::string> report(const History& history, const LinearizabilityVerdict& verdict);

}  // namespace tmpmc::scenarios
