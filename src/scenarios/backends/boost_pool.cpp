// boost_pool.cpp: the Boost.Fiber pool the boost-fiber peer and the
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

#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/all.hpp>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tmpmc/runtime/pacing.h"

namespace tmpmc::scenarios::backends {

namespace {

using Job = std::function<void()>;

class WorkStealingPool {
 public:
  explicit WorkStealingPool(unsigned threads) : threads_count_(threads), jobs_(64) {
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i] {
        // Its fibers' timers fire on time (pacing.h), as the runtime's do.
        const runtime::TimerSlack slack;
        boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(threads_count_,
                                                                                    true);
        if (i == 0) {
          // Thread 0 launches each job as a fiber; stealing spreads the fibers
          // the job spawns over every thread.
          Job job;
          while (jobs_.pop(job) == boost::fibers::channel_op_status::success) {
            boost::fibers::fiber(std::move(job)).detach();
          }
        }
        std::unique_lock lock(done_mu_);
        done_cv_.wait(lock, [this] { return done_; });
      });
    }
  }
  unsigned threads() const noexcept { return threads_count_; }
  void run(const Job& body) {
    std::promise<void> finished;
    auto future = finished.get_future();
    jobs_.push([&body, &finished] {
      try {
        body();
        finished.set_value();
      } catch (...) {
        finished.set_exception(std::current_exception());
      }
    });
    future.get();
  }

 private:
  const unsigned threads_count_;
  boost::fibers::buffered_channel<Job> jobs_;
  boost::fibers::mutex done_mu_;
  boost::fibers::condition_variable done_cv_;
  bool done_ = false;
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
  // The pool lives as long as the process and is never destroyed: at exit the
  // main thread's Boost.Fiber context is gone before static destructors run,
  // and closing the job channel from there would wake a fiber across threads
  // with nothing to wake it from. Its threads sleep until the process ends.
  static std::mutex mu;
  static WorkStealingPool* pool = nullptr;
  WorkStealingPool* p = nullptr;
  {
    std::lock_guard lock(mu);
    if (pool == nullptr) pool = new WorkStealingPool(workers);
    p = pool;
  }
  if (p->threads() != workers) {
    throw std::runtime_error("boost-fiber: work_stealing runs on " + std::to_string(p->threads()) +
                             " threads in this process and cannot change to " +
                             std::to_string(workers) +
                             " (Boost.Fiber initialises it once per process); run separately");
  }
  p->run(body);
}

}  // namespace tmpmc::scenarios::backends

#endif  // __SANITIZE_THREAD__
