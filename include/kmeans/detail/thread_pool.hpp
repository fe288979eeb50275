#pragma once
// A persistent pool of std::threads. The caller of run() works too, so a pool of size n
// owns n - 1 threads and a pool of size 1 owns none. Which thread runs which task never
// affects a result, because every task writes only its own output and the caller merges
// outputs in task order.
//
// Tasks are handed out by atomic counters, one per thread: thread p first takes the tasks of
// its own share, [p n / size, (p + 1) n / size), then helps with what is left of the others'.
// A fit passes over the same blocks of rows again and again; so each block tends to run on
// the core that ran it last time, and rows that fit in the cores' caches stay there.
//
// A fit calls run() a few times per pass over the data. Sleeping on a condition variable
// costs tens of microseconds per wake-up (more in a VM), so between jobs the workers, and
// the caller waiting for them, first spin briefly (about 50 microseconds) on atomics.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kmeans::detail {

/// The thread count that n_threads = 0 stands for.
inline std::size_t hardware_threads() noexcept {
  // Read once: libstdc++ asks the kernel through /sys each time, tens of microseconds on a VM,
  // which every model's construction would pay.
  static const std::size_t n = [] {
    const unsigned hardware = std::thread::hardware_concurrency();
    return hardware == 0 ? std::size_t{1} : std::size_t{hardware};
  }();
  return n;
}

/// The threads a call with Options::n_threads = n_threads uses, the caller's included.
inline std::size_t threads_for(std::size_t n_threads) noexcept {
  return n_threads == 0 ? hardware_threads() : n_threads;
}

/// A short wait inside a spin loop.
inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Spins until done() or about 50 microseconds have passed; returns done().
template <class Done>
inline bool spin_until(Done&& done) noexcept {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    spin_pause();
  }
  return done();
}

class ThreadPool {
 public:
  /// A pool of `n_threads` threads in all, the caller of run() included.
  explicit ThreadPool(std::size_t n_threads) : size_(std::max<std::size_t>(n_threads, 1)) {
    workers_.reserve(size_ - 1);
    try {
      for (std::size_t i = 0; i + 1 < size_; ++i) workers_.emplace_back([this, i] { worker_loop(i + 1); });
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
      for (std::size_t p = 0; p < size_; ++p) shares_[p].next.store(share_begin(p, n_tasks), std::memory_order_relaxed);
      error_ = nullptr;
      pending_.store(workers_.size(), std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(call, ctx, n_tasks, 0);
    const auto all_done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    if (!spin_until(all_done)) {
      lock.lock();
      done_.wait(lock, all_done);
    } else {
      lock.lock();  // error_ is guarded by the mutex
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

  std::size_t share_begin(std::size_t p, std::size_t n_tasks) const noexcept { return p * n_tasks / size_; }

  /// Thread `me`'s own share first, then the others' in turn.
  void work(Call call, void* ctx, std::size_t n_tasks, std::size_t me) {
    for (std::size_t i = 0; i < size_; ++i) {
      const std::size_t p = (me + i) % size_, end = share_begin(p + 1, n_tasks);
      std::atomic<std::size_t>& next = shares_[p].next;
      for (std::size_t t = next.fetch_add(1, std::memory_order_relaxed); t < end;
           t = next.fetch_add(1, std::memory_order_relaxed)) {
        try {
          call(ctx, t);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex_);
          if (!error_) error_ = std::current_exception();
        }
      }
    }
  }

  void worker_loop(std::size_t me) {
    std::size_t seen = 0;
    const auto woken = [&] {
      return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
    };
    for (;;) {
      spin_until(woken);
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, woken);
      if (stop_.load(std::memory_order_relaxed)) return;
      seen = generation_.load(std::memory_order_relaxed);
      const Call call = call_;
      void* const ctx = ctx_;
      const std::size_t n_tasks = n_tasks_;
      lock.unlock();
      work(call, ctx, n_tasks, me);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        lock.lock();  // the caller checks pending_ under the mutex before it sleeps
        done_.notify_one();
      }
    }
  }

  void shutdown() noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  std::size_t size_;
  std::vector<std::thread> workers_;
  std::mutex submit_;  // one run() at a time; a second caller runs inline
  std::mutex mutex_;   // guards the job and error_; the atomics are read without it
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<std::size_t> generation_{0};
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> stop_{false};
  Call call_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_tasks_ = 0;
  struct alignas(64) Share {  // a cache line each: the threads' counters do not share one
    std::atomic<std::size_t> next{0};
  };
  std::unique_ptr<Share[]> shares_ = std::make_unique<Share[]>(size_);
  std::exception_ptr error_;
};

/// The pool of threads_for(n_threads) threads that every model, fit and call of that size
/// shares: made when the first asks for it, ended when the last lets it go. A model takes its
/// pool when it is made, so its const methods never create or replace one (they may run on
/// several threads at once), copies share it, and many small models cost no threads each.
/// Several fits at once on one pool never oversubscribe it: while one runs a job, another
/// caller runs its own tasks on its own thread (ThreadPool::run), with the same results.
inline std::shared_ptr<ThreadPool> shared_pool(std::size_t n_threads) {
  static std::mutex mutex;
  static std::unordered_map<std::size_t, std::weak_ptr<ThreadPool>> pools;
  const std::size_t size = threads_for(n_threads);
  const std::lock_guard<std::mutex> lock(mutex);
  std::weak_ptr<ThreadPool>& entry = pools[size];
  std::shared_ptr<ThreadPool> pool = entry.lock();
  if (!pool) {
    pool = std::make_shared<ThreadPool>(size);
    entry = pool;
  }
  return pool;
}

}  // namespace kmeans::detail
