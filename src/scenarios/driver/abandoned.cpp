// abandoned.cpp: the count of detached tasks and what they keep alive
// (abandoned.h).
#include "tmpmc/scenarios/abandoned.h"

#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

namespace tmpmc::scenarios {

namespace {
// relaxed: a count read after the run that detached (the same thread, or
// after joining the command's work), never used to order other memory.
std::atomic<std::uint64_t> g_abandoned{0};

struct Graveyard {
  std::mutex mutex;  // guards objects
  std::vector<std::shared_ptr<void>> objects;
};
// Never destroyed: a static destructor would free what a stuck task uses.
Graveyard& graveyard() {
  static auto* g = new Graveyard;
  return *g;
}
}  // namespace

std::uint64_t abandoned_tasks() noexcept { return g_abandoned.load(std::memory_order_relaxed); }

void note_abandoned_task() noexcept { g_abandoned.fetch_add(1, std::memory_order_relaxed); }

void keep_forever(std::shared_ptr<void> object) {
  Graveyard& g = graveyard();
  std::lock_guard lock(g.mutex);
  g.objects.push_back(std::move(object));
}

}  // namespace tmpmc::scenarios
