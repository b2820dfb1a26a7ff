// Resilience primitives for calls to VNStock: exponential backoff with
// jitter, a client-side token-bucket rate limit that also honours a
// server's Retry-After, and a circuit breaker. All take the current time as
// an argument, so they are unit-tested without sleeping. Thread-safe.
#ifndef VNSTREAM_LIBS_VNSTOCK_RESILIENCE_H_
#define VNSTREAM_LIBS_VNSTOCK_RESILIENCE_H_

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/random/random.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vnstream::vnstock {

struct RetryPolicy {
  // Attempts per call, including the first (1 = no retry).
  int max_attempts = 3;
  // Backoff before retry n (1-based) is uniform in
  // [0, min(max_backoff, initial_backoff * multiplier^(n-1))] ("full jitter":
  // retries of many clients do not synchronise).
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(10);
  double multiplier = 2.0;
};

// The jittered delay before retry `retry` (1-based).
absl::Duration BackoffDelay(const RetryPolicy& policy, int retry,
                            absl::BitGenRef random);

// Parses a Retry-After header: delta-seconds ("30") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to `now`. nullopt if neither.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now);

// Token bucket: `rate_per_minute` requests per minute on average, bursts up
// to `burst`. Callers reserve a slot and wait until it comes; a reservation
// that would come after the caller's deadline is refused instead, so one
// schedule never waits past its own deadline.
class RateLimiter {
 public:
  RateLimiter(double rate_per_minute, int burst, absl::Time now);

  // The time at which the caller may send, and the slot is taken; nullopt
  // (nothing taken) if that time is after `deadline`.
  std::optional<absl::Time> Reserve(absl::Time now, absl::Time deadline);

  // Nothing may be sent before `until` (a server's Retry-After).
  void PauseUntil(absl::Time until);

 private:
  const absl::Duration interval_;   // Time per token.
  const absl::Duration tolerance_;  // (burst - 1) * interval_.
  absl::Mutex mu_;
  absl::Time theoretical_arrival_ ABSL_GUARDED_BY(mu_);
  absl::Time paused_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// Per-endpoint circuit breaker. CLOSED: calls pass; `failure_threshold`
// consecutive failures open it. OPEN: calls are refused for `open_duration`,
// then HALF_OPEN lets one trial call through; its success closes the
// breaker, its failure opens it again.
class CircuitBreaker {
 public:
  enum class State { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

  struct Options {
    int failure_threshold = 5;
    absl::Duration open_duration = absl::Seconds(30);
  };

  explicit CircuitBreaker(Options options) : options_(options) {}

  // Whether a call may go ahead now (in HALF_OPEN, only the first caller).
  bool Allow(absl::Time now);
  void RecordSuccess();
  void RecordFailure(absl::Time now);
  State state(absl::Time now);

 private:
  const Options options_;
  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kClosed;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time opened_at_ ABSL_GUARDED_BY(mu_);
  bool trial_in_flight_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vnstream::vnstock

#endif  // VNSTREAM_LIBS_VNSTOCK_RESILIENCE_H_
