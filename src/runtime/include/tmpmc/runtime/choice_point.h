// choice_point.h: where a deterministic run may switch fibers. Every access
// that one fiber makes to memory another fiber also touches (the queue's
// ring, a wait list's lock word, a fiber's park word, a Notify's state) is a
// labelled choice point: on a deterministic runtime the policy may run
// another fiber just before it; anywhere else it costs one predictable
// branch on a flag its owner read when it was built.
//
// The unit is one access: the code between two choice points touches only
// the fiber's own memory, or memory a lock it holds protects, so exploring
// the orders of the points explores every sequentially consistent
// interleaving of the accesses (as shuttle and folly's DeterministicSchedule
// do; loom also models weaker orders, which tmpmc leaves to the real-thread
// TSan runs).
//
// Sites. Each point is a ChoicePointSite: a stable id (it never changes
// meaning: schedules and reports name points by it), a kind, and a label
// "file: operation" for traces. The runtime's sites are listed below; the
// queue's in tmpmc/queue/detail/choice_sites.h. Coverage (which sites a run
// reached) is kept by id.
#pragma once

#include <atomic>
#include <bitset>
#include <cstdint>
#include <span>
#include <stdexcept>

namespace tmpmc::runtime {

// PointKind: what a fiber stopped at the point is in the middle of.
enum class PointKind : std::uint8_t {
  // Between operations: the fiber holds no lock and every structure it
  // touched is consistent. The only kind the `operations` granularity keeps
  // (ring and wait-list operations then run without interruption), and where
  // a fiber is unwound when a stopped run is torn down.
  between,
  // Inside an operation: past its first access, or holding a wait list's
  // lock. A stopped run is torn down only once every fiber stopped at such
  // a point has run on to a `between` one (RuntimeCore::finish_operations),
  // so teardown never unwinds a half-done push or a held lock.
  inner,
};

struct ChoicePointSite {
  std::uint16_t id;  // stable; runtime sites 1-63, queue sites 64-127
  PointKind kind;
  // spin: the access is the re-read of a spin loop, which may be waiting
  // for another fiber (a lock holder, a push or pop half way). See spin_load.
  bool spin;
  const char* label;  // "file: operation", shown in traces and reports
};

inline constexpr std::size_t kChoicePointIds = 128;
// ChoicePointSet: the sites a run (or a stress command) reached, by id.
using ChoicePointSet = std::bitset<kChoicePointIds>;

// Granularity: which sites are choice points in deterministic mode.
enum class Granularity : std::uint8_t {
  every_access,  // every site (the default)
  operations,    // `between` and `spin` sites only: each ring or wait-list
                 // operation is atomic, the granularity of the hand-placed
                 // points stress had before every access was one
};

// exploring(): the calling thread is a deterministic runtime's worker. An
// owner of ChoiceAtomics reads it once, when it is built (on a fiber of the
// runtime that will explore it).
bool exploring() noexcept;

// choice_point(site): the calling fiber's deterministic runtime may switch
// fibers here. Call only through ChoiceAtomic or choice_point_if (below),
// whose flag says the caller's owner lives on a deterministic runtime. May
// throw the runtime's teardown unwinding at `between` and `spin` sites.
// `object` is what the access touches (its address names it within a run)
// and `write` whether it may change it (a store or a read-modify-write): the
// bounded search's reduction orders conflicting accesses by them
// (happens_before.h).
void choice_point(const ChoicePointSite& site, const void* object, bool write);
// spin_point(site, object, waiting): the choice point of a spin's re-read
// (of `object`). waiting:
// nothing the loop read has changed since its last round, so re-reading now
// would take the same path again; the fiber then yields to the others, never
// to itself (if it is the only one that can run, it spins until the step cap
// reports a livelock). Not waiting, it is an ordinary choice point: the
// re-read would see another fiber's change.
// Off the deterministic runtime's fibers (the driver counting what a stopped
// run left in its queue, on the thread that ran it), no fiber will ever run
// again to change what a waiting spin re-reads: it throws SpinWithoutRunner
// rather than spin for ever with no step for the cap to count.
void spin_point(const ChoicePointSite& site, const void* object, bool waiting);

// SpinWithoutRunner: a spin_point() that waits where nothing can run (above);
// what() names the site. Typically a ring left half-way through a push by a
// fiber that the stopped run's teardown could not move past it.
class SpinWithoutRunner : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// choice_point_if(): the point, when `exploring` (the owner's flag).
[[gnu::always_inline]] inline void choice_point_if(bool exploring, const ChoicePointSite& site,
                                                   const void* object, bool write) {
  if (exploring) [[unlikely]]
    choice_point(site, object, write);
}

// At: one labelled access, by an owner that knows whether it is explored.
struct At {
  const ChoicePointSite* site;
  bool exploring;
};

// ChoiceAtomic<T>: a std::atomic<T> whose every access names its site, and
// is a choice point just before it happens when the owner is explored. Its
// only unlabelled access is unshared(), for when no other fiber can see the
// object (construction, destruction, the switch code that runs between
// fibers).
template <class T>
class ChoiceAtomic {
 public:
  constexpr ChoiceAtomic() noexcept = default;
  constexpr explicit ChoiceAtomic(T value) noexcept : value_(value) {}
  ChoiceAtomic(const ChoiceAtomic&) = delete;
  ChoiceAtomic& operator=(const ChoiceAtomic&) = delete;

