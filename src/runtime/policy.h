// policy.h: how a deterministic runtime chooses the next fiber.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "tmpmc/runtime/runtime.h"

namespace tmpmc::runtime::detail {

class Fiber;

using RunnableSet = std::deque<Fiber*>;

// Policy: one decision per scheduling step: an index into `runnable`, whose
// order is deterministic (the order fibers became runnable, except that a pick
// from the middle moves the last fiber into its place). `previous` is the id of
// the fiber that just gave up the worker (it may be in `runnable`, at a yield
// point). Constant time for every policy but PCT, which is linear.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::uint32_t pick(const RunnableSet& runnable, std::uint64_t previous,
                             std::uint64_t step) = 0;
};

std::unique_ptr<Policy> make_policy(const SchedulePolicy& config, std::uint64_t seed);

}  // namespace tmpmc::runtime::detail
