// policy.h: how a deterministic runtime chooses the next fiber.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "tmpmc/runtime/runtime.h"

namespace tmpmc::runtime::detail {

class Fiber;

// Policy: one decision per scheduling step. `runnable` is in a deterministic
// order (the order fibers became runnable); `previous` is the id of the fiber
// that just gave up the worker (it may be among `runnable`, at a yield point).
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::uint32_t pick(std::span<const std::uint64_t> runnable_ids, std::uint64_t previous,
                             std::uint64_t step) = 0;
};

std::unique_ptr<Policy> make_policy(const SchedulePolicy& config, std::uint64_t seed);

}  // namespace tmpmc::runtime::detail
