// impls.h: the impl registry, one row per queue implementation a scenario
// can run on (queue.impl). Config validation, the driver, the report's note
// and the CLI help all read it; adding an impl is one row (impls.cpp) plus
// its backend file (backends/). A program that links the tool may add rows
// of its own (add_impl).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tmpmc::scenarios {

struct ScenarioConfig;
struct DriverOptions;
struct RunResult;

struct Impl {
  std::string_view name;  // queue.impl
  // What it is and how it runs, one line for the help and for readers.
  std::string_view description;
  // run(): the scenario once on this impl (driver.h's run_scenario); nullptr
  // in a ThreadSanitizer build for a row with `not_under_tsan_because`, whose
  // backend is then not compiled in.
  RunResult (*run)(const ScenarioConfig&, const DriverOptions&);
  // Why a ThreadSanitizer build leaves this impl out; empty: it runs there.
  std::string_view not_under_tsan_because;
  // On our runtime: it can run deterministic: true, and so under stress's
  // schedule exploration.
  bool on_our_runtime;
  // Timed sends and receives (producers.send_timeout_us,
  // consumers.receive_timeout_us); when false, `untimed_because` says why.
  bool timed;
  std::string_view untimed_because;
  // try_send and try_receive (producers.try_first, consumers.try_first).
  bool tries;
  // send_many and receive_many (producers.batch, consumers.batch > 1).
  bool batches;
  // note(): what running a config on this impl changes about it, for the
  // report (nullptr: nothing).
  std::string (*note)(const ScenarioConfig&);
};

// impls(): every row, in the order help texts and error messages list them.
std::span<const Impl> impls();
// add_impl(): one more row, after the built-in ones: an impl a program
// linking the tool brings (a test's planted queue). Call it before anything
// reads the registry (before the command line is parsed); it is not
// synchronised. Throws std::invalid_argument for a row without a name or run
// function, or a name already taken.
void add_impl(const Impl& row);
// find_impl(): the row named `name`, or nullptr.
const Impl* find_impl(std::string_view name);

// impl_names(): the names of the rows with on_our_runtime == `ours` (every
// row without an argument), in registry order.
std::vector<std::string> impl_names();
std::vector<std::string> impl_names(bool ours);
// join_names(): "a, b, c"; `last` goes before the final name instead of ", ",
// and `quote` around each name.
std::string join_names(const std::vector<std::string>& names, std::string_view last = ", ",
                       std::string_view quote = "");

}  // namespace tmpmc::scenarios
