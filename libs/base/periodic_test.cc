#include "libs/base/periodic.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"
#include "libs/base/subprocess.h"

namespace vnstream {
namespace {

TEST(PeriodicTaskTest,
     RunsImmediatelyThenEveryIntervalWithTheNextTickAsDeadline) {
  absl::Mutex mu;
  std::vector<absl::Time> starts;
  std::vector<absl::Time> deadlines;
  PeriodicTask task("test", absl::Milliseconds(50), [&](absl::Time deadline) {
    absl::MutexLock lock(&mu);
    starts.push_back(absl::Now());
    deadlines.push_back(deadline);
  });
  const absl::Time begin = absl::Now();
  task.Start();
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::MutexLock lock(&mu);
        return starts.size() >= 4;
      },
      absl::Seconds(10)));
  task.Stop();
  absl::MutexLock lock(&mu);
  EXPECT_LT(deadlines[0] - begin, absl::Seconds(1));
  EXPECT_LT(starts[0], deadlines[0]) << "first run is immediate";
  for (size_t i = 1; i < deadlines.size(); ++i) {
    // Drift-free: deadlines stay on the grid (a loaded machine may skip
    // ticks, never shift them).
    const absl::Duration step = deadlines[i] - deadlines[i - 1];
    EXPECT_GT(step, absl::ZeroDuration());
    EXPECT_EQ(step % absl::Milliseconds(50), absl::ZeroDuration());
    EXPECT_GE(starts[i], deadlines[i - 1]) << "never early";
  }
}

TEST(PeriodicTaskTest, SkipsTicksMissedByAnOverrun) {
  std::atomic<int> runs{0};
  absl::Mutex mu;
  std::vector<absl::Time> deadlines;
  PeriodicTask task("slow", absl::Milliseconds(20), [&](absl::Time deadline) {
    {
      absl::MutexLock lock(&mu);
      deadlines.push_back(deadline);
    }
    if (runs++ == 0)
      absl::SleepFor(absl::Milliseconds(75));  // Overruns 3 ticks.
  });
  task.Start();
  ASSERT_TRUE(PollUntil([&] { return runs.load() >= 2; }, absl::Seconds(10)));
  task.Stop();
  absl::MutexLock lock(&mu);
  // The second run's deadline is a tick after "now", not one of the
  // missed ticks.
  // First deadline T+20; the run ends at T+75 (or later on a loaded
  // machine), so the next deadline is the first tick after that: T+80 or
  // later, still on the grid, never one of the missed ticks.
  const absl::Duration step = deadlines[1] - deadlines[0];
  EXPECT_GE(step, absl::Milliseconds(60));
  EXPECT_EQ(step % absl::Milliseconds(20), absl::ZeroDuration());
}

TEST(PeriodicTaskTest, StopInterruptsTheWait) {
  PeriodicTask task("idle", absl::Hours(1), [](absl::Time) {});
  task.Start();
  const absl::Time begin = absl::Now();
  task.Stop();
  EXPECT_LT(absl::Now() - begin, absl::Seconds(5));
}

}  // namespace
}  // namespace vnstream
