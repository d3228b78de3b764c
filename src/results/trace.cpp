// trace.cpp: run --trace's output, one event of the schedule per line.
#include "tmpmc/results/trace.h"

#include "tmpmc/results/units.h"

namespace tmpmc::results {

namespace {

void print_events(std::FILE* out, const std::vector<runtime::TraceEvent>& trace, std::size_t last) {
  const std::size_t first = trace.size() > last ? trace.size() - last : 0;
  if (first > 0) std::fprintf(out, "  ... %zu earlier events not shown\n", first);
  for (std::size_t i = first; i < trace.size(); ++i) {
    const runtime::TraceEvent& e = trace[i];
    std::fprintf(out, "  %6llu  %-14s <- %-14s at %-46s [%s] (%u of %u runnable)\n",
                 static_cast<unsigned long long>(e.step), e.fiber.c_str(),
                 e.previous.empty() ? "-" : e.previous.c_str(), e.at.empty() ? "-" : e.at.c_str(),
                 e.state.c_str(), e.choice + 1, e.runnable);
  }
}

}  // namespace

void print_traces(std::FILE* out, const std::vector<ScenarioResult>& results, std::size_t last) {
  for (const auto& r : results) {
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const scenarios::RunResult& run = r.runs[i];
      std::fprintf(out, "trace of %s, run %zu: seed %llu, %zu events, trace_hash %s\n",
                   r.config.name.c_str(), i + 1,
                   static_cast<unsigned long long>(r.config.runtime.seed), run.trace.size(),
                   detail::hex16(run.trace_hash.value_or(0)).c_str());
      std::fprintf(out, "    step  runs           <- after          at %-43s [queue] (choice)\n",
                   "");
      print_events(out, run.trace, last);
    }
  }
  std::fflush(out);
}

}  // namespace tmpmc::results
