// thread_parker.cpp: an idle worker's sleep and the wake that ends it.
#include "thread_parker.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <chrono>

namespace tmpmc::runtime::detail {

namespace {
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                const std::optional<TimePoint>& deadline) noexcept {
  timespec ts{};
  timespec* timeout = nullptr;
  if (deadline) {
    // steady_clock is CLOCK_MONOTONIC in libstdc++, the clock FUTEX_WAIT_BITSET
    // uses for its absolute timeout.
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count();
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    timeout = &ts;
  }
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_BITSET_PRIVATE, expected,
            timeout, nullptr, FUTEX_BITSET_MATCH_ANY);
}
void futex_wake_one(std::atomic<std::uint32_t>* word) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
}
}  // namespace

void ThreadParker::sleep_until(std::optional<TimePoint> deadline) noexcept {
  // Spurious futex returns are fine: the worker loop re-checks everything.
  if (state_.load(std::memory_order_acquire) == kSleeping) futex_wait(&state_, kSleeping, deadline);
  state_.store(kAwake, std::memory_order_relaxed);
}

bool ThreadParker::wake() noexcept {
  // seq_cst: pairs with announce_sleep() (see the class comment).
  if (state_.exchange(kNotified, std::memory_order_seq_cst) != kSleeping) return false;
  futex_wake_one(&state_);
  return true;
}

}  // namespace tmpmc::runtime::detail
