// pacing.cpp: the timer slack of a thread (pacing.h).
#include "tmpmc/runtime/pacing.h"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace tmpmc::runtime {

TimerSlack::TimerSlack() noexcept : previous_ns_(-1) {
#if defined(__linux__)
  // PR_GET_TIMERSLACK returns the slack (it is not an error code); 1 ns is
  // the smallest a thread can ask for (0 means "the default" to the kernel).
  const int previous = ::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  if (previous > 1 && ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) == 0) previous_ns_ = previous;
#endif
}

TimerSlack::~TimerSlack() {
#if defined(__linux__)
  if (previous_ns_ > 0)
    ::prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(previous_ns_), 0, 0, 0);
#endif
}

}  // namespace tmpmc::runtime
