// VciClient: the VNStock (VCI) client shared by ingest and the gateway's
// fallback. Batches symbols, runs batches concurrently over kept-alive
// connections, and makes each HTTP call resilient: a client-side rate limit
// (requests/minute, honouring 429 Retry-After for everyone), retries with
// exponential backoff and jitter on 5xx, timeouts and malformed bodies, and
// a circuit breaker per endpoint. Every outcome is a metric:
//   vnstream_vnstock_request_duration_seconds{endpoint}       histogram
//   vnstream_vnstock_requests_total{endpoint,outcome}           counter
//     endpoint: price_board, gap_chart, ticks, listing, group
//     outcome: ok, timeout, unavailable, http_5xx, http_429, http_403,
//              http_4xx, bad_response, circuit_open, rate_limited
//   vnstream_vnstock_retries_total{endpoint}                    counter
//   vnstream_vnstock_circuit_state{endpoint}  0 closed, 1 half-open, 2 open
//   vnstream_vnstock_records_rejected_total{endpoint}           counter
//   vnstream_vnstock_bars_normalised_total   bars kept after normalising
//     high/low within a rounding unit (vci.h ParseGapChart), counted per
//     fetch; the first such bar of each symbol is logged once
// Thread-safe.
#ifndef VNSTREAM_LIBS_VNSTOCK_CLIENT_H_
#define VNSTREAM_LIBS_VNSTOCK_CLIENT_H_

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"
#include "libs/vnstock/http_client.h"
#include "libs/vnstock/resilience.h"
#include "libs/vnstock/vci.h"
#include "prometheus/registry.h"

namespace vnstream::vnstock {

// Headers a browser on trading.vietcap.com.vn sends (the API expects them).
std::vector<std::string> VciHeaders();

struct VciClientOptions {
  // Base URL of the VCI trading API (vnstock-sim serves the same routes).
  std::string base_url = "https://trading.vietcap.com.vn/api/";
  // Per HTTP attempt; also bounded by the caller's deadline.
  absl::Duration request_timeout = absl::Seconds(10);
  RetryPolicy retry;
  // Client-side rate limit shared by all endpoints, requests per minute,
  // and the burst allowed after an idle period. Enough for ingest's
  // 1,600-symbol cycle (~230 requests/min) plus the gateway's fallback.
  double requests_per_minute = 300;
  int burst = 40;
  CircuitBreaker::Options breaker;
  // Symbols per price-board / chart request (the API accepts lists).
  int max_symbols_per_request = 50;
  // Batches in flight at once.
  int concurrency = 4;
  // Request headers: a browser's on trading.vietcap.com.vn by default.
  std::vector<std::string> headers = VciHeaders();
};

// Results of a batched fetch: what succeeded, what was dropped by
// validation, and one status per failed batch (the other batches count).
struct PriceBoard {
  std::vector<v1::Quote> quotes;
  Rejections rejected;
  std::vector<absl::Status> errors;
};
struct Bars {
  std::vector<SymbolBars> series;
  Rejections rejected;
  std::vector<absl::Status> errors;
};
// The listing (getAll) as received.
struct Listing {
  std::vector<ListedSecurity> securities;
  Rejections rejected;
  v1::Source source = v1::SOURCE_UNSPECIFIED;
  absl::Time fetched_at;
};

// What ingest and the gateway need from VNStock; faked in their tests.
// Implementations are thread-safe.
class MarketDataSource {
 public:
  virtual ~MarketDataSource() = default;

  // Latest price-board state of `symbols`. Unknown symbols are simply
  // absent from the result (as the API omits them).
  virtual PriceBoard FetchPriceBoard(std::span<const std::string> symbols,
                                     absl::Time deadline) = 0;

  // The last `count_back` bars up to `to` of each symbol.
  virtual Bars FetchBars(std::span<const std::string> symbols,
                         TimeFrame time_frame, absl::Time to, int count_back,
                         absl::Time deadline) = 0;
};

// What ingest's universe discovery needs from VNStock; faked in its tests.
// Implementations are thread-safe.
class ListingSource {
 public:
  virtual ~ListingSource() = default;

  // Every listed security (VCI getAll). An error when the call failed or
  // the body was not a listing; entries that fail validation are in
  // `rejected`.
  virtual absl::StatusOr<Listing> FetchListing(absl::Time deadline) = 0;

  // The members of index group `group` (VCI getByGroup, e.g. "VN30",
  // "HNX30", "VNMidCap"; letters, digits and '_' only).
  virtual absl::StatusOr<std::vector<std::string>> FetchGroup(
      const std::string& group, absl::Time deadline) = 0;
};

class VciClient : public MarketDataSource, public ListingSource {
 public:
  // `calendar` must outlive the client. `metrics` may be null.
  VciClient(VciClientOptions options, const market::TradingCalendar* calendar,
            prometheus::Registry* metrics);
  ~VciClient() override;

  PriceBoard FetchPriceBoard(std::span<const std::string> symbols,
                             absl::Time deadline) override;
  Bars FetchBars(std::span<const std::string> symbols, TimeFrame time_frame,
                 absl::Time to, int count_back, absl::Time deadline) override;

  absl::StatusOr<Listing> FetchListing(absl::Time deadline) override;
  absl::StatusOr<std::vector<std::string>> FetchGroup(
      const std::string& group, absl::Time deadline) override;

  // The newest `limit` matches of one symbol, oldest first.
  absl::StatusOr<std::vector<Tick>> FetchTicks(const std::string& symbol,
                                               int limit, absl::Time deadline);

 private:
  struct Endpoint;
  // One HTTP call with rate limit, breaker and retries; `parse` turns a 200
  // response into a result (a parse error is retried like a 5xx). POST
  // endpoints send `body`; GET endpoints append `query` to the URL.
  absl::Status Call(
      Endpoint& endpoint, const std::string& body, absl::Time deadline,
      const std::function<absl::Status(const HttpResponse&)>& parse,
      const std::string& query = "");

  const VciClientOptions options_;
  const market::TradingCalendar* const calendar_;
  // Metrics land here when the caller passes no registry.
  std::unique_ptr<prometheus::Registry> own_registry_;
  HttpClient http_;
  RateLimiter limiter_;
  std::unique_ptr<Endpoint> price_board_;
  std::unique_ptr<Endpoint> gap_chart_;
  std::unique_ptr<Endpoint> ticks_;
  std::unique_ptr<Endpoint> listing_;
  std::unique_ptr<Endpoint> group_;
  prometheus::Counter* bars_normalised_;
  absl::Mutex normalised_mu_;
  // Symbols whose normalised bars were logged already.
  absl::flat_hash_set<std::string> normalised_logged_
      ABSL_GUARDED_BY(normalised_mu_);
};

}  // namespace vnstream::vnstock

#endif  // VNSTREAM_LIBS_VNSTOCK_CLIENT_H_
