// stop_signals.cpp: the stop signals' handler and the watchdog's thread
// (stop_signals.h). The handler only stores to lock-free atomics and posts a
// semaphore, which POSIX lists as async-signal-safe; everything else happens
// on the watchdog's thread.
#include "stop_signals.h"

#include <semaphore.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <thread>

namespace tmpmc::cli {

std::atomic<bool> g_interrupted{false};

namespace {

// The signal that stopped the run, for the exit code; how many came. A
// signal handler may only store to a lock-free atomic or a sig_atomic_t.
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_signals_seen = 0;

// Posted once per signal, and once by ~StopWatchdog. Process-lifetime: the
// handler may post it after the watchdog is gone.
sem_t g_posts;
std::atomic<bool> g_watchdog_leaving{false};

// Who writes the results: nobody yet, the command, or the watchdog.
enum Owner : int { kNobody, kCommand, kWatchdog };
std::atomic<int> g_output_owner{kNobody};

extern "C" void on_stop_signal(int signal) {
  g_stop_signal = signal;
  g_interrupted.store(true);
  g_signals_seen = g_signals_seen + 1;
  // A third signal ends the process at once, whatever the watchdog is doing.
  if (g_signals_seen >= 2) std::signal(signal, SIG_DFL);
  sem_post(&g_posts);
}

// wait_for_post(deadline): true when posted (a signal, or the watchdog's
// end), false when `deadline` (CLOCK_MONOTONIC) passed first.
bool wait_for_post(const timespec* deadline) {
  for (;;) {
    const int rc = deadline == nullptr ? sem_wait(&g_posts)
                                       : sem_clockwait(&g_posts, CLOCK_MONOTONIC, deadline);
    if (rc == 0) return true;
    if (errno != EINTR) return false;  // ETIMEDOUT
  }
}

void watch(std::chrono::milliseconds grace, const std::function<void()>& write_interrupted) {
  wait_for_post(nullptr);  // the first signal, or the command's end
  if (g_watchdog_leaving.load()) return;
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count();
  deadline.tv_sec += static_cast<time_t>(ns / 1'000'000'000);
  deadline.tv_nsec += static_cast<long>(ns % 1'000'000'000);
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000;
  }
  const bool second_signal = wait_for_post(&deadline);
  if (g_watchdog_leaving.load()) return;
  int nobody = kNobody;
  // The command is writing its own results: let it finish (a third signal
  // still ends the process).
  if (!g_output_owner.compare_exchange_strong(nobody, kWatchdog)) return;
  std::fprintf(stderr,
               "\ntmpmc-bench: %s; writing what finished (the run under way marked interrupted) "
               "and leaving\n",
               second_signal ? "a second signal came before the run stopped"
                             : "the run did not stop within the grace period after the signal");
  try {
    write_interrupted();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tmpmc-bench: could not write the results: %s\n", e.what());
  } catch (...) {
    std::fputs("tmpmc-bench: could not write the results\n", stderr);
  }
  std::fflush(nullptr);
  // Not exit(): the stuck task may still touch what static destructors free.
  ::_exit(interrupted_exit_code());
}

std::thread g_watchdog;

}  // namespace

int interrupted_exit_code() { return g_stop_signal == SIGINT ? 130 : 143; }

StopWatchdog::StopWatchdog(std::chrono::milliseconds grace,
                           std::function<void()> write_interrupted) {
  sem_init(&g_posts, 0, 0);
  g_watchdog = std::thread([grace, write = std::move(write_interrupted)] { watch(grace, write); });
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, on_stop_signal);
}

StopWatchdog::~StopWatchdog() {
  g_watchdog_leaving.store(true);
  sem_post(&g_posts);
  g_watchdog.join();
}

void own_output() {
  int nobody = kNobody;
  if (g_output_owner.compare_exchange_strong(nobody, kCommand) || nobody == kCommand) return;
  // The watchdog is writing and will end the process: wait for it.
  for (;;) ::pause();
}

}  // namespace tmpmc::cli
