// cli_runner.h: the tests' one way to run the tmpmc-bench binary and to give
// it a file to read.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "test_paths.h"

namespace tmpmc::testing {

struct CliRun {
  int exit_code = -1;  // -1: it did not exit
  std::string output;  // stdout and stderr, interleaved
};

// run_cli(args): tmpmc-bench (or `binary`) with `args` (shell words), waited for.
inline CliRun run_cli(const std::string& args, const char* binary = bench_bin()) {
  const std::string command = std::string(binary) + " " + args + " 2>&1";
  CliRun run;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr)
    run.output += buffer.data();
  const int status = ::pclose(pipe.release());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// exit_code(args): how tmpmc-bench ends with `args`.
inline int exit_code(const std::string& args) { return run_cli(args).exit_code; }

// temp_file(name, content): a file in the temp directory holding `content`; its path.
inline std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / ("tmpmc_test_" + name);
  std::ofstream(path) << content;
  return path.string();
}

}  // namespace tmpmc::testing
