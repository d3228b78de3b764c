// runtime_fixture.h: one fixture that runs a test on every kind of runtime.
//
// Deterministic (1 worker, seeded, virtual time), 1 real worker, 2 real
// workers. Every test checks at tear-down that no fiber was left behind, and
// real runtimes carry a watchdog so that a lost wake fails the test instead of
// hanging it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "tmpmc/runtime/runtime.h"

namespace tmpmc::testing {

// kUnreached: a timeout that only a broken queue reaches. Where a test needs a
// timed operation to end by an event (room, a value, close), the verdict must
// not depend on how fast the other fiber gets there on a loaded machine; a
// queue that never delivers the event fails at the CTest timeout (real
// runtimes) or at once, virtual time jumping to the deadline (deterministic).
constexpr auto kUnreached = std::chrono::hours(1);

// Sanitizer builds run the same tests at smaller sizes where a size is only
// there to make the test thorough (TSan's per-fiber cost is ~1000x ours).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
// TSan on its own: it checks orderings between threads, so a test that runs
// one deterministic worker gains nothing from it but its cost.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitized = true;
#else
inline constexpr bool kThreadSanitized = false;
#endif

enum class Mode { deterministic, one_worker, two_workers };

inline runtime::Options options_for(Mode mode, std::uint64_t seed = 1) {
  runtime::Options options;
  options.seed = seed;
  options.watchdog = std::chrono::seconds(60);
  switch (mode) {
    case Mode::deterministic:
      options.deterministic = true;
      options.workers = 1;
      break;
    case Mode::one_worker:
      options.workers = 1;
      break;
    case Mode::two_workers:
      options.workers = 2;
      break;
  }
  return options;
}

// to_string(): the mode's name in test names ("Modes/QueueTest.send_closed/workers2").
inline const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::deterministic:
      return "deterministic";
    case Mode::one_worker:
      return "workers1";
    case Mode::two_workers:
      return "workers2";
  }
  return "unknown";
}

// PrintTo(): what --gtest_list_tests and failure messages print as GetParam()
// (without it, a scoped enum prints as "4-byte object <00-00 00-00>").
inline void PrintTo(Mode mode, std::ostream* out) { *out << to_string(mode); }

inline std::string mode_name(const ::testing::TestParamInfo<Mode>& info) {
  return to_string(info.param);
}

class RuntimeFixture : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override { runtime_ = std::make_unique<runtime::Runtime>(options_for(GetParam())); }
  void TearDown() override {
    EXPECT_EQ(runtime_->live_fibers(), 0u) << "fibers left behind by the test";
    runtime_.reset();
  }
  runtime::Runtime& rt() { return *runtime_; }
  bool deterministic() const { return GetParam() == Mode::deterministic; }

 private:
  std::unique_ptr<runtime::Runtime> runtime_;
};

// yield_until(): yields until `condition` holds. A test that needs another
// fiber to have got somewhere (parked, sent its first values) waits for that
// state, never for a fixed number of yields: with two workers under TSan the
// other fiber may not have run at all after 20. A condition that never comes
// true is caught by the runtime's watchdog.
template <typename Condition>
void yield_until(Condition condition) {
  while (!condition()) runtime::this_fiber::yield();
}

#define TMPMC_ALL_MODES(Suite)                                                                     \
  INSTANTIATE_TEST_SUITE_P(                                                                        \
      Modes, Suite,                                                                                \
      ::testing::Values(::tmpmc::testing::Mode::deterministic, ::tmpmc::testing::Mode::one_worker, \
                        ::tmpmc::testing::Mode::two_workers),                                      \
      ::tmpmc::testing::mode_name)

}  // namespace tmpmc::testing
