// notify.h: Notify, with tokio::sync::Notify's semantics.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "tmpmc/runtime/park.h"

namespace tmpmc::runtime {

class Notified;

// Notify wakes fibers waiting for an event that has no data of its own.
//
// notify_one() wakes one enabled waiter or, if none, stores a single permit
// that the next wait consumes at once. notify_waiters() wakes every Notified
// created before the call and stores nothing.
//
// Hazard (as in tokio): a bare wait() that checks a condition first and only
// then waits can miss a notify_waiters() that lands in between. Create the
// Notified (and enable() it, to be reached by notify_one too) before checking:
//
//   auto notified = notify.notified();
//   notified.enable();
//   if (!condition()) notified.wait();
class Notify {
 public:
  explicit Notify(std::string label = "notify") : lock_(std::move(label)) {}
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;

  void notify_one();
  void notify_waiters();
  // notified() registers for notify_waiters() calls from now on; see Notified.
  Notified notified();
  // wait() is notified().wait(): it consumes a stored permit or parks.
  void wait();

 private:
  friend class Notified;
  // link(n) and unlink(n) require the Notify's lock held by the caller, n
  // not linked (link) or linked here (unlink); both are asserted.
  void link(Notified& n) noexcept;
  void unlink(Notified& n) noexcept;
  bool wake_first_locked() noexcept;
  At at(const ChoicePointSite& site) const noexcept { return At{&site, lock_.explored()}; }

  WaitList lock_;  // its lock guards every field below; its label names the wait
  bool permit_ = false;
  // notify_waiters() calls so far; written under the lock, read without it by
  // notified() (acquire: pairs with the release increment).
  ChoiceAtomic<std::uint64_t> waiters_calls_{0};
  Notified* head_ = nullptr;  // enabled Notified, oldest first
  Notified* tail_ = nullptr;
};

// Notified: one fiber's registration with a Notify. Not movable (it may be
// linked into the Notify's list); `auto n = notify.notified();` is fine.
class Notified {
 public:
  Notified(const Notified&) = delete;
  Notified& operator=(const Notified&) = delete;
  ~Notified() {
    // Consumed by wait(): unlinked, and nothing can reach it any more. Not a
    // choice point: only this registration's own fiber ever writes `done`.
    if (state_.unshared().load(std::memory_order_relaxed) != State::done) withdraw();
  }

  // enable() joins the waiters that notify_one() can reach, consuming a stored
  // permit if there is one. Idempotent.
  void enable();
  // wait() returns once this registration was notified; it parks the calling
  // fiber until then (woken by notify_one or notify_waiters).
  void wait();
  bool notified() const;

 private:
  friend class Notify;
  enum class State : std::uint8_t { init, waiting, by_one, by_all, done };
  explicit Notified(Notify& notify, std::uint64_t calls) noexcept
      : notify_(&notify), calls_snapshot_(calls) {}
  void arm_locked() noexcept;     // init -> linked, or notified at once
  bool settle_locked() noexcept;  // true when no wait is needed
  void withdraw() noexcept;       // a registration dropped before wait() consumed it
  At at(const ChoicePointSite& site) const noexcept { return notify_->at(site); }

  Notify* notify_;
  std::uint64_t calls_snapshot_;
  // Written under the Notify's lock while linked; once unlinked only by its
  // own fiber. Atomic (relaxed) so that the unlocked fast paths are race-free.
  ChoiceAtomic<State> state_{State::init};
  bool linked_ = false;
  Notified* prev_ = nullptr;
  Notified* next_ = nullptr;
  ParkToken parked_;  // set while its fiber is parked in wait()
};

}  // namespace tmpmc::runtime
