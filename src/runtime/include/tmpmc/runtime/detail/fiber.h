// detail/fiber.h: a fiber's control block. Internal to the runtime; public
// only because spawn() and JoinHandle<T> are templates that must construct
// and read it.
#pragma once

#include <atomic>
#include <boost/context/fiber.hpp>
#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "tmpmc/runtime/park.h"

namespace tmpmc::runtime::detail {

class RuntimeCore;
class Worker;

// Thrown inside a fiber that the runtime unwinds at shutdown (it was still
// parked or runnable when the Runtime was destroyed). User code must let it pass.
struct FiberCancelledTag {};

// The park word: `epoch << 2 | ParkState` (see park.h). Every park consumes
// one epoch. Only the fiber itself moves its word out of kRunning (by
// switching out to park); a waker moves it back, ending the epoch, or marks
// it kNotified while it is still switching out. These helpers are the only
// places that know the encoding.
enum ParkState : std::uint64_t {
  kRunning = 0,   // running, or runnable in some queue
  kParked = 1,    // continuation saved, off every run queue
  kNotified = 2,  // woken while still switching out: it will not sleep
};
// park_word(epoch, state) packs a park word.
constexpr std::uint64_t park_word(std::uint64_t epoch, ParkState state) noexcept {
  return epoch << 2 | state;
}
// park_epoch(word) is the epoch a park word is in.
constexpr std::uint64_t park_epoch(std::uint64_t word) noexcept { return word >> 2; }
// park_state(word) is what a park word says of its fiber.
constexpr ParkState park_state(std::uint64_t word) noexcept {
  return static_cast<ParkState>(word & 3);
}
// ended_park(epoch): the word of a fiber whose park `epoch` is over (it was
// woken, or never slept): running again, its next park is epoch + 1.
constexpr std::uint64_t ended_park(std::uint64_t epoch) noexcept {
  return park_word(epoch + 1, kRunning);
}

// A fiber's placement: no worker in particular (where it is spawned, then
// where it is woken; stealable), or pinned to one (Runtime::spawn_pinned).
inline constexpr unsigned kAnyWorker = ~0u;

class Fiber {
 public:
  Fiber() = default;
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;
  virtual ~Fiber();

  // Control blocks come from the spawning worker's cache of freed ones
  // (block_cache.h); the aligned forms are the global ones.
  static void* operator new(std::size_t size);
  static void operator delete(void* block, std::size_t size) noexcept;
  static void* operator new(std::size_t size, std::align_val_t align) {
    return ::operator new(size, align);
  }
  static void operator delete(void* block, std::size_t size, std::align_val_t align) noexcept {
    ::operator delete(block, size, align);
  }

  // References: see refs_.
  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  // join_wait() parks the calling fiber until this one has finished.
  void join_wait();
  bool finished() const noexcept {
    return join_state_.load(std::memory_order_acquire) == kJoinDone;
  }
  bool is_idle_context() const noexcept { return is_idle_context_; }
  std::uint64_t id() const noexcept { return id_; }
  const std::string& name() const noexcept { return name_; }
  // display_name(): the name, or "fiber-<id>" for an unnamed fiber.
  std::string display_name() const;

  // park_token() names the park in the epoch this fiber's word shows: called
  // by the fiber itself, its next park (only the fiber moves its word out of
  // kRunning, so a relaxed read is exact); called by its only waker on a
  // fiber known to be parked, the park it is in.
  ParkToken park_token() noexcept {
    return ParkToken{this, park_epoch(park_word_.load(std::memory_order_relaxed))};
  }

 protected:
  // For a worker's IdleContext: its own thread stack, already running.
  struct IdleContextTag {};
  explicit Fiber(IdleContextTag) noexcept : is_idle_context_(true), started_(true) {}

  // run() executes the user's function and stores its result or exception.
  virtual void run() = 0;
  std::exception_ptr error_;

 private:
  // The scheduler (and its nested helpers) and the two wakes of park.cpp.
  friend class RuntimeCore;
  friend class FiberRegistry;
  friend class Worker;
  friend class DeterministicPicker;
  friend bool tmpmc::runtime::unpark(ParkToken, bool) noexcept;
  friend void tmpmc::runtime::unpark_exclusive(ParkToken) noexcept;

