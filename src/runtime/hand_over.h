// hand_over.h: what a fiber that gives up its worker asks the next one to do.
//
// Every switch (Worker::switch_to, and the carriers' retire() and
// release_carriers(), all through jump() in switch.h; or a stack's last
// switch, exit_current() / exit_carrier()) leaves a HandOver on the worker.
// The fiber that switches out cannot finish its own bookkeeping: until its
// continuation is saved, nobody may resume it. So the stack that runs next
// performs the hand-over first thing (Worker::complete_switch), once
// Boost.Context has handed it the saved continuation. That is what makes
// parking race-free (park.h). Each case carries exactly the data it needs.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <variant>

namespace tmpmc::runtime {
class WaitList;
}

namespace tmpmc::runtime::detail {

class Fiber;

// Carrier: a fiber stack whose task has returned, suspended at the end of
// fiber_main's loop so that the next new fiber runs on it: starting a fiber
// then costs one switch instead of Boost.Context's set-up jump, first entry
// and exit (see Worker::start). It lives on that stack; idle ones are linked
// on the worker where their task returned.
struct Carrier {
  boost::context::fiber context;  // where it waits to be given a fiber
  void* stack_base = nullptr;
  std::size_t stack_size = 0;
  void* asan_fake_stack = nullptr;
  void* tsan_fiber = nullptr;
  Fiber* assigned = nullptr;  // the fiber to run next; null: return (teardown)
  Carrier* next = nullptr;
};

namespace after {
// Keep its continuation: it is already runnable, or it is the idle context.
struct Save {};
// A yield: keep its continuation and queue it to run again later.
struct Requeue {};
// Publish it as parked in `epoch`, then unlock the wait list it parked on.
// racing: another waker (a timer) may try too, so kParked is published by CAS.
struct Park {
  std::uint64_t epoch;
  bool racing;
  WaitList* unlock_after;  // null: a park on no list (sleep)
};
// Publish it as parked in `epoch`, then as `target`'s joiner (Fiber::join_state_).
struct ParkJoin {
  std::uint64_t epoch;
  Fiber* target;
};
// It returned and its stack is gone: release the fiber.
struct Finish {};
// Its task returned, its stack stays: link `carrier` idle, release the fiber.
struct Retire {
  Carrier* carrier;
};
// An idle carrier returned at teardown: destroy its TSan context.
struct DropCarrier {
  void* tsan_fiber;
};
}  // namespace after

// IndexIn<T, V>::value: the index of alternative T in variant V.
template <class T, class V>
struct IndexIn;
template <class T, class... Ts>
struct IndexIn<T, std::variant<Ts...>> {
  static constexpr std::size_t value = [] {
    constexpr bool same[] = {std::is_same_v<T, Ts>...};
    std::size_t i = 0;
    while (!same[i]) ++i;
    return i;
  }();
};

// HandOver: the fiber that switched out and what must happen to it.
struct HandOver {
  using After = std::variant<after::Save, after::Requeue, after::Park, after::ParkJoin,
                             after::Finish, after::Retire, after::DropCarrier>;
  // index_of<T>: T's index in After, for a switch over after.index() (a
  // switch, not std::visit: GCC does not always inline visit's dispatcher,
  // and this runs on every stack switch).
  template <class T>
  static constexpr std::size_t index_of = IndexIn<T, After>::value;

  // The fiber that switched out; null after a carrier's last switch (DropCarrier).
  Fiber* previous = nullptr;
  After after;
};

}  // namespace tmpmc::runtime::detail
