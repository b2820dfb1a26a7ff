// Fault injection for the VCI routes: errors the real upstream (behind
// Cloudflare) produces, so ingest and the gateway can be tested against them.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_FAULTS_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_FAULTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "tools/vnstock_sim/rng.h"

namespace vnstream::sim {

// The VCI routes.
enum class Route {
  kPriceBoard,  // POST /api/price/symbols/getList
  kTicks,       // POST /api/market-watch/LEData/getAll
  kGapChart,    // POST /api/chart/OHLCChart/gap-chart
  kListing,     // GET /api/price/symbols/getAll
  kGroup,       // GET /api/price/symbols/getByGroup?group=...
};
inline constexpr std::array<Route, 5> kAllRoutes = {
    Route::kPriceBoard, Route::kTicks, Route::kGapChart, Route::kListing,
    Route::kGroup};
// "price_board", "ticks", "gap_chart", "listing", "group".
absl::string_view RouteName(Route route);

enum class FaultKind {
  kHttp500,         // 500 with a JSON error body.
  kHttp429,         // 429 with Retry-After: retry_after_s.
  kHttp403,         // 403 with Cloudflare's HTML "blocked" page.
  kCloudflare1015,  // 429 with Cloudflare's "Error 1015" HTML page.
  kSlow,            // The normal response after delay_ms.
  kTruncated,       // 200 with the first half of the normal JSON body.
  kEmpty,           // 200 with an empty JSON array.
};
inline constexpr std::array<FaultKind, 7> kAllFaultKinds = {
    FaultKind::kHttp500,        FaultKind::kHttp429, FaultKind::kHttp403,
    FaultKind::kCloudflare1015, FaultKind::kSlow,    FaultKind::kTruncated,
    FaultKind::kEmpty};
// "http_500", "http_429", "http_403", "cloudflare_1015", "slow",
// "truncated", "empty".
absl::string_view FaultKindName(FaultKind kind);

absl::StatusOr<Route> ParseRoute(absl::string_view name);
absl::StatusOr<FaultKind> ParseFaultKind(absl::string_view name);

struct FaultRule {
  std::optional<Route> route;  // Unset: every VCI route.
  FaultKind kind = FaultKind::kHttp500;
  // The rule is removed after firing this many times; 0 = never.
  int64_t count = 0;
  // Chance that the rule fires on a matching request, (0, 1].
  double probability = 1;
  int64_t delay_ms = 1000;     // kSlow.
  int64_t retry_after_s = 30;  // kHttp429: the Retry-After header.

  // Checks the ranges above.
  absl::Status Validate() const;
};

// "ROUTE:KIND[:key=value]..." with ROUTE a route name or "all", KIND a
// fault kind name and keys count, probability, delay_ms, retry_after_s:
//   "all:slow:probability=0.1:delay_ms=2000", "ticks:http_500:count=3".
absl::StatusOr<FaultRule> ParseFaultSpec(absl::string_view spec);

// Decides, per request, which fault (if any) to inject. Rules are tried in
// the order added; the first that fires wins. Probabilities draw from one
// generator seeded at construction, so a sequence of requests sees the same
// faults on every run. Thread-safe.
class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed) : rng_(seed) {}

  void Add(FaultRule rule) ABSL_LOCKS_EXCLUDED(mu_);
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);

  // Counts a request on `route`; returns the fault to inject.
  std::optional<FaultRule> OnRequest(Route route) ABSL_LOCKS_EXCLUDED(mu_);

  struct Stats {
    std::array<int64_t, kAllRoutes.size()> requests{};
    // [route][kind]: faults injected.
    std::array<std::array<int64_t, kAllFaultKinds.size()>, kAllRoutes.size()>
        injected{};
    // Active rules; `count` is what remains.
    std::vector<FaultRule> rules;
  };
  Stats GetStats() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  Rng rng_ ABSL_GUARDED_BY(mu_);
  std::vector<FaultRule> rules_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_FAULTS_H_
