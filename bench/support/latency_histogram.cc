#include "bench/support/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace vnstream::bench {

// Octave 0 holds 0..63 µs exactly; octave k >= 1 holds [64·2^(k-1),
// 64·2^k) in 64 steps of 2^(k-1) µs.
int LatencyHistogram::BucketOf(int64_t micros) {
  if (micros < kSub) return static_cast<int>(std::max<int64_t>(micros, 0));
  const int octave = std::bit_width(static_cast<uint64_t>(micros)) - kSubBits;
  if (octave >= kOctaves) return kSub * kOctaves - 1;
  const int sub = static_cast<int>((micros >> (octave - 1)) - kSub);
  return octave * kSub + sub;
}

int64_t LatencyHistogram::UpperBoundOf(int bucket) {
  const int octave = bucket / kSub;
  const int sub = bucket % kSub;
  if (octave == 0) return sub;
  return ((static_cast<int64_t>(kSub) + sub + 1) << (octave - 1)) - 1;
}

void LatencyHistogram::Record(absl::Duration latency) {
  const int64_t micros = absl::ToInt64Microseconds(latency);
  buckets_[BucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  int64_t seen = max_micros_.load(std::memory_order_relaxed);
  while (micros > seen && !max_micros_.compare_exchange_weak(
                              seen, micros, std::memory_order_relaxed)) {
  }
}

int64_t LatencyHistogram::count() const {
  int64_t total = 0;
  for (const auto& bucket : buckets_) {
    total += bucket.load(std::memory_order_relaxed);
  }
  return total;
}

absl::Duration LatencyHistogram::Percentile(double q) const {
  const int64_t total = count();
  if (total == 0) return absl::ZeroDuration();
  // The rank of the sample, 1-based, that the percentile names.
  const int64_t rank = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(q * static_cast<double>(total))));
  int64_t seen = 0;
  for (int i = 0; i < kSub * kOctaves; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      return absl::Microseconds(std::min(UpperBoundOf(i), max_micros_.load()));
    }
  }
  return max();
}

absl::Duration LatencyHistogram::max() const {
  return absl::Microseconds(max_micros_.load(std::memory_order_relaxed));
}

void LatencyHistogram::Reset() {
  for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
  max_micros_.store(0, std::memory_order_relaxed);
}

}  // namespace vnstream::bench
