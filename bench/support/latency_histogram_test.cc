#include "bench/support/latency_histogram.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace vnstream::bench {
namespace {

TEST(LatencyHistogramTest, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.Percentile(0.5), absl::ZeroDuration());
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int us = 1; us <= 50; ++us) h.Record(absl::Microseconds(us));
  EXPECT_EQ(h.count(), 50);
  EXPECT_EQ(h.Percentile(0.5), absl::Microseconds(25));
  EXPECT_EQ(h.Percentile(1.0), absl::Microseconds(50));
  EXPECT_EQ(h.max(), absl::Microseconds(50));
}

TEST(LatencyHistogramTest, PercentilesWithinTwoPercent) {
  LatencyHistogram h;
  // 1..100,000 µs uniformly: the q-percentile is q·100 ms.
  for (int us = 1; us <= 100'000; ++us) h.Record(absl::Microseconds(us));
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double want = q * 100'000;
    const double got = absl::ToDoubleMicroseconds(h.Percentile(q));
    EXPECT_GE(got, want) << q;
    EXPECT_LE(got, want * 1.02) << q;
  }
  EXPECT_EQ(h.Percentile(1.0), absl::Microseconds(100'000));
}

TEST(LatencyHistogramTest, NegativeAndHugeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(absl::Microseconds(-5));
  h.Record(absl::Hours(24 * 365));
  EXPECT_EQ(h.count(), 2);
  EXPECT_EQ(h.Percentile(0.5), absl::ZeroDuration());
  EXPECT_EQ(h.max(), absl::Hours(24 * 365));
}

TEST(LatencyHistogramTest, ConcurrentRecordsAreAllCounted) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 100'000; ++i) h.Record(absl::Microseconds(i % 1000));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), 400'000);
  h.Reset();
  EXPECT_EQ(h.count(), 0);
}

}  // namespace
}  // namespace vnstream::bench
