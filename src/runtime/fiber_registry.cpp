// fiber_registry.cpp: linking fibers into and out of the registry's shards.
#include "fiber_registry.h"

namespace tmpmc::runtime::detail {

FiberRegistry::FiberRegistry(unsigned workers, bool deterministic) {
  // Shard `workers` takes spawns from outside, from any thread: shared. A
  // worker's own shard is shared once another worker can finish its fibers.
  const unsigned shards = deterministic ? 1 : workers + 1;
  for (unsigned i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(workers > 1 || i == workers || deterministic));
  }
}

void FiberRegistry::add(Fiber* fiber, std::uint32_t shard_index) {
  Shard& shard = *shards_[shard_index];
  Locked locked(shard);
  fiber->id_ = shard.spawned++ * shards_.size() + shard_index + 1;
  fiber->registry_shard_ = shard_index;
  fiber->registry_prev_ = nullptr;
  fiber->registry_next_ = shard.head;
  if (shard.head != nullptr) shard.head->registry_prev_ = fiber;
  shard.head = fiber;
  // Single writer (the lock holder): a plain increment, published for live().
  shard.live.store(shard.live.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void FiberRegistry::remove(Fiber* fiber) noexcept {
  Shard& shard = *shards_[fiber->registry_shard_];
  Locked locked(shard);
  if (fiber->registry_prev_ != nullptr) {
    fiber->registry_prev_->registry_next_ = fiber->registry_next_;
  } else {
    shard.head = fiber->registry_next_;
  }
  if (fiber->registry_next_ != nullptr)
    fiber->registry_next_->registry_prev_ = fiber->registry_prev_;
  fiber->registry_prev_ = fiber->registry_next_ = nullptr;
  shard.live.store(shard.live.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

}  // namespace tmpmc::runtime::detail
