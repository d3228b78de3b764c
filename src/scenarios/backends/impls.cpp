// impls.cpp: the impl registry's rows (impls.h). Order matters only for
// reading: help texts and error messages list the impls in this order.
#include "tmpmc/scenarios/impls.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/backends.h"

namespace tmpmc::scenarios {

namespace {

// unless_tsan(run): the run function of an impl a ThreadSanitizer build
// leaves out (its row says why), which that build does not compile.
#if defined(__SANITIZE_THREAD__)
#define TMPMC_UNLESS_TSAN(run) nullptr
#else
#define TMPMC_UNLESS_TSAN(run) run
#endif

constexpr std::array kImplRows = {
    Impl{.name = "tmpmc",
         .description = "our queue (and channel), on our runtime",
         .run = backends::run_tmpmc,
         .not_under_tsan_because = {},
         .on_our_runtime = true,
         .timed = true,
         .untimed_because = {},
         .tries = true,
         .batches = true,
         .note = nullptr},
    Impl{.name = "boost-fiber",
         .description = "boost::fibers::buffered_channel, on Boost.Fiber's schedulers",
         .run = TMPMC_UNLESS_TSAN(backends::run_boost_fiber),
         .not_under_tsan_because = "Boost.Fiber's stack switches are invisible to TSan, and GCC "
                                   "rejects its fences under -fsanitize=thread",
         .on_our_runtime = false,
         .timed = true,
         .untimed_because = {},
         .tries = false,
         .batches = false,
         .note = backends::boost_fiber_note},
    Impl{.name = "mutex",
         .description = "a std::mutex around a ring, with our runtime's park and wake",
         .run = backends::run_mutex,
         .not_under_tsan_because = {},
         .on_our_runtime = true,
         .timed = true,
         .untimed_because = {},
         .tries = false,
         .batches = false,
         .note = nullptr},
    Impl{.name = "threads",
         .description = "a std::mutex and condition_variable queue, one OS thread per producer "
                        "and consumer",
         .run = backends::run_threads,
         .not_under_tsan_because = {},
         .on_our_runtime = false,
         .timed = true,
         .untimed_because = {},
         .tries = false,
         .batches = false,
         .note = backends::threads_note},
    Impl{.name = "asio",
         .description = "boost::asio::experimental::concurrent_channel, C++20 coroutines on an "
                        "io_context run by runtime.workers threads; Asio's own close()",
         .run = TMPMC_UNLESS_TSAN(backends::run_asio),
         .not_under_tsan_because = "GCC rejects Asio's fences under -fsanitize=thread",
         .on_our_runtime = false,
         .timed = false,
         .untimed_because = "Asio's channels have none",
         .tries = false,
         .batches = false,
         .note = backends::asio_note},
    Impl{.name = "asio-drained",
         .description = "asio, closed by hand only once the channel is drained",
         .run = TMPMC_UNLESS_TSAN(backends::run_asio_drained),
         .not_under_tsan_because = "GCC rejects Asio's fences under -fsanitize=thread",
         .on_our_runtime = false,
         .timed = false,
         .untimed_because = "Asio's channels have none",
         .tries = false,
         .batches = false,
         .note = backends::asio_drained_note},
    Impl{.name = "tbb",
         .description = "tbb::concurrent_bounded_queue, one OS thread per producer and consumer; "
                        "close built on wake tokens and abort()",
         .run = TMPMC_UNLESS_TSAN(backends::run_tbb),
         .not_under_tsan_because = "Debian's libtbb is not instrumented for TSan, and the queue "
                                   "synchronises partly inside it",
         .on_our_runtime = false,
         .timed = false,
         .untimed_because = "oneTBB's concurrent_bounded_queue has no timed push or pop",
         .tries = false,
         .batches = false,
         .note = backends::tbb_note},
    Impl{.name = "seed",
         .description = "the seed design (tokio-mpmc 0.2.4's Queue, its bugs kept), on our runtime",
         .run = backends::run_seed,
         .not_under_tsan_because = {},
         .on_our_runtime = true,
         .timed = false,
         .untimed_because = "tokio-mpmc 0.2.4 has none",
         .tries = false,
         .batches = false,
         .note = nullptr},
};
#undef TMPMC_UNLESS_TSAN

// rows(): the built-in rows, then those a program added (add_impl) before
// its first run. Built on first use; read-only once a run has started.
std::vector<Impl>& rows() {
  static std::vector<Impl> all(kImplRows.begin(), kImplRows.end());
  return all;
}

}  // namespace

std::span<const Impl> impls() { return rows(); }

void add_impl(const Impl& row) {
  if (row.name.empty() || row.run == nullptr) {
    throw std::invalid_argument("add_impl: a row needs a name and a run function");
  }
  if (find_impl(row.name) != nullptr) {
    throw std::invalid_argument("add_impl: an impl named \"" + std::string(row.name) +
                                "\" is already registered");
  }
  rows().push_back(row);
}

const Impl* find_impl(std::string_view name) {
  const auto& all = rows();
  auto it =
      std::find_if(all.begin(), all.end(), [name](const Impl& impl) { return impl.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::vector<std::string> impl_names() {
  std::vector<std::string> names;
  names.reserve(rows().size());
  for (const Impl& impl : rows()) names.emplace_back(impl.name);
  return names;
}

std::vector<std::string> impl_names(bool ours) {
  std::vector<std::string> names;
  for (const Impl& impl : rows()) {
    if (impl.on_our_runtime == ours) names.emplace_back(impl.name);
  }
  return names;
}

std::string join_names(const std::vector<std::string>& names, std::string_view last,
                       std::string_view quote) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? last : std::string_view(", ");
    text.append(quote).append(names[i]).append(quote);
  }
  return text;
}

}  // namespace tmpmc::scenarios
