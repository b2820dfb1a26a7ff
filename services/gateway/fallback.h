// Fallback: when Kafka has nothing for a symbol (ingest down, empty topics,
// a symbol ingest does not track), the gateway fetches it from VNStock
// itself and applies it to MarketState as DELIVERY_VNSTOCK_FALLBACK.
//
// A crowd makes one upstream call: concurrent requests for the same
// (channel, symbol) share one fetch ("single flight"), and its result is
// reused for a short time. Fetches run on a small pool, so a caller can
// stop waiting at its own deadline without cancelling the fetch for others.
// Thread-safe.
#ifndef VNSTREAM_SERVICES_GATEWAY_FALLBACK_H_
#define VNSTREAM_SERVICES_GATEWAY_FALLBACK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/base/thread_pool.h"
#include "libs/indicators/indicators.h"
#include "libs/market/calendar.h"
#include "libs/vnstock/client.h"
#include "services/gateway/channel.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"

namespace vnstream::gateway {

// How long a fetched result is reused comes from the channel's declaration
// (FallbackSpec::ttl).
struct FallbackOptions {
  // A symbol VNStock does not know is not asked for again for this long.
  absl::Duration not_found_ttl = absl::Minutes(5);
  // A failed fetch is not retried for this long.
  absl::Duration error_ttl = absl::Seconds(5);
  // Longest a fetch may take (the caller may give up earlier).
  absl::Duration fetch_timeout = absl::Seconds(10);
  // Concurrent fetches and fetches waiting for a worker.
  int threads = 4;
  size_t max_queued = 1000;
};

class Fallback {
 public:
  // `calendar` and `indicators` (for the history it enriches itself) must
  // outlive the fallback.
  Fallback(FallbackOptions options, vnstock::MarketDataSource& source,
           const market::TradingCalendar& calendar,
           const indicators::Params& indicators, MarketState& state,
           GatewayMetrics* metrics);

  // Whether `channel` has a fallback at all (its declaration).
  static bool Serves(Channel channel) {
    return Def(channel).fallback.has_value();
  }

  using Callback = std::function<void(const absl::Status&)>;
  // Pays for a new VNStock fetch made for a caller (its fallback budget:
  // Caller::TakeFallback); an error refuses the fetch. Called only when a
  // fetch would start (not for a fresh result or a fetch already running),
  // under the fallback's lock: it must not call the Fallback. Null: the
  // fetch is free (the gateway's own refreshes).
  using Budget = std::function<absl::Status()>;

  // Makes sure `state` holds fallback data for `channel` (which Serves()) of
  // `symbol` that is at most a TTL old, fetching it if needed, then calls
  // `done` (at once if a fresh result exists or `budget` refused the fetch,
  // else on a worker thread; never blocks):
  // OK: the data is in `state`. NotFound: VNStock does not know the symbol.
  // Unavailable / ResourceExhausted / PermissionDenied: VNStock failed or
  // refused; or `budget`'s error (nothing was fetched).
  void RefreshAsync(Channel channel, const std::string& symbol, Callback done,
                    const Budget& budget = nullptr);

  // The same, waiting until `deadline`; DeadlineExceeded if the fetch is
  // still running then (it completes for the others waiting on it).
  absl::Status Refresh(Channel channel, const std::string& symbol,
                       absl::Time deadline, const Budget& budget = nullptr);

 private:
  struct Flight;

  // Runs the fetch and applies the result to the state.
  absl::Status Fetch(Channel channel, const std::string& symbol);
  // Records the result of `flight` and runs its waiters.
  void Complete(Channel channel, const std::shared_ptr<Flight>& flight,
                absl::Status status);
  absl::Duration Ttl(Channel channel, const absl::Status& status) const;
  void Count(Channel channel, const char* result);

  const FallbackOptions options_;
  vnstock::MarketDataSource& source_;
  const market::TradingCalendar& calendar_;
  const indicators::Params& indicators_;
  MarketState& state_;
  GatewayMetrics* const metrics_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights_
      ABSL_GUARDED_BY(mu_);
  // Declared last: destroyed (and joined) first, while the rest is alive.
  ThreadPool pool_;
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_FALLBACK_H_
