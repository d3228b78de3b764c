// stack_pool.h: fiber stacks with a guard page, cached per worker.
#pragma once

#include <cstddef>
#include <vector>

namespace tmpmc::runtime::detail {

// StackPool hands out stacks of one size, each preceded by a PROT_NONE guard
// page so an overflow faults instead of corrupting a neighbour. Freed stacks
// are cached (up to a bound) for the next fiber. Owned by one worker thread:
// not thread-safe.
class StackPool {
 public:
  explicit StackPool(std::size_t usable_size);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // allocate() returns the lowest usable address; throws std::system_error
  // when the kernel refuses (memory, or vm.max_map_count).
  void* allocate();
  void deallocate(void* base) noexcept;
  std::size_t usable_size() const noexcept { return usable_size_; }

  // unmap frees a stack that no pool will take back.
  static void unmap(void* base, std::size_t usable_size) noexcept;

 private:
  static constexpr std::size_t kMaxCached = 256;
  std::size_t usable_size_;
  std::vector<void*> cached_;
};

}  // namespace tmpmc::runtime::detail
