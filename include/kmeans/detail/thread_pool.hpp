#pragma once
// A persistent pool of std::threads. The caller of run() works too, so a pool of size n
// owns n - 1 threads and a pool of size 1 owns none. Tasks are handed out by an atomic
// counter; which thread runs which task never affects a result, because every task writes
// only its own output and the caller merges outputs in task order.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace kmeans::detail {

/// The thread count that n_threads = 0 stands for.
inline std::size_t hardware_threads() noexcept {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

class ThreadPool {
 public:
  /// A pool of `n_threads` threads in all, the caller of run() included.
  explicit ThreadPool(std::size_t n_threads) : size_(std::max<std::size_t>(n_threads, 1)) {
    workers_.reserve(size_ - 1);
    try {
      for (std::size_t i = 0; i + 1 < size_; ++i) workers_.emplace_back([this] { worker_loop(); });
    } catch (...) {
      shutdown();
      throw;
    }
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() { shutdown(); }

  std::size_t size() const noexcept { return size_; }

  /// Calls f(task) for every task in [0, n_tasks) and returns when all are done. The first
  /// exception a task throws is rethrown here. If another thread is using the pool at the
  /// moment, the tasks run on the calling thread instead: never a deadlock, same results.
  template <class F>
  void run(std::size_t n_tasks, F&& f) {
    using Fn = std::remove_reference_t<F>;
    auto call = [](void* ctx, std::size_t task) { (*static_cast<Fn*>(ctx))(task); };
    run_erased(n_tasks, call, const_cast<void*>(static_cast<const void*>(std::addressof(f))));
  }

 private:
  using Call = void (*)(void*, std::size_t);

  void run_erased(std::size_t n_tasks, Call call, void* ctx) {
    if (n_tasks == 0) return;
    std::unique_lock<std::mutex> submit(submit_, std::try_to_lock);
    if (workers_.empty() || n_tasks == 1 || !submit.owns_lock()) {
      for (std::size_t t = 0; t < n_tasks; ++t) call(ctx, t);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      call_ = call;
      ctx_ = ctx;
      n_tasks_ = n_tasks;
      next_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      pending_ = workers_.size();
      ++generation_;
    }
    wake_.notify_all();
    work(call, ctx, n_tasks);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

  void work(Call call, void* ctx, std::size_t n_tasks) {
    for (std::size_t t = next_.fetch_add(1, std::memory_order_relaxed); t < n_tasks;
         t = next_.fetch_add(1, std::memory_order_relaxed)) {
      try {
        call(ctx, t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void worker_loop() {
    std::size_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      const Call call = call_;
      void* const ctx = ctx_;
      const std::size_t n_tasks = n_tasks_;
      lock.unlock();
      work(call, ctx, n_tasks);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  void shutdown() noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  std::size_t size_;
  std::vector<std::thread> workers_;
  std::mutex submit_;  // one run() at a time; a second caller runs inline
  std::mutex mutex_;   // guards everything below
  std::condition_variable wake_;
  std::condition_variable done_;
  std::size_t generation_ = 0;
  std::size_t pending_ = 0;
  bool stop_ = false;
  Call call_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::exception_ptr error_;
};

}  // namespace kmeans::detail
