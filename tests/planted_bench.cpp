// planted_bench.cpp: tmpmc-bench-planted, the whole tmpmc-bench command line
// (cli_main.h) with the planted queues (planted_queues.h) and one
// weak-memory mutant (mutants.h) registered as five more impls. planted_cli_test drives it through
// the signals, crashes and hangs those queues cause, as a user's shell would.
#include <string_view>

#include "cli_main.h"
#include "planted_queues.h"
#include "tmpmc/scenarios/impls.h"

namespace {

namespace sc = tmpmc::scenarios;
using namespace tmpmc::planted;

// planted(): a registry row for a planted queue: none has timed
// operations, tries or batches.
sc::Impl planted(std::string_view name, std::string_view description,
                 sc::RunResult (*run)(const sc::ScenarioConfig&, const sc::DriverOptions&),
                 bool on_our_runtime) {
  return sc::Impl{.name = name,
                  .description = description,
                  .run = run,
                  .not_under_tsan_because = {},
                  .on_our_runtime = on_our_runtime,
                  .timed = false,
                  .untimed_because = "a planted queue",
                  .tries = false,
                  .batches = false,
                  .note = nullptr};
}

void add_planted_impls() {
  using tmpmc::mutants::run_mutant;
  sc::add_impl(planted("planted-spin",
                       "our queue, whose receive on an empty queue spins for ever on a flag "
                       "nobody sets, never yielding",
                       run_mutant<SpinOnUnsetFlag>, true));
  sc::add_impl(planted("planted-stall",
                       "our queue, whose push claims a slot and then spins for ever before it "
                       "writes the value",
                       run_mutant<StallAfterClaim>, true));
  sc::add_impl(planted("planted-crash",
                       "our queue, whose receive dereferences null when it finds every slot full",
                       run_mutant<CrashWhenFull>, true));
  sc::add_impl(planted("planted-relaxed-stamp",
                       "our queue, whose pop loads the slot's stamp relaxed instead of acquire "
                       "(a weak-memory bug: mutants.h, PopStampWithoutAcquire)",
                       run_mutant<tmpmc::mutants::PopStampWithoutAcquire>, true));
  sc::add_impl(planted("planted-stuck",
                       "the threads peer, whose receive waits for ever once the queue is closed "
                       "and drained",
                       run_never_released, false));
}

}  // namespace

int main(int argc, char** argv) {
  add_planted_impls();
  return tmpmc::cli::cli_main(argc, argv);
}
