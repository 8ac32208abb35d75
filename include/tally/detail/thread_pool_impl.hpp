// tally/detail/thread_pool_impl.hpp — the parked thread pool behind update(...,
// tally::parallel{n}): the definitions of thread_pool.hpp's pool_run, pool_workers and
// hardware_threads. Included by thread_pool.hpp (header-only), or compiled once into
// tally::kernels (TALLY_COMPILED_KERNELS).
// SPDX-License-Identifier: MIT
#ifndef TALLY_DETAIL_THREAD_POOL_IMPL_HPP
#define TALLY_DETAIL_THREAD_POOL_IMPL_HPP

// The threads behind update(..., tally::parallel{n}). Waking a freshly created thread costs
// 0.4 to 4.6 ms on the machines we measured, more than counting a few million labels takes, so
// the workers are created once, on first use, and parked on a condition variable between jobs.
// They are joined when the program exits.
//
// One job runs at a time. A caller that finds the pool busy (another thread's parallel update)
// runs its tasks itself rather than wait.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "../version.hpp"
#include "thread_pool.hpp"

TALLY_NAMESPACE_BEGIN
namespace detail {

class thread_pool {
 public:
  thread_pool() = default;
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  /// Runs task(0) ... task(tasks - 1) on up to `threads` threads, the caller being one of them,
  /// and returns when all are done. The first exception a task throws is rethrown here. More
  /// threads than the hardware has would only wait on memory, and would stay parked for the rest
  /// of the program, so `threads` is capped at std::thread::hardware_concurrency() (tasks are
  /// still split as asked: the results do not depend on the cap).
  void run(std::size_t tasks, std::size_t threads, pool_job task) {
    const unsigned hw = std::thread::hardware_concurrency();
    threads = std::min({threads, tasks, std::size_t{hw == 0 ? 8u : hw}});
    std::unique_lock<std::mutex> busy(job_mutex_, std::try_to_lock);
    if (threads <= 1 || !busy.owns_lock()) {
      for (std::size_t i = 0; i < tasks; ++i) task.run(task.context, i);
      return;
    }
    grow(threads - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = task;
      tasks_.store(tasks);
      next_.store(0);
      pending_ = tasks;
      error_ = nullptr;
      helpers_wanted_ = threads - 1;
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0 && active_ == 0; });
    helpers_wanted_ = 0;  // a worker that wakes late must not join a finished job
    task_ = pool_job{nullptr, nullptr};
    if (error_) std::rethrow_exception(error_);
  }

  [[nodiscard]] std::size_t workers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return workers_.size();
  }

 private:
  void grow(std::size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    while (workers_.size() < n) workers_.emplace_back([this] { loop(); });
  }

  // Takes tasks until none is left.
  void work() {
    for (;;) {
      const std::size_t i = next_.fetch_add(1);
      if (i >= tasks_) return;
      try {
        task_.run(task_.context, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_all();
    }
  }

  void loop() {
    std::size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || (generation_ != seen && helpers_wanted_ > 0); });
        if (stop_) return;
        seen = generation_;
        --helpers_wanted_;
        ++active_;
      }
      work();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0 && pending_ == 0) done_.notify_all();
    }
  }

  mutable std::mutex mutex_;
  std::mutex job_mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  pool_job task_{nullptr, nullptr};
  std::atomic<std::size_t> tasks_{0};
  std::atomic<std::size_t> next_{0};
  std::size_t pending_ = 0;
  std::size_t active_ = 0;
  std::size_t helpers_wanted_ = 0;
  std::size_t generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

/// The process-wide pool, started on first use.
inline thread_pool& shared_pool() {
  static thread_pool pool;
  return pool;
}

TALLY_POOL_LINKAGE void pool_run(std::size_t tasks, std::size_t threads, pool_job job) {
  shared_pool().run(tasks, threads, job);
}
TALLY_POOL_LINKAGE std::size_t pool_workers() { return shared_pool().workers(); }
TALLY_POOL_LINKAGE unsigned hardware_threads() noexcept {
  return std::thread::hardware_concurrency();
}

}  // namespace detail
TALLY_NAMESPACE_END

#endif  // TALLY_DETAIL_THREAD_POOL_IMPL_HPP
