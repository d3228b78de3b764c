// boost_pool.cpp: the Boost.Fiber threads the boost-fiber peer and the
// microbenchmarks run their fibers on.
#include "backends/boost_pool.h"

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds leave Boost.Fiber out: its stack switches are not
// annotated for TSan, and its fences are not modelled by it (GCC's -Wtsan).
#include <stdexcept>

namespace tmpmc::scenarios::backends {
void run_on_boost(unsigned, const std::function<void()>&) {
  throw std::runtime_error("Boost.Fiber is not available in a ThreadSanitizer build");
}
}  // namespace tmpmc::scenarios::backends

#else

#include <boost/fiber/algo/shared_work.hpp>
#include <boost/fiber/all.hpp>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "tmpmc/runtime/pacing.h"
#include "tmpmc/scenarios/abandoned.h"

namespace tmpmc::scenarios::backends {

namespace {

// SharedWorkRun: one run's threads. Thread 0 runs the body on its main
// fiber; the fibers the body spawns go to shared_work's one ready queue,
// which every thread's scheduler takes from. suspend = false: an idle thread
// polls the queue instead of sleeping, because a sleeping one is not woken
// when a fiber becomes ready on another thread (Boost 1.81, work_stealing
// and shared_work alike: boostorg/fiber#327, #274), and a run then hangs
// with a ready fiber nobody runs. The threads live for the run only: polling
// between runs would take CPU from the other impls' runs.
class SharedWorkRun {
 public:
  SharedWorkRun(unsigned threads, const std::function<void()>& body) {
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i, &body] {
        // Its fibers' timers fire on time (pacing.h), as the runtime's do.
        const runtime::TimerSlack slack;
        boost::fibers::use_scheduling_algorithm<boost::fibers::algo::shared_work>(false);
        if (i == 0) {
          try {
            body();
          } catch (...) {
            error_ = std::current_exception();
          }
          std::unique_lock lock(done_mu_);
          done_ = true;
          lock.unlock();
          done_cv_.notify_all();
        } else {
          // A fiber wait, not a thread's: this thread's scheduler runs the
          // run's fibers meanwhile.
          std::unique_lock lock(done_mu_);
          done_cv_.wait(lock, [this] { return done_; });
        }
      });
    }
  }
  // finish(): waits for the run. False when the threads were kept (below):
  // then *this must stay alive too.
  bool finish() {
    // A run that left a fiber it could not join (a hang it reported,
    // abandoned.h) keeps its threads: a Boost.Fiber scheduler must not be
    // destroyed under a fiber that is still blocked.
    threads_.front().join();
    const bool joinable = abandoned_tasks() == abandoned_before_;
    for (std::size_t i = 1; i < threads_.size(); ++i) {
      if (joinable) {
        threads_[i].join();
      } else {
        threads_[i].detach();
      }
    }
    return joinable;
  }
  // error(): what the body threw, once finished.
  std::exception_ptr error() const { return error_; }

 private:
  const std::uint64_t abandoned_before_ = abandoned_tasks();
  boost::fibers::mutex done_mu_;
  boost::fibers::condition_variable done_cv_;
  bool done_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace

void run_on_boost(unsigned workers, const std::function<void()>& body) {
  if (workers <= 1) {
    const runtime::TimerSlack slack;  // for the run, as the runtime's worker 0 has it
    std::exception_ptr error;
    boost::fibers::fiber([&] {
      try {
        body();
      } catch (...) {
        error = std::current_exception();
      }
    }).join();
    if (error) std::rethrow_exception(error);
    return;
  }
  auto run = std::make_unique<SharedWorkRun>(workers, body);
  const bool joined = run->finish();
  const std::exception_ptr error = run->error();
  if (!joined) keep_forever(std::shared_ptr<SharedWorkRun>(std::move(run)));  // with its threads
  if (error) std::rethrow_exception(error);
}

}  // namespace tmpmc::scenarios::backends

#endif  // __SANITIZE_THREAD__
