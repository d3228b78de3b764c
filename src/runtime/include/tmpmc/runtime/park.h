// park.h: the park/wake protocol. Every place in tmpmc-bench where a fiber
// suspends waiting for something goes through this file.
//
// The protocol
// ------------
// A fiber that must wait (for room in a queue, a value, a Notify)
//
//   1. locks the WaitList it waits on,
//   2. re-checks its condition under that lock (`ready`), and if it holds,
//      unlocks and does not park;
//   3. otherwise links a Waiter (on its own stack) into the list, then
//      switches to the next fiber. The list is unlocked only after the switch,
//      by the fiber that runs next, once the parked fiber's continuation has
//      been saved (Boost.Fiber's resume_with idea, done in the runtime's
//      complete_switch).
//
// A waker locks the list, unlinks a waiter and unparks it, still under the
// lock. Because the list stays locked until the waiter's continuation is
// saved, no waker can ever resume a fiber that is still switching out; and
// because the waker unparks before unlocking, the waiter (and its fiber) is
// alive when it is unparked, even if its timer resumed it meanwhile.
//
// A waker may also serve a waiter directly (hand_to_first): under the lock it
// writes what the waiter waits for into a slot the waiter offered, then
// unparks it; the unpark's release store publishes the write to the waiter.
//
// A join is the one wait with a single possible waker and a single waiter (a
// JoinHandle joins once), so it needs no list: the joiner is published in the
// joined fiber's join word by the fiber that runs next, after the joiner's
// continuation is saved, the same hand-over as above (Fiber::join_state_,
// Worker::park_for_join, Fiber::mark_finished).
//
// Every park consumes one epoch of the fiber's park word. A wake names the
// epoch it targets (a ParkToken); a wake for an epoch that already ended (the
// fiber timed out, or was woken by someone else) is a no-op. That is what lets
// a timer and a waker race for the same waiter safely: exactly one of them
// resumes it.
//
// Lost wakeups are excluded by a Dekker pair on sequentially consistent
// operations: the waiter's lock CAS on `state_` precedes its re-check, and a
// waker's state change (e.g. a queue push, itself a seq_cst RMW) precedes its
// `maybe_waiters()` load. In the single total order of seq_cst operations,
// either the waker's load sees the waiter's lock/count, or the waiter's
// re-check sees the waker's change.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "tmpmc/runtime/choice_point.h"
#include "tmpmc/runtime/clock.h"
#include "tmpmc/runtime/contract.h"

namespace tmpmc::runtime {

namespace detail {
class Fiber;
class Worker;
}  // namespace detail
class WaitList;

// ParkToken names one park of one fiber: the fiber and the epoch of that park.
struct ParkToken {
  detail::Fiber* fiber = nullptr;
  std::uint64_t epoch = 0;
};

// unpark(token) resumes the fiber if it is parked in the token's epoch (or marks
// it so that it does not sleep, if it is still switching out). Returns false,
// and does nothing, for a stale token. Safe from any thread. run_next: the
// fiber runs next on the waker's worker (a hand-off); false queues it behind
// the others (timers, which fire in batches and must keep deadline order).
bool unpark(ParkToken token, bool run_next = true) noexcept;

// unpark_exclusive(token) is unpark() for the one waker a park can have: the
// caller unlinked the fiber under the lock it parked under, and no timer was
// armed for that park. The fiber is then certainly parked and nobody else can
// resume it, so plain stores replace the CAS.
void unpark_exclusive(ParkToken token) noexcept;

// Lower level than WaitList, for wait structures of other shapes (Notify):
// prepare_park() names the calling fiber's next park (throws outside a fiber).
// publish_and_park(slot, locked) writes that token to `slot`, where the waker
// finds it under `locked` (which the caller holds), then suspends the calling
// fiber and unlocks `locked` only once its continuation is saved. Its waker
// must use unpark_exclusive() under that lock (no timers: use WaitList for
// deadlines). Outside a fiber it unlocks `locked` and throws.
ParkToken prepare_park();
void publish_and_park(ParkToken& slot, WaitList& locked);

enum class WaitStatus {
  ready,    // the condition held under the lock: the fiber did not park
  woken,    // a waker unlinked this fiber (or it was woken, then timed out)
  timeout,  // the deadline passed while the fiber was still linked
};

// Waiter: one parked fiber's entry in a WaitList. Lives on the parked fiber's
// stack; linked and unlinked only under the list's lock.
struct Waiter {
  ParkToken token;
  bool timed = false;  // a timer may race the wakers: unpark with a CAS
  // Where a waker may put what the waiter waits for (hand_to_first); null if
  // the waiter takes no hand-off. Never set on a timed waiter.
  void* handoff = nullptr;
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool linked = false;
};

// WaitList: the fibers waiting for one condition (a queue's "not full", a
// Notify, a fiber's completion), FIFO. Its lock is held for a few instructions
// at a time, and across one stack switch when a fiber parks; never while a
// fiber runs user code.
class WaitList {
 public:
  // label describes the wait for hang and deadlock reports, for example
  // `receive on queue "q0" (empty)`.
  // A list built on a deterministic runtime's fiber is explored: each access
  // to its state word is a choice point (choice_point.h).
  explicit WaitList(std::string label = "wait") : explore_(exploring()), label_(std::move(label)) {}
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;

  // maybe_waiters() is the fast-path probe: false means no fiber was linked or
  // linking when the caller's preceding seq_cst operation took effect, so the
  // caller owes nobody a wake. seq_cst: the load half of the Dekker pair above.
  bool maybe_waiters() const {
    if (explore_) [[unlikely]]
      return maybe_waiters_explored();
    return state_.unshared().load(std::memory_order_seq_cst) != 0;
  }

