#include "libs/vnstock/resilience.h"

#include "gtest/gtest.h"

namespace vnstream::vnstock {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(BackoffTest, FullJitterWithinExponentialCap) {
  RetryPolicy policy{.max_attempts = 5,
                     .initial_backoff = absl::Milliseconds(100),
                     .max_backoff = absl::Milliseconds(1000),
                     .multiplier = 2};
  absl::BitGen random;
  absl::Duration max_seen[5] = {};
  for (int i = 0; i < 2000; ++i) {
    for (int retry = 1; retry <= 5; ++retry) {
      const absl::Duration d = BackoffDelay(policy, retry, random);
      EXPECT_GE(d, absl::ZeroDuration());
      max_seen[retry - 1] = std::max(max_seen[retry - 1], d);
    }
  }
  EXPECT_LE(max_seen[0], absl::Milliseconds(100));
  EXPECT_GT(max_seen[0], absl::Milliseconds(80));
  EXPECT_LE(max_seen[2], absl::Milliseconds(400));
  EXPECT_GT(max_seen[2], absl::Milliseconds(300));
  EXPECT_LE(max_seen[4], absl::Milliseconds(1000)) << "capped";
}

TEST(RetryAfterTest, SecondsAndHttpDate) {
  EXPECT_EQ(ParseRetryAfter("30", kT0), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter(" 0 ", kT0), absl::ZeroDuration());
  const absl::Time date =
      absl::FromUnixSeconds(1445412480);  // 2015-10-21 07:28:00
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT",
                            date - absl::Seconds(90)),
            absl::Seconds(90));
  EXPECT_EQ(
      ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", date + absl::Seconds(5)),
      absl::ZeroDuration());
  EXPECT_FALSE(ParseRetryAfter("soon", kT0).has_value());
  EXPECT_FALSE(ParseRetryAfter("-3", kT0).has_value());
}

TEST(RateLimiterTest, BurstThenSteadyRate) {
  RateLimiter limiter(/*rate_per_minute=*/60, /*burst=*/3, kT0);
  const absl::Time far = kT0 + absl::Hours(1);
  // The burst goes out at once.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Reserve(kT0, far), kT0);
  // Then one per second.
  EXPECT_EQ(limiter.Reserve(kT0, far), kT0 + absl::Seconds(1));
  EXPECT_EQ(limiter.Reserve(kT0, far), kT0 + absl::Seconds(2));
}

TEST(RateLimiterTest, RefusesPastTheDeadlineWithoutTakingASlot) {
  RateLimiter limiter(60, 1, kT0);
  EXPECT_EQ(limiter.Reserve(kT0, kT0), kT0);
  EXPECT_FALSE(limiter.Reserve(kT0, kT0 + absl::Milliseconds(500)).has_value());
  // The refused call took nothing: the next slot is still at +1 s.
  EXPECT_EQ(limiter.Reserve(kT0, kT0 + absl::Seconds(5)),
            kT0 + absl::Seconds(1));
}

TEST(RateLimiterTest, IdleTimeRefillsOnlyUpToTheBurst) {
  RateLimiter limiter(60, 2, kT0);
  const absl::Time later = kT0 + absl::Minutes(10);
  const absl::Time far = later + absl::Hours(1);
  EXPECT_EQ(limiter.Reserve(later, far), later);
  EXPECT_EQ(limiter.Reserve(later, far), later);
  EXPECT_EQ(limiter.Reserve(later, far), later + absl::Seconds(1));
}

TEST(RateLimiterTest, PauseUntilHoldsEveryone) {
  RateLimiter limiter(600, 10, kT0);
  limiter.PauseUntil(kT0 + absl::Seconds(30));
  EXPECT_EQ(limiter.Reserve(kT0, kT0 + absl::Minutes(1)),
            kT0 + absl::Seconds(30));
  EXPECT_FALSE(limiter.Reserve(kT0, kT0 + absl::Seconds(10)).has_value());
}

TEST(CircuitBreakerTest, OpensHalfOpensAndCloses) {
  CircuitBreaker breaker(
      {.failure_threshold = 3, .open_duration = absl::Seconds(30)});
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(breaker.Allow(kT0));
    breaker.RecordFailure(kT0);
  }
  EXPECT_EQ(breaker.state(kT0), CircuitBreaker::State::kClosed);
  breaker.RecordFailure(kT0);
  EXPECT_EQ(breaker.state(kT0), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(breaker.Allow(kT0 + absl::Seconds(29)));
  // After the open period one trial goes through, a second caller waits.
  EXPECT_TRUE(breaker.Allow(kT0 + absl::Seconds(30)));
  EXPECT_FALSE(breaker.Allow(kT0 + absl::Seconds(30)));
  breaker.RecordSuccess();
  EXPECT_EQ(breaker.state(kT0 + absl::Seconds(31)),
            CircuitBreaker::State::kClosed);
  EXPECT_TRUE(breaker.Allow(kT0 + absl::Seconds(31)));
}

TEST(CircuitBreakerTest, FailedTrialReopens) {
  CircuitBreaker breaker(
      {.failure_threshold = 1, .open_duration = absl::Seconds(10)});
  breaker.RecordFailure(kT0);
  ASSERT_TRUE(breaker.Allow(kT0 + absl::Seconds(10)));
  breaker.RecordFailure(kT0 + absl::Seconds(10));
  EXPECT_EQ(breaker.state(kT0 + absl::Seconds(15)),
            CircuitBreaker::State::kOpen);
  EXPECT_FALSE(breaker.Allow(kT0 + absl::Seconds(15)));
  EXPECT_TRUE(breaker.Allow(kT0 + absl::Seconds(20)));
}

TEST(CircuitBreakerTest, SuccessResetsTheFailureCount) {
  CircuitBreaker breaker({.failure_threshold = 2});
  breaker.RecordFailure(kT0);
  breaker.RecordSuccess();
  breaker.RecordFailure(kT0);
  EXPECT_EQ(breaker.state(kT0), CircuitBreaker::State::kClosed);
}

}  // namespace
}  // namespace vnstream::vnstock
