// fiber_registry.h: every fiber of a runtime that has not finished, for
// reports and for unwinding at shutdown.
//
// One shard per worker (the spawner's) plus one for spawns from outside, so
// that spawning and finishing take an uncontended lock. In a one-worker
// runtime the worker's shard takes none: its fibers are spawned and finish on
// that worker's thread, and the list is walked only once the worker has
// stopped (reports, teardown); `live` is atomic for live() meanwhile. A
// deterministic runtime has one shard for all, locked: its ids are then the
// spawn order (1, 2, 3, ...), the identity a schedule names fibers by.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "tmpmc/runtime/detail/fiber.h"

namespace tmpmc::runtime::detail {

class FiberRegistry {
 public:
  // workers: the runtime's worker count; the shard of spawns from outside is
  // outside_shard().
  FiberRegistry(unsigned workers, bool deterministic);

  // The shard of spawns from a thread that is not one of the runtime's
  // workers (a worker spawns into shard worker.index(); deterministic: 0).
  std::uint32_t outside_shard() const noexcept {
    return static_cast<std::uint32_t>(shards_.size() - 1);
  }

  // add(): links `fiber` into `shard` and gives it its id (unique in the
  // runtime; deterministic: the spawn order). remove(): unlinks it (from the
  // shard add() chose, on any thread).
  void add(Fiber* fiber, std::uint32_t shard);
  void remove(Fiber* fiber) noexcept;

  // for_each(visit): visit(fiber) for every linked fiber, each shard under
  // its lock (visit must not add or remove).
  template <class Visit>
  void for_each(Visit&& visit) {
    for (auto& shard : shards_) {
      Locked locked(*shard);
      for (Fiber* f = shard->head; f != nullptr; f = f->registry_next_) visit(f);
    }
  }

  // live(): how many are linked. No lock: a count read while fibers come and
  // go is a snapshot either way.
  std::size_t live() const noexcept {
    std::size_t live = 0;
    for (const auto& shard : shards_) live += shard->live.load(std::memory_order_relaxed);
    return live;
  }

 private:
  struct alignas(64) Shard {
    explicit Shard(bool shared) : shared(shared) {}
    const bool shared;  // fibers of other threads may come and go here
    // Uncontended but for a fiber finishing on another worker than the one
    // it was spawned on: a mutex, so that such a wait sleeps instead of
    // spinning (the lock is held for a few pointer writes).
    std::mutex mu;
    Fiber* head = nullptr;
    std::atomic<std::size_t> live{0};  // written under the lock (or by the one worker)
    std::uint64_t spawned = 0;         // numbers the shard's fibers: ids are deterministic
  };
  // Locked: a shard's lock for a scope, if the shard is shared.
  class Locked {
   public:
    explicit Locked(Shard& shard) : shard_(shard) {
      if (shard_.shared) shard_.mu.lock();
    }
    ~Locked() {
      if (shard_.shared) shard_.mu.unlock();
    }
    Locked(const Locked&) = delete;
    Locked& operator=(const Locked&) = delete;

   private:
    Shard& shard_;
  };

  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace tmpmc::runtime::detail
