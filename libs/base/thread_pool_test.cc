#include "libs/base/thread_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace vnstream {
namespace {

TEST(ThreadPoolTest, RunsTasksAndBoundsTheQueue) {
  std::atomic<int> done{0};
  absl::Notification started;
  absl::Notification release;
  {
    ThreadPool pool(1, 2);
    // The worker takes the first task and blocks; two more fill the queue.
    ASSERT_TRUE(pool.TrySubmit([&] {
      started.Notify();
      release.WaitForNotification();
      ++done;
    }));
    ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(10)));
    ASSERT_TRUE(pool.TrySubmit([&] { ++done; }));
    ASSERT_TRUE(pool.TrySubmit([&] { ++done; }));
    EXPECT_FALSE(pool.TrySubmit([&] { ++done; })) << "queue is full";
    release.Notify();
  }  // The destructor runs what was queued.
  EXPECT_EQ(done.load(), 3);
}

}  // namespace
}  // namespace vnstream