  // Saved continuation while not running (empty before the first run).
  boost::context::fiber context_;
  // park_word(epoch, state); see park.h and the helpers above.
  std::atomic<std::uint64_t> park_word_{0};
  // One reference for the JoinHandle, one for the runtime (dropped when it finishes).
  std::atomic<int> refs_{2};
  // Joining: 0 while it runs and nobody has joined; kJoinDone once it has
  // finished; otherwise the one fiber joining it (a JoinHandle joins once),
  // published only once that fiber's continuation is saved (After::park_join
  // in Worker::complete_switch), so that mark_finished() may resume it with
  // unpark_exclusive.
  static constexpr std::uintptr_t kJoinDone = 1;
  std::atomic<std::uintptr_t> join_state_{0};
  // mark_finished(): the result is ready; wakes the joiner, if one is parked.
  void mark_finished() noexcept;

  RuntimeCore* runtime_ = nullptr;
  // home_: the worker a pinned fiber runs on, always (spawn_pinned:
  // runtime.h); kAnyWorker for the rest, which run where they are woken and
  // may be stolen. Written once, before the fiber is published to a worker.
  unsigned home_ = kAnyWorker;
  std::uint64_t id_ = 0;
  std::string name_;
  bool is_idle_context_ = false;  // a worker's own thread stack, not a spawned fiber
  bool started_ = false;
  bool cancelled_ = false;  // set at runtime shutdown: the fiber unwinds on resume
  bool is_root_ = false;    // block_on's fiber: its end ends the block_on

  // What this fiber is parked on, for hang and deadlock reports.
  const WaitList* waiting_on_ = nullptr;
  const char* waiting_for_ = nullptr;
  // Deterministic mode: where it last gave up the worker, for the reports of
  // a run stopped while it was runnable (a livelock names where it spins).
  const char* last_switch_at_ = nullptr;
  // Deterministic mode: it gave up the worker at an `inner` choice point
  // (inside an operation; see choice_point.h and finish_operations).
  bool at_inner_point_ = false;
  // Deterministic mode: the labelled access it gave up the worker at, which
  // is the first thing it does when it runs again (site null: it gave up
  // anywhere else); and the one its current step began with. The picker
  // turns each step into an event of the run's trace (happens_before.h).
  struct Access {
    const ChoicePointSite* site = nullptr;
    const void* object = nullptr;
    bool write = false;
  };
  Access pending_access_;
  Access step_access_;
  // Deterministic mode: nonzero while it waits in a spin: the picker's
  // count of writes when it began (DeterministicPicker::choose).
  std::uint64_t spin_since_writes_ = 0;
  bool resumed_from_park_ = false;  // its current step began where it had parked

  // Stack (for sanitizers and the stack pool) and sanitizer fiber state.
  void* stack_base_ = nullptr;  // lowest usable address
  std::size_t stack_size_ = 0;
  void* asan_fake_stack_ = nullptr;
  void* tsan_fiber_ = nullptr;

  // Intrusive links: the injection queue or a worker's inbox (one at a
  // time), the deterministic run list, the registry.
  Fiber* next_runnable_ = nullptr;
  Fiber* registry_prev_ = nullptr;
  Fiber* registry_next_ = nullptr;
  std::uint32_t registry_shard_ = 0;
};

// Task<T>: a fiber whose function returns T.
template <class T>
class Task : public Fiber {
 public:
  T take_result() {
    if (error_) std::rethrow_exception(error_);
    return std::move(*reinterpret_cast<T*>(&storage_));
  }
  ~Task() override {
    if (has_value_) reinterpret_cast<T*>(&storage_)->~T();
  }

 protected:
  template <class F>
  void run_and_store(F& fn) {
    ::new (static_cast<void*>(&storage_)) T(fn());
    has_value_ = true;
  }

 private:
  alignas(T) unsigned char storage_[sizeof(T)];
  bool has_value_ = false;
};

template <>
class Task<void> : public Fiber {
 public:
  void take_result() {
    if (error_) std::rethrow_exception(error_);
  }

 protected:
  template <class F>
  void run_and_store(F& fn) {
    fn();
  }
};

template <class T, class F>
class TaskImpl final : public Task<T> {
 public:
  explicit TaskImpl(F&& fn) : fn_(std::move(fn)) {}
  explicit TaskImpl(const F& fn) : fn_(fn) {}

 private:
  void run() override {
    try {
      this->run_and_store(fn_);
    } catch (const FiberCancelledTag&) {
      throw;  // runtime shutdown unwinds the fiber: not the user's error
    } catch (...) {
      this->error_ = std::current_exception();
    }
  }
  F fn_;
};

}  // namespace tmpmc::runtime::detail
