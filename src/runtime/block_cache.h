// block_cache.h: recycled memory for fiber control blocks.
#pragma once

#include <array>
#include <cstddef>
#include <new>

#include "sanitizer.h"

namespace tmpmc::runtime::detail {

// BlockCache keeps freed fiber control blocks (a spawned function's Task) for
// the next spawn on the same worker: spawn-and-join is the runtime's hottest
// allocation, and a worker-local free list makes it a pop and a push with no
// atomics. Blocks are rounded up to a size class and come from ::operator
// new, so any block can be freed anywhere: on a worker it joins that
// worker's cache (up to a bound), elsewhere it goes back to ::operator delete.
// Owned by one worker thread: not thread-safe.
class BlockCache {
 public:
  static constexpr std::size_t kGranule = 64;
  static constexpr std::size_t kClasses = 8;  // 64 .. 512 bytes
  static constexpr std::size_t kMaxPerClass = 64;

  BlockCache() = default;
  ~BlockCache() {
    for (std::size_t i = 0; i < kClasses; ++i) {
      const std::size_t size = (i + 1) * kGranule;
      while (void* block = take(size)) ::operator delete(block, size);
    }
  }
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // cacheable(size): the request fits a size class.
  static constexpr bool cacheable(std::size_t size) noexcept {
    return size != 0 && size <= kGranule * kClasses;
  }
  // rounded(size): the block size a cacheable request of `size` bytes gets.
  static constexpr std::size_t rounded(std::size_t size) noexcept {
    return (size + kGranule - 1) / kGranule * kGranule;
  }

  // take(size): a cached block for a cacheable size, or nullptr.
  void* take(std::size_t size) noexcept {
    FreeBlock*& head = free_[index(size)];
    FreeBlock* block = head;
    if (block == nullptr) return nullptr;
    sanitizer::unpoison_memory(block, rounded(size));
    head = block->next;
    --count_[index(size)];
    return block;
  }
  // put(block, size): keeps a block of a cacheable size; false when full.
  bool put(void* block, std::size_t size) noexcept {
    const std::size_t i = index(size);
    if (count_[i] == kMaxPerClass) return false;
    free_[i] = ::new (block) FreeBlock{free_[i]};
    ++count_[i];
    // ASan: a cached block is still freed memory to anyone but take().
    sanitizer::poison_memory(block, rounded(size));
    return true;
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static constexpr std::size_t index(std::size_t size) noexcept {
    return (size + kGranule - 1) / kGranule - 1;
  }
  std::array<FreeBlock*, kClasses> free_{};
  std::array<std::size_t, kClasses> count_{};
};

}  // namespace tmpmc::runtime::detail
