// detail/confinement.h: a ring confined to the first actor (thread) that
// touches it, until a second one does; while confined, its operations move
// the ring's positions with plain stores instead of compare-and-swaps.
//
// Why: on x86 a compare-and-swap is a locked instruction, and one per push
// and one per pop were the whole cost of the ring (about 1.85x a plain-store
// ring in a single-thread loop). All fibers of a one-worker runtime run on
// one thread and switch only where they park or yield, never inside a ring
// operation, so a queue that only they use never has two operations in
// flight: no claim is needed. This is the idea of Rust's original
// std::sync::mpsc flavors (a channel starts specialised and upgrades when a
// second user comes), with the upgrade made safe by an asymmetric Dekker pair
// (folly's asymmetric fences, asymmetric_fence.h).
//
// State
// -----
// owner_: kNone (no access yet), an actor token (confined to that actor:
// runtime/actor.h), kUpgrading, or kShared (for good). in_op_: 1 while the
// owner is inside a confined access; written only by the owner.
//
// The owner's access (enter, then leave):
//   [own A] in_op_ = 1; light fence; [own B] re-read owner_: still us ->
//   run the access confined, then in_op_ = 0 (release). Not us (an upgrade
//   began) -> in_op_ = 0, wait for kShared, run it shared.
// Another actor's access (the upgrade, once per ring):
//   [up A] CAS owner_ token -> kUpgrading; heavy fence; [up B] wait until
//   in_op_ == 0 (acquire); owner_ = kShared (release). Any access that sees
//   kUpgrading waits for kShared (acquire); one that sees kNone claims the
//   ring for its own actor (CAS) and is then the owner.
// An access of atomic loads and read-modify-writes only (close, a park's
// re-check: touch()): the owner runs it as it is (no plain store of its own
// is in flight); another actor upgrades first, as above.
//
// Why no confined access overlaps a shared one: [own A]-[own B] against
// [up A]-[up B] is the Dekker pair. Either [own B] sees kUpgrading (the owner
// withdraws before touching the ring), or [up B] sees the owner's in_op_ = 1
// and waits for its leave, whose release hands everything the confined access
// wrote to the upgrader; every access after the upgrade is shared. The owner
// needs no fence of its own: the heavy fence runs one on its CPU.
//
// Why values written confined are read safely by other threads later: the
// confined operations store the slots' stamps and the positions with release
// (a plain store on x86), and shared operations load them with acquire, as
// the shared protocol does (ring.h).
//
// Where the heavy fence is unavailable (no membarrier private expedited:
// old kernel, seccomp), a ring starts shared: every access claims, as before.
// A ring on a deterministic runtime (explored) needs no fence (its fibers
// interleave on one thread, sequentially consistent) and starts unowned:
// each fiber counts as an actor, so the upgrade racing an owner half-way
// through a confined push is explored, at the choice points named below.
//
// Derived, if not void, replaces wait_for_owner_to_leave() (the one step a
// bug could hide in that no other check would see): tests/mutants.h does,
// to prove that stress catches an upgrade that does not wait.
#pragma once

#include <cstdint>
#include <type_traits>

#include "tmpmc/queue/detail/choice_sites.h"
#include "tmpmc/runtime/actor.h"
#include "tmpmc/runtime/asymmetric_fence.h"
#include "tmpmc/runtime/choice_point.h"
#include "tmpmc/runtime/spin.h"

namespace tmpmc::detail {

template <class Derived = void>
class ThreadConfinement {
 public:
  // explored: the ring lives on a deterministic runtime (see above).
  explicit ThreadConfinement(bool explored)
      : owner_(explored || runtime::heavy_fence_available() ? kNone : kShared) {}
  ThreadConfinement(const ThreadConfinement&) = delete;
  ThreadConfinement& operator=(const ThreadConfinement&) = delete;

  // enter<Explore>(): at the start of every ring access. true: the caller is
  // the owner, inside a confined access: it runs the plain copy and then
  // calls leave<Explore>(). false: the ring is shared: the caller runs the
  // claiming copy and calls nothing. Explore: the ring is explored (each
  // access below a choice point). May throw a deterministic runtime's
  // teardown unwinding, only while the caller has changed nothing.
  template <bool Explore>
  [[gnu::always_inline]] bool enter() {
    // A filter, without a choice point: every decision it leads to is
    // re-checked by an access that has one (the re-read after announcing, a
    // CAS, a spin), and kShared, once read, never changes.
    const std::uintptr_t owner = owner_.peek();
    if (owner == kShared) return false;
    const std::uintptr_t me = Explore ? runtime::explored_actor_token() : runtime::thread_token();
    if (owner == me && announce<Explore>(me)) return true;
    return enter_slow<Explore>(me);
  }

  // leave<Explore>(): ends the owner's confined access. release: hands what
  // it wrote to an upgrader waiting at [up B].
  template <bool Explore>
  [[gnu::always_inline]] void leave() {
    in_op_.store(0, at<Explore>(sites::kConfineLeave), std::memory_order_release);
  }