  [[gnu::always_inline]] T load(At at, std::memory_order order) const {
    choice_point_if(at.exploring, *at.site, &value_, false);
    return value_.load(order);
  }
  [[gnu::always_inline]] void store(T value, At at, std::memory_order order) {
    choice_point_if(at.exploring, *at.site, &value_, true);
    value_.store(value, order);
  }
  [[gnu::always_inline]] bool compare_exchange_weak(T& expected, T desired, At at,
                                                    std::memory_order success,
                                                    std::memory_order failure) {
    choice_point_if(at.exploring, *at.site, &value_, true);
    return value_.compare_exchange_weak(expected, desired, success, failure);
  }
  [[gnu::always_inline]] bool compare_exchange_strong(T& expected, T desired, At at,
                                                      std::memory_order success,
                                                      std::memory_order failure) {
    choice_point_if(at.exploring, *at.site, &value_, true);
    return value_.compare_exchange_strong(expected, desired, success, failure);
  }
  // spin_load(): the re-read of a spin loop (a `spin` site). unchanged() is
  // asked only when explored: true if every word the loop decides on still
  // holds what the loop read last round (see spin_point). Capture those words
  // by value: a capture by reference takes the addresses of the caller's
  // locals, and even on the plain path, where unchanged() is never called,
  // GCC then keeps them and their neighbours in memory (in the ring's pop it
  // turned the received std::optional into a copy through the stack that
  // stalled on store forwarding and doubled BM_SendReceive).
  template <class Unchanged>
  [[gnu::always_inline]] T spin_load(At at, Unchanged&& unchanged, std::memory_order order) const {
    if (at.exploring) [[unlikely]]
      spin_point(*at.site, &value_, unchanged());
    return value_.load(order);
  }
  // peek(): the value, read without a choice point, for an unchanged()
  // predicate (the point is the spin's own).
  T peek() const noexcept { return value_.load(std::memory_order_relaxed); }
  [[gnu::always_inline]] T fetch_or(T bits, At at, std::memory_order order) {
    choice_point_if(at.exploring, *at.site, &value_, true);
    return value_.fetch_or(bits, order);
  }
  [[gnu::always_inline]] T fetch_add(T delta, At at, std::memory_order order) {
    choice_point_if(at.exploring, *at.site, &value_, true);
    return value_.fetch_add(delta, order);
  }

  std::atomic<T>& unshared() noexcept { return value_; }
  const std::atomic<T>& unshared() const noexcept { return value_; }

