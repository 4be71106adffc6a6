// A fixed pool of worker threads that runs index ranges in parallel. Used
// by the cpu driver to spread a dispatch's workgroups over cores.
#ifndef NURI_DRIVERS_CPU_THREAD_POOL_H
#define NURI_DRIVERS_CPU_THREAD_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nuri {

class ThreadPool {
public:
  // threadCount 0 = hardware cores. The calling thread also works, so
  // threadCount - 1 workers are started; 1 runs everything inline.
  explicit ThreadPool(unsigned threadCount);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned threadCount() const { return threadCount_; }

  // Calls body(i) once for every i in [0, count) and returns when all
  // calls are done. Not reentrant: one parallelFor at a time per pool.
  void parallelFor(int64_t count, const std::function<void(int64_t)> &body);

private:
  void workerLoop();
  void runItems();

  unsigned threadCount_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // Bumped for each parallelFor so sleeping workers know there is new work.
  uint64_t generation_ = 0;
  bool stopping_ = false;
  size_t finishedWorkers_ = 0;
  const std::function<void(int64_t)> *body_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  std::mutex submitMutex_;
};

} // namespace nuri

#endif // NURI_DRIVERS_CPU_THREAD_POOL_H
