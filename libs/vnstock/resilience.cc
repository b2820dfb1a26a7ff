#include "libs/vnstock/resilience.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace vnstream::vnstock {

absl::Duration BackoffDelay(const RetryPolicy& policy, int retry,
                            absl::BitGenRef random) {
  const double factor = std::pow(policy.multiplier, std::max(0, retry - 1));
  const absl::Duration cap =
      std::min(policy.max_backoff, policy.initial_backoff * factor);
  return absl::Nanoseconds(
      absl::Uniform<int64_t>(random, 0, absl::ToInt64Nanoseconds(cap) + 1));
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (int64_t seconds = 0; absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time at;
  std::string error;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, absl::UTCTimeZone(),
                      &at, &error)) {
    return std::max(absl::ZeroDuration(), at - now);
  }
  return std::nullopt;
}

RateLimiter::RateLimiter(double rate_per_minute, int burst, absl::Time now)
    : interval_(absl::Minutes(1) / std::max(rate_per_minute, 1e-9)),
      tolerance_(interval_ * (std::max(burst, 1) - 1)),
      theoretical_arrival_(now) {}

// GCRA (the "generic cell rate algorithm", a token bucket without a
// refill timer): a request conforms when it comes no earlier than
// theoretical_arrival - tolerance; each request moves theoretical_arrival
// one interval later.
std::optional<absl::Time> RateLimiter::Reserve(absl::Time now,
                                               absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  const absl::Time send_at =
      std::max({now, theoretical_arrival_ - tolerance_, paused_until_});
  if (send_at > deadline) return std::nullopt;
  theoretical_arrival_ = std::max(theoretical_arrival_, send_at) + interval_;
  return send_at;
}

void RateLimiter::PauseUntil(absl::Time until) {
  absl::MutexLock lock(&mu_);
  paused_until_ = std::max(paused_until_, until);
}

bool CircuitBreaker::Allow(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kOpen && now - opened_at_ >= options_.open_duration) {
    state_ = State::kHalfOpen;
    trial_in_flight_ = false;
  }
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      return false;
    case State::kHalfOpen:
      if (trial_in_flight_) return false;
      trial_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  absl::MutexLock lock(&mu_);
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  trial_in_flight_ = false;
}

void CircuitBreaker::RecordFailure(absl::Time now) {
  absl::MutexLock lock(&mu_);
  ++consecutive_failures_;
  if (state_ == State::kHalfOpen ||
      consecutive_failures_ >= options_.failure_threshold) {
    state_ = State::kOpen;
    opened_at_ = now;
    trial_in_flight_ = false;
  }
}

CircuitBreaker::State CircuitBreaker::state(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kOpen && now - opened_at_ >= options_.open_duration) {
    return State::kHalfOpen;
  }
  return state_;
}

}  // namespace vnstream::vnstock
