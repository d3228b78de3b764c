// cli_main.h: tmpmc-bench's whole command line as one call, for its own
// main() and for a program that registers impls of its own first
// (scenarios::add_impl; the tests' planted queues do).
#pragma once

namespace tmpmc::cli {

// cli_main(): parses argv, runs the subcommand, and returns the exit code
// (DESIGN.md). An error no command reports (out of memory, a system resource
// refused) is one line and exit code 3, not an abort; so is a std::terminate.
int cli_main(int argc, char** argv);

}  // namespace tmpmc::cli