 private:
  std::atomic<T> value_{};
};

// ---------------------------------------------------------------- the runtime's sites
// One per access and call site (a lock taken to wait is not the lock taken
// to wake). Ids are never reused; a new site takes the next free id.
namespace sites {
// One site per line, a table to read down: not reflowed.
// clang-format off
// park.h / park.cpp: a WaitList's state word (lock bit + waiter count). The
// wakers' locks are inner: wake_one, wake_all and hand_to_first are noexcept
// (the queue's fast path is compiled around that), so a waker is never
// unwound there; teardown runs it on past the wake instead.
inline constexpr ChoicePointSite kWaitLock{1, PointKind::between, false, "park.h: wait locks the list (CAS)"};
inline constexpr ChoicePointSite kWakeOneLock{2, PointKind::inner, false, "park.cpp: wake_one locks the list (CAS)"};
inline constexpr ChoicePointSite kWakeAllLock{3, PointKind::inner, false, "park.cpp: wake_all locks the list (CAS)"};
inline constexpr ChoicePointSite kHandOffLock{4, PointKind::inner, false, "park.h: hand_to_first locks the list (CAS)"};
// A waiter that leaves by itself (its deadline passed, or it is unwound)
// still has its Waiter linked: inner, it never unwinds half-way out.
inline constexpr ChoicePointSite kLeaveLock{5, PointKind::inner, false, "park.cpp: a timed-out or unwound waiter locks the list to leave (CAS)"};
inline constexpr ChoicePointSite kLockSpin{6, PointKind::between, true, "park.cpp: the list is locked: spin (load)"};
inline constexpr ChoicePointSite kLockRetry{7, PointKind::between, false, "park.cpp: lock again after a spin (CAS)"};
inline constexpr ChoicePointSite kLeaveLockSpin{8, PointKind::inner, true, "park.cpp: the list is locked: a leaving waiter spins (load)"};
inline constexpr ChoicePointSite kLeaveLockRetry{9, PointKind::inner, false, "park.cpp: a leaving waiter locks again after a spin (CAS)"};
inline constexpr ChoicePointSite kUnlock{10, PointKind::inner, false, "park.h: unlock the list (store)"};
inline constexpr ChoicePointSite kMaybeWaiters{11, PointKind::between, false, "park.h: maybe_waiters (load)"};
// park.cpp: a fiber's park word, as its wakers touch it (under a list's lock).
inline constexpr ChoicePointSite kWakeTimed{12, PointKind::inner, false, "park.cpp: wake a timed waiter (park word CAS, races its timer)"};
inline constexpr ChoicePointSite kWakeUntimed{13, PointKind::inner, false, "park.cpp: wake an untimed waiter (park word store)"};
// notify.cpp: a Notify's lock, its notify_waiters count, a registration's state.
inline constexpr ChoicePointSite kNotifyLock{14, PointKind::between, false, "notify.cpp: lock the Notify (CAS)"};
// From a registration's destructor, which must not unwind: inner.
inline constexpr ChoicePointSite kNotifyWithdrawLock{15, PointKind::inner, false, "notify.cpp: a dropped registration locks the Notify (CAS)"};
inline constexpr ChoicePointSite kNotifyCallsBump{16, PointKind::inner, false, "notify.cpp: notify_waiters counts a call (fetch_add)"};
inline constexpr ChoicePointSite kNotifyCallsRead{17, PointKind::between, false, "notify.cpp: notified() reads the call count (load)"};
inline constexpr ChoicePointSite kNotifyCallsRecheck{18, PointKind::inner, false, "notify.cpp: arming re-reads the call count (load)"};
inline constexpr ChoicePointSite kNotifiedStateLocked{19, PointKind::inner, false, "notify.cpp: a registration's state, under the lock"};
inline constexpr ChoicePointSite kNotifiedStateRead{20, PointKind::between, false, "notify.cpp: a registration reads its own state (load)"};
inline constexpr ChoicePointSite kNotifiedDone{21, PointKind::between, false, "notify.cpp: a woken wait marks its registration done (store)"};
inline constexpr ChoicePointSite kNotifyWake{22, PointKind::inner, false, "notify.cpp: wake a parked registration (park word store)"};
// clang-format on
}  // namespace sites

// runtime_choice_points(): every site above, in id order.
std::span<const ChoicePointSite* const> runtime_choice_points() noexcept;

}  // namespace tmpmc::runtime
