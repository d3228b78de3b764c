// stop_signals.h: how SIGINT, SIGTERM and SIGHUP end a command that runs
// scenarios (run, stress), and the watchdog that makes sure they do.
//
// The first signal asks the running scenario to stop (g_interrupted): the
// driver and the search read the flag every few steps, stop, and the command
// writes what finished as usual. A run that never reaches such a check (a
// queue that spins for ever on a real thread, a peer's task blocked where no
// close reaches it) cannot be stopped that way. So the first signal also
// starts a grace period, on a thread of its own. When it runs out, or at a
// second signal, that thread writes what finished (the run under way marked
// interrupted) and ends the process with _exit: no static destructor runs
// under a task that is still going.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

namespace tmpmc::cli {

// Set by the first SIGINT, SIGTERM or SIGHUP; read by the running scenario.
extern std::atomic<bool> g_interrupted;
// interrupted_exit_code(): 130 after SIGINT, 143 after SIGTERM or SIGHUP.
int interrupted_exit_code();

// StopWatchdog: while it lives, the three signals are handled as above.
// write_interrupted() is called on the watchdog's thread, while the command
// may still be running on another: it must read only what the command
// publishes under a lock (scenarios::RunsSoFar).
class StopWatchdog {
 public:
  StopWatchdog(std::chrono::milliseconds grace, std::function<void()> write_interrupted);
  ~StopWatchdog();  // stops the watchdog's thread (the handlers stay)
  StopWatchdog(const StopWatchdog&) = delete;
  StopWatchdog& operator=(const StopWatchdog&) = delete;
};

// own_output(): a command calls it before it prints or writes its results.
// From then on the watchdog writes nothing: it lets the command finish. If
// the watchdog is writing already, the call never returns (the watchdog ends
// the process once its file is written). Without a watchdog it returns at once.
void own_output();

}  // namespace tmpmc::cli
