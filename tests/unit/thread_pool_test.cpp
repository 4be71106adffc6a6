#include "drivers/cpu/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>

namespace nuri {
namespace {

TEST(ThreadPoolTest, EveryIndexRunsExactlyOnce) {
  for (unsigned threads = 1; threads <= 8; ++threads) {
    ThreadPool pool(threads);
    EXPECT_EQ(threads, pool.threadCount());
    // Repeated rounds on one pool check that generations do not mix.
    for (int64_t count : {0, 1, 2, 7, 64, 1000, 5000}) {
      auto hits = std::make_unique<std::atomic<int>[]>(count + 1);
      for (int64_t i = 0; i <= count; ++i)
        hits[i] = 0;
      pool.parallelFor(count, [&](int64_t i) { hits[i].fetch_add(1); });
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(1, hits[i].load())
            << threads << " threads, count " << count << ", index " << i;
      EXPECT_EQ(0, hits[count].load());
    }
  }
}

TEST(ThreadPoolTest, SpreadsWorkOverThreads) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::set<std::thread::id> seen;
  pool.parallelFor(64, [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard<std::mutex> lock(mutex);
    seen.insert(std::this_thread::get_id());
  });
  EXPECT_GT(seen.size(), 1u);
}

TEST(ThreadPoolTest, OneThreadRunsInline) {
  ThreadPool pool(1);
  std::thread::id caller = std::this_thread::get_id();
  bool inline_ = true;
  pool.parallelFor(
      10, [&](int64_t) { inline_ &= std::this_thread::get_id() == caller; });
  EXPECT_TRUE(inline_);
}

TEST(ThreadPoolTest, DefaultUsesHardwareCores) {
  ThreadPool pool(0);
  EXPECT_GE(pool.threadCount(), 1u);
}

} // namespace
} // namespace nuri
