#include "drivers/cpu/thread_pool.h"

namespace nuri {

ThreadPool::ThreadPool(unsigned threadCount) : threadCount_(threadCount) {
  if (threadCount_ == 0) {
    threadCount_ = std::thread::hardware_concurrency();
    if (threadCount_ == 0)
      threadCount_ = 1;
  }
  workers_.reserve(threadCount_ - 1);
  for (unsigned i = 1; i < threadCount_; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

void ThreadPool::runItems() {
  // Workgroups are claimed one at a time so uneven workgroups balance out.
  for (int64_t i = next_.fetch_add(1, std::memory_order_relaxed); i < count_;
       i = next_.fetch_add(1, std::memory_order_relaxed))
    (*body_)(i);
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_)
      return;
    seen = generation_;
    lock.unlock();
    runItems();
    lock.lock();
    if (++finishedWorkers_ == workers_.size())
      done_.notify_all();
  }
}

void ThreadPool::parallelFor(int64_t count,
                             const std::function<void(int64_t)> &body) {
  if (count <= 0)
    return;
  if (workers_.empty() || count == 1) {
    for (int64_t i = 0; i < count; ++i)
      body(i);
    return;
  }
  std::lock_guard<std::mutex> submit(submitMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    finishedWorkers_ = 0;
    ++generation_;
  }
  wake_.notify_all();
  runItems();
  // Every worker must finish this generation before the caller's body goes
  // out of scope, so no late worker ever reads stale state.
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return finishedWorkers_ == workers_.size(); });
  body_ = nullptr;
}

} // namespace nuri
