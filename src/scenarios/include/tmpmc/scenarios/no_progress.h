// no_progress.h: a run that passed every check but made no progress fails
// all the same. A driver whose producers all stopped before their first send
// once printed 0 msgs/s and `pass` for every shipped scenario: nothing was
// lost, because nothing was sent.
#pragma once

#include "tmpmc/scenarios/config.h"
#include "tmpmc/scenarios/driver.h"

namespace tmpmc::scenarios {

// judge_progress(): sets run.no_progress (why, in one phrase) when a
// closed-loop scenario (no producers.rate_per_sec) of messages > 0 or
// duration_ms > 0 ended with every check passed but
//  - no send attempted (none returned ok, none was refused or timed out), or
//  - fewer messages than its close rule needs:
//      after_received N, no consumer quitting: N received (with a
//      producer fault, N or every message sent ok, whichever is fewer);
//      after_producers or senders_dropped, a run of `messages` with no
//      producer fault (stop_after, send_timeout_us): every message attempted.
// A run that already failed (a check, an error, a hang, a stop) or was
// interrupted is left as it is: its own class names it. An open-loop run is
// not judged: its rate, not the queue, decides how much it sends.
void judge_progress(const ScenarioConfig& config, RunResult& run);

}  // namespace tmpmc::scenarios
