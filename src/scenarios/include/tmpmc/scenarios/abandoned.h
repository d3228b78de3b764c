// abandoned.h: the tasks a run could not join, and what they may still touch.
//
// A peer's task that even a close cannot release (a thread blocked for good
// inside someone else's queue) is not joined: destroying its joinable handle
// would end the process in std::terminate, with no result file. The run
// reports it as a hang and detaches it instead (backends/deadline_executor.h);
// everything the task references is kept alive for the rest of the process
// (keep_forever), and the command that ran it leaves the process with
// std::_Exit once its results are written, never through static destructors
// that the stuck task might still touch (src/cli/cli.cpp).
#pragma once

#include <cstdint>
#include <memory>

namespace tmpmc::scenarios {

// abandoned_tasks(): how many tasks this process's runs detached.
std::uint64_t abandoned_tasks() noexcept;
// note_abandoned_task(): one more task was detached, still running.
void note_abandoned_task() noexcept;
// keep_forever(object): `object` is never destroyed: it is held by a
// container that is itself never destroyed (and reachable, so a leak
// checker does not count it).
void keep_forever(std::shared_ptr<void> object);

}  // namespace tmpmc::scenarios