  // touch<Explore>(): before an access made only of atomic loads and
  // read-modify-writes (close's mark, a park's re-check), which runs the same
  // whether the ring is confined or shared, and leaves nothing to leave.
  // The owner needs no announce for it: an announce keeps an upgrade from
  // running beside the owner's plain stores, and the owner has none in
  // flight (it is making this access), so an upgrade racing it does no harm.
  // Any other actor upgrades the ring first (or claims an unowned one), as
  // its push would: the owner's later operations must be shared, since its
  // plain stores carry no StoreLoad fence for the park protocol's Dekker
  // pair with a waiter on another thread (queue_core.h), nor may they
  // overwrite close's mark.
  template <bool Explore>
  [[gnu::always_inline]] void touch() {
    // A filter, as in enter(): kShared never changes, and `me`, once owner,
    // stays owner until another actor's upgrade, which need not wait for us.
    const std::uintptr_t owner = owner_.peek();
    if (owner == kShared) return;
    const std::uintptr_t me = Explore ? runtime::explored_actor_token() : runtime::thread_token();
    if (owner == me) return;
    if (enter_slow<Explore>(me)) leave<Explore>();  // claimed: now the owner, not inside
  }

  // shared(): the ring runs the shared protocol for good: a second actor
  // upgraded it, or it started shared (no heavy fence). A snapshot, for
  // reports (a run's queue_shared) and tests.
  bool shared() const noexcept { return owner_.peek() == kShared; }
  // confined(): some actor owns the ring (a snapshot, for tests).
  bool confined() const noexcept {
    const std::uintptr_t owner = owner_.peek();
    return owner != kNone && owner != kUpgrading && owner != kShared;
  }

 protected:
  static constexpr std::uintptr_t kNone = 0;
  static constexpr std::uintptr_t kUpgrading = 1;
  static constexpr std::uintptr_t kShared = 2;

  template <bool Explore>
  static runtime::At at(const runtime::ChoicePointSite& site) noexcept {
    return runtime::At{&site, Explore};
  }

  // [own A] and [own B]: true if the access may run confined; false if an
  // upgrade began (the announce withdrawn).
  template <bool Explore>
  [[gnu::always_inline]] bool announce(std::uintptr_t me) {
    // relaxed, then a compiler fence: the heavy fence is this store's
    // StoreLoad barrier against the re-read below.
    in_op_.store(1, at<Explore>(sites::kConfineAnnounce), std::memory_order_relaxed);
    if (!Explore) runtime::light_fence();
    if (owner_.load(at<Explore>(sites::kConfineRecheck), std::memory_order_relaxed) == me)
      return true;
    leave<Explore>();
    return false;
  }

  // enter_slow(): the first access (claim), an upgrade, or an access that
  // comes while one is under way. Out of line: once per ring, or nearly.
  template <bool Explore>
  [[gnu::noinline]] bool enter_slow(std::uintptr_t me) {
    std::uintptr_t owner = owner_.peek();
    for (;;) {
      if (owner == kShared) return false;
      if (owner == me) {
        if (announce<Explore>(me)) return true;
        owner = owner_.peek();
      } else if (owner == kNone) {
        // acq_rel: a claim after an earlier owner's accesses (none: kNone
        // comes first) would need them; acquire on failure, as the loads.
        if (owner_.compare_exchange_strong(owner, me, at<Explore>(sites::kConfineClaim),
                                           std::memory_order_acq_rel, std::memory_order_acquire))
          owner = me;
      } else if (owner == kUpgrading) {
        owner = wait_for_upgrade<Explore>();
      } else if (owner_.compare_exchange_strong(
                     owner, kUpgrading, at<Explore>(sites::kConfineUpgrade),
                     std::memory_order_seq_cst, std::memory_order_acquire)) {
        // [up A] won: this access upgrades the ring.
        if (!Explore) runtime::heavy_fence();
        self().template wait_for_owner_to_leave<Explore>();
        // release: everything the owner wrote confined (acquired at [up B])
        // goes to whoever acquires kShared.
        owner_.store(kShared, at<Explore>(sites::kConfineShared), std::memory_order_release);
        return false;
      }
    }
  }

  // [up B]: waits until the owner is not inside a confined access. acquire:
  // pairs with leave()'s release. The owner is a few instructions from its
  // leave (a ring operation never parks), or not inside at all.
  template <bool Explore>
  void wait_for_owner_to_leave() {
    unsigned spins = 0;
    std::uint32_t busy =
        in_op_.load(at<Explore>(sites::kConfineUpgradeWaits), std::memory_order_acquire);
    while (busy != 0) {
      if (!Explore) runtime::spin_pause(spins);
      busy = in_op_.spin_load(
          at<Explore>(sites::kConfineUpgradeWaits), [this, busy] { return in_op_.peek() == busy; },
          std::memory_order_acquire);
    }
  }

  // wait_for_upgrade(): another actor is upgrading; returns kShared once it
  // is done. acquire: pairs with the upgrader's release of kShared.
  template <bool Explore>
  std::uintptr_t wait_for_upgrade() {
    unsigned spins = 0;
    std::uintptr_t owner = kUpgrading;
    while (owner == kUpgrading) {
      if (!Explore) runtime::spin_pause(spins);
      owner = owner_.spin_load(
          at<Explore>(sites::kConfineWaitsForUpgrade),
          [this] { return owner_.peek() == kUpgrading; }, std::memory_order_acquire);
    }
    return owner;
  }

  auto& self() {
    if constexpr (std::is_void_v<Derived>) {
      return *this;
    } else {
      return static_cast<Derived&>(*this);
    }
  }

  // owner_ is read by every access from every actor, in_op_ written by the
  // owner only while the ring is confined: one line of their own, which no
  // actor writes once the ring is shared.
  alignas(64) runtime::ChoiceAtomic<std::uintptr_t> owner_;
  runtime::ChoiceAtomic<std::uint32_t> in_op_{0};
};

}  // namespace tmpmc::detail
