// main.cpp: tmpmc-bench's command line (CLI11 subcommands, nothing else).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "tmpmc_version.h"

int main(int argc, char** argv) {
  CLI::App app{"tmpmc-bench: benchmark and stress-test an async bounded MPMC queue"};
  app.set_version_flag("--version", std::string("tmpmc-bench ") + TMPMC_VERSION + " (" +
                                        TMPMC_GIT_COMMIT + ", " + TMPMC_BUILD_TYPE + ")");
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 exits 0 for --help/--version; usage errors are exit code 2 (DESIGN.md).
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
  }
  return 0;
}
