// LatencyHistogram: lock-free recording of latencies from many threads
// with ~1.6% relative precision (64 linear sub-buckets per power of two of
// microseconds, as HdrHistogram does with 2 significant digits), for
// percentiles of millions of samples without storing them.
// Thread-safety: Record and the readers may run concurrently; a reader
// sees a consistent-enough snapshot for reporting.
#ifndef VNSTREAM_BENCH_SUPPORT_LATENCY_HISTOGRAM_H_
#define VNSTREAM_BENCH_SUPPORT_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace vnstream::bench {

class LatencyHistogram {
 public:
  // Values below 0 count as 0; above ~2^40 µs (12 days) as the maximum.
  void Record(absl::Duration latency);

  int64_t count() const;
  // The smallest recorded value v such that a fraction `q` (0..1) of the
  // samples are <= v, rounded up to its bucket's upper bound; ZeroDuration
  // when empty.
  absl::Duration Percentile(double q) const;
  absl::Duration max() const;
  void Reset();

 private:
  static constexpr int kSubBits = 6;  // 64 sub-buckets per octave.
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kOctaves = 41;

  static int BucketOf(int64_t micros);
  static int64_t UpperBoundOf(int bucket);

  std::array<std::atomic<int64_t>, kSub * kOctaves> buckets_{};
  std::atomic<int64_t> max_micros_{0};
};

}  // namespace vnstream::bench

#endif  // VNSTREAM_BENCH_SUPPORT_LATENCY_HISTOGRAM_H_