  // wait_unless(ready, deadline) parks the current fiber until woken, unless
  // ready() returns true under the list's lock. ready() must not park. A
  // deadline of nullptr waits without limit. May be woken spuriously from the
  // caller's point of view (a waker's condition was taken by someone else): the
  // caller re-checks and waits again. `handoff` (untimed waits only) is where
  // hand_to_first() may deliver what the fiber waits for before waking it.
  template <class Ready>
  WaitStatus wait_unless(Ready&& ready, const TimePoint* deadline = nullptr,
                         void* handoff = nullptr) {
    lock(sites::kWaitLock);
    if (ready()) {
      unlock();
      return WaitStatus::ready;
    }
    return park_locked(deadline, handoff);
  }

  // wake_one() unlinks the oldest waiter and unparks it. Returns whether there
  // was one. Callers that change the condition call it when maybe_waiters().
  bool wake_one() noexcept;

  // hand_to_first(give) serves the oldest waiter directly: if it waits without
  // a deadline and offered a hand-off slot, and give(slot) returns true, it is
  // unlinked and woken, and its wait returns `woken` with the slot filled.
  // give() runs under the list's lock (the waiter cannot leave meanwhile) and
  // must neither throw nor park. Returns whether the waiter was served.
  template <class Give>
  bool hand_to_first(Give&& give) noexcept {
    lock(sites::kHandOffLock);
    Waiter* waiter = head_;
    if (waiter == nullptr || waiter->handoff == nullptr || !give(waiter->handoff)) {
      unlock();
      return false;
    }
    unlink(*waiter);
    // WAKE under the lock, as wake_one(); untimed, so its only waker is us.
    choice_point_if(explore_, sites::kWakeUntimed, waiter->token.fiber, true);
    unpark_exclusive(waiter->token);
    unlock();
    return true;
  }

  // wake_all() unlinks and unparks every waiter linked at this moment.
  std::size_t wake_all() noexcept;

  const std::string& label() const noexcept { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }

  // Lock word management; public for Notify and the runtime's switch code.
  // lock(site): `site` names the caller (a lock taken to wait is not the lock
  // taken to wake), and says whether a contended wait may be unwound.
  void lock(const ChoicePointSite& site) {
    // The first access guesses the word from a relaxed read that is not a
    // choice point of its own: the CAS (the point) decides.
    // seq_cst: the store half of the Dekker pair above (a waiter's lock
    // precedes its re-check of the condition). Uncontended: one CAS, inline.
    std::uint32_t unlocked = state_.unshared().load(std::memory_order_relaxed) & ~1u;
    if (!state_.compare_exchange_strong(unlocked, unlocked | 1, at(site), std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
      lock_contended(site.kind);
    }
  }
  void unlock() {
    // release: the list links written under the lock are visible to the next holder.
    state_.store(count_ << 1, at(sites::kUnlock), std::memory_order_release);
  }
  // unlock_after_switch(): the unlock of a park, by the fiber that runs next
  // (park.h's protocol). Not a choice point: the park is the scheduling step.
  void unlock_after_switch() noexcept {
    state_.unshared().store(count_ << 1, std::memory_order_release);
  }
  // locked(): the lock bit is set (by someone: the word does not say whom),
  // for the contracts of the functions entered with the lock held.
  bool locked() const noexcept {
    return (state_.unshared().load(std::memory_order_relaxed) & 1u) != 0;
  }
  bool explored() const noexcept { return explore_; }
  // state_word(): the lock word's identity, for the trace of a park (happens_before.h).
  const void* state_word() const noexcept { return &state_; }

 protected:
  // Protected, not private: the stress tests derive a list with one
  // operation broken (tests/mutants.h).
  // unlink(w). Requires: the list is locked by the caller, and w is linked
  // in it. Ensures: w is out of the list (w.linked false), count_ one less.
  void unlink(Waiter& w) noexcept;
  void wake(Waiter& w) noexcept;
  Waiter* head_ = nullptr;

 private:
  // park_locked(deadline, handoff): links the calling fiber and parks it.
  // Requires: called on a fiber, with the list locked by that fiber (by
  // wait_unless, after its ready() said no). Ensures, on return: the list is
  // unlocked, but not by this fiber: an untimed park is unlocked by the fiber
  // that runs next, once the parked one's continuation is saved
  // (unlock_after_switch, in the switch's After::Park case), so a waker that
  // gets the lock finds a fiber it can resume. The timed park relocks to
  // leave and unlocks itself. Either way the fiber is no longer linked.
  // Throws only the runtime's teardown unwinding (the fiber is unlinked first).
  WaitStatus park_locked(const TimePoint* deadline, void* handoff);
  WaitStatus park_locked_until(detail::Worker& worker, TimePoint deadline);
  // abandon(w): a wait unwound by shutdown leaves the list, if still linked.
  void abandon(Waiter& w) noexcept;
  void lock_contended(PointKind caller);
  // The explored copy of maybe_waiters(), out of line: the fast path inlines
  // no call (park.cpp).
  [[gnu::noinline]] bool maybe_waiters_explored() const;
  At at(const ChoicePointSite& site) const noexcept { return At{&site, explore_}; }
  // link(w). Requires: the list is locked by the caller, w not linked.
  // Ensures: w is the tail (the newest waiter), count_ one more.
  void link(Waiter& w) noexcept;

  // state_: bit 0 = locked, bits 1.. = number of linked waiters. One word, so
  // the fast path reads a single location and a waiter's lock CAS publishes
  // "someone is about to wait" to every waker at once.
  ChoiceAtomic<std::uint32_t> state_{0};
  std::uint32_t count_ = 0;  // linked waiters; written under the lock
  const bool explore_;
  Waiter* tail_ = nullptr;
  std::string label_;
};

}  // namespace tmpmc::runtime
