#include "boost_pool.h"

#include <boost/fiber/algo/work_stealing.hpp>
#include <memory>
#include <vector>

namespace tmpmc::bench {

namespace {

using Job = std::function<void()>;

class WorkStealingPool {
 public:
  WorkStealingPool() : jobs_(64) {
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this, i] {
        boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(2, true);
        if (i == 0) {
          // Thread 0 launches each job as a fiber; stealing spreads the fibers
          // the job spawns over both threads.
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
  ~WorkStealingPool() {
    jobs_.close();
    {
      std::unique_lock lock(done_mu_);
      done_ = true;
    }
    done_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void run(const Job& body) {
    std::promise<void> finished;
    auto future = finished.get_future();
    jobs_.push([&body, &finished] {
      body();
      finished.set_value();
    });
    future.wait();
  }

 private:
  boost::fibers::buffered_channel<Job> jobs_;
  boost::fibers::mutex done_mu_;
  boost::fibers::condition_variable done_cv_;
  bool done_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

void run_on_boost(int workers, const std::function<void()>& body) {
  if (workers <= 1) {
    // The calling thread's default scheduler is round_robin.
    boost::fibers::fiber(body).join();
    return;
  }
  static WorkStealingPool pool;
  pool.run(body);
}

}  // namespace tmpmc::bench
