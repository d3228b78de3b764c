// deterministic_picker.h: how a deterministic runtime picks the next fiber,
// and the record of its picks (trace hash, choices, trace).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "policy.h"
#include "tmpmc/runtime/runtime.h"

namespace tmpmc::runtime::detail {

class Fiber;

// DeterministicPicker: the policy (policy.h) plus what each of its choices
// leaves behind. Touched only by the runtime's one worker thread, and read
// once that has stopped.
class DeterministicPicker {
 public:
  explicit DeterministicPicker(const Options& options);

  // choose() asks the policy, records the choice and removes the fiber from
  // `runnable` (which must not be empty). `previous` gave up the worker at `at`.
  Fiber* choose(RunnableSet& runnable, Fiber* previous, const char* at);

  std::uint64_t trace_hash() const noexcept { return trace_hash_; }
  const std::vector<std::uint32_t>& choices() const noexcept { return choices_; }
  const std::vector<TraceEvent>& trace() const noexcept { return trace_; }

 private:
  const Options& options_;
  std::unique_ptr<Policy> policy_;
  std::uint64_t trace_hash_ = 0;
  std::uint64_t step_ = 0;
  std::vector<std::uint32_t> choices_;
  std::vector<TraceEvent> trace_;
};

}  // namespace tmpmc::runtime::detail
