// facts.cpp: what the result files and --version say of this build and host.
#include "tmpmc/results/facts.h"

#include <sys/utsname.h>

#include <ctime>
#include <fstream>
#include <thread>

#include "tmpmc_version.h"

namespace tmpmc::results {

using nlohmann::json;

json tool_info() {
  return {{"version", TMPMC_VERSION}, {"git", TMPMC_GIT_COMMIT}, {"build", TMPMC_BUILD_TYPE}};
}

std::string tool_version() {
  return std::string("tmpmc-bench ") + TMPMC_VERSION + " (" + TMPMC_GIT_COMMIT + ", " +
         TMPMC_BUILD_TYPE + ")";
}

json host_info() {
  std::string model = "unknown";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname uts{};
  ::uname(&uts);
  return {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", model},
          {"compiler", std::string("g++ ") + __VERSION__},
          {"os", std::string(uts.sysname) + " " + uts.release}};
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace tmpmc::results
