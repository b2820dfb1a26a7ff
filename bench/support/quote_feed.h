// The quote updates of the gateway benchmark, identical on both sides of
// the comparison: the load generator produces them to Kafka for the
// gateway, bare_server writes them to its streams directly.
#ifndef VNSTREAM_BENCH_SUPPORT_QUOTE_FEED_H_
#define VNSTREAM_BENCH_SUPPORT_QUOTE_FEED_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::bench {

// Update number `seq` of `symbol`, with meta.fetched_at and
// meta.published_at = `now`: the load generator measures latency from
// published_at, as the gateway's producer stamps it just before producing.
v1::Quote SyntheticQuote(const std::string& symbol, uint64_t seq,
                         absl::Time now);

// Calls `update(n)` for n = 0, 1, 2, ... at `per_second` on average, in
// 100 ticks a second, on the calling thread until `stop` is notified.
// A rate <= 0 only waits for `stop`.
void RunPaced(double per_second, absl::Notification& stop,
              absl::FunctionRef<void(uint64_t n)> update);

}  // namespace vnstream::bench

#endif  // VNSTREAM_BENCH_SUPPORT_QUOTE_FEED_H_
