// boost_pool.cpp: the Boost.Fiber threads the boost-fiber peer and the
// microbenchmarks run their fibers on.
#include "backends/boost_pool.h"

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds leave Boost.Fiber out: its stack switches are not
// annotated for TSan, and its fences are not modelled by it (GCC's -Wtsan).
#include <stdexcept>

namespace tmpmc::scenarios::backends {
void run_on_boost(unsigned, const std::function<void()>&, bool) {
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

// finish_threads(threads, abandoned_before): joins a run's thread 0 (the
// body's), then the others; false if the run left a fiber it could not join
// (a hang it reported, abandoned.h): then the others are detached and kept,
// because a Boost.Fiber scheduler must not be destroyed under a fiber that
// is still blocked.
bool finish_threads(std::vector<std::thread>& threads, std::uint64_t abandoned_before) {
  threads.front().join();
  const bool joinable = abandoned_tasks() == abandoned_before;
  for (std::size_t i = 1; i < threads.size(); ++i) {
    if (joinable) {
      threads[i].join();
    } else {
      threads[i].detach();
    }
  }
  return joinable;
}

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
  // finish(): waits for the run. False when the threads were kept: then
  // *this must stay alive too.
  bool finish() { return finish_threads(threads_, abandoned_before_); }
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

// PinnedRun: one run's threads for runtime.placement spread. Each thread
// keeps Boost.Fiber's default round_robin scheduler, under which a fiber
// stays on the thread it started on and a wake from another thread is
// queued for it (remote-ready queue) and its thread notified: the sound
// cross-thread path, unlike the sleeping shared_work and work_stealing
// (boostorg/fiber#327). Thread 0 runs the body; a fiber is started on thread
// k > 0 by its launcher (its main fiber, reading a channel), which joins
// every fiber it started once the body is done and the channel closed.
class PinnedRun {
 public:
  PinnedRun(unsigned threads, const std::function<void()>& body) {
    for (unsigned i = 0; i < threads; ++i) {
      launches_.push_back(std::make_unique<Launches>(kLaunchSlots));
    }
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i, &body] {
        const runtime::TimerSlack slack;  // as the runtime's workers have it
        t_pinned_run = this;
        t_thread = i;
        if (i == 0) {
          try {
            body();
          } catch (...) {
            error_ = std::current_exception();
          }
          for (auto& launches : launches_) launches->close();
        } else {
          launch_until_closed(*launches_[i]);
        }
        t_pinned_run = nullptr;
      });
    }
  }
  // finish(): as SharedWorkRun::finish.
  bool finish() { return finish_threads(threads_, abandoned_before_); }
  std::exception_ptr error() const { return error_; }

  static boost::fibers::fiber start_on(unsigned thread, std::function<void()> f) {
    PinnedRun* run = t_pinned_run;
    if (run == nullptr) return boost::fibers::fiber(std::move(f));
    // launches_, not threads_: it is complete before thread 0 starts the
    // body, while threads_ is still growing under it.
    thread %= static_cast<unsigned>(run->launches_.size());
    if (thread == t_thread) return boost::fibers::fiber(std::move(f));
    // A fiber wait if the launcher is behind (the channel holds kLaunchSlots - 1).
    run->launches_[thread]->push(std::move(f));
    return boost::fibers::fiber();
  }

 private:
  using Launches = boost::fibers::buffered_channel<std::function<void()> >;
  static constexpr std::size_t kLaunchSlots = 64;  // a power of two (buffered_channel)

  static void launch_until_closed(Launches& launches) {
    std::vector<boost::fibers::fiber> started;
    std::function<void()> f;
    while (launches.pop(f) == boost::fibers::channel_op_status::success) {
      started.emplace_back(std::move(f));
    }
    for (auto& fiber : started) fiber.join();
  }

  static thread_local PinnedRun* t_pinned_run;
  static thread_local unsigned t_thread;

  const std::uint64_t abandoned_before_ = abandoned_tasks();
  std::vector<std::unique_ptr<Launches> > launches_;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

thread_local PinnedRun* PinnedRun::t_pinned_run = nullptr;
thread_local unsigned PinnedRun::t_thread = 0;

// finish_run(): waits for a pool run, keeps it (with its threads) if it
// left a fiber it could not join, and rethrows what its body threw.
template <class Run>
void finish_run(std::unique_ptr<Run> run) {
  const bool joined = run->finish();
  const std::exception_ptr error = run->error();
  if (!joined) keep_forever(std::shared_ptr<Run>(std::move(run)));  // with its threads
  if (error) std::rethrow_exception(error);
}

}  // namespace

boost::fibers::fiber start_on_boost_thread(unsigned thread, std::function<void()> f) {
  return PinnedRun::start_on(thread, std::move(f));
}

void run_on_boost(unsigned workers, const std::function<void()>& body, bool pinned) {
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
  if (pinned) {
    finish_run(std::make_unique<PinnedRun>(workers, body));
  } else {
    finish_run(std::make_unique<SharedWorkRun>(workers, body));
  }
}

}  // namespace tmpmc::scenarios::backends

#endif  // __SANITIZE_THREAD__
