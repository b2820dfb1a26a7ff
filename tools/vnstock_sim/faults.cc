#include "tools/vnstock_sim/faults.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vnstream::sim {

absl::string_view RouteName(Route route) {
  switch (route) {
    case Route::kPriceBoard:
      return "price_board";
    case Route::kTicks:
      return "ticks";
    case Route::kGapChart:
      return "gap_chart";
    case Route::kListing:
      return "listing";
    case Route::kGroup:
      break;
  }
  return "group";
}

absl::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kHttp500:
      return "http_500";
    case FaultKind::kHttp429:
      return "http_429";
    case FaultKind::kHttp403:
      return "http_403";
    case FaultKind::kCloudflare1015:
      return "cloudflare_1015";
    case FaultKind::kSlow:
      return "slow";
    case FaultKind::kTruncated:
      return "truncated";
    case FaultKind::kEmpty:
      break;
  }
  return "empty";
}

absl::StatusOr<Route> ParseRoute(absl::string_view name) {
  for (Route route : kAllRoutes) {
    if (RouteName(route) == name) return route;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown route '", name,
                   "' (price_board, ticks, gap_chart, listing, group or all)"));
}

absl::StatusOr<FaultKind> ParseFaultKind(absl::string_view name) {
  for (FaultKind kind : kAllFaultKinds) {
    if (FaultKindName(kind) == name) return kind;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown fault kind '", name,
      "' (http_500, http_429, http_403, cloudflare_1015, slow, truncated, "
      "empty)"));
}

absl::Status FaultRule::Validate() const {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  if (!(probability > 0 && probability <= 1)) {
    return absl::InvalidArgumentError("probability must be in (0, 1]");
  }
  if (delay_ms < 0 || delay_ms > 600'000) {
    return absl::InvalidArgumentError("delay_ms must be in [0, 600000]");
  }
  if (retry_after_s < 0) {
    return absl::InvalidArgumentError("retry_after_s must be >= 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<FaultRule> ParseFaultSpec(absl::string_view spec) {
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("fault '", spec, "': ", what));
  };
  if (parts.size() < 2) return error("expected ROUTE:KIND[:key=value]...");
  FaultRule rule;
  if (parts[0] != "all") {
    absl::StatusOr<Route> route = ParseRoute(parts[0]);
    if (!route.ok()) return error(route.status().message());
    rule.route = *route;
  }
  absl::StatusOr<FaultKind> kind = ParseFaultKind(parts[1]);
  if (!kind.ok()) return error(kind.status().message());
  rule.kind = *kind;
  for (size_t i = 2; i < parts.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
    bool ok = false;
    if (kv.first == "count") {
      ok = absl::SimpleAtoi(kv.second, &rule.count);
    } else if (kv.first == "probability") {
      ok = absl::SimpleAtod(kv.second, &rule.probability);
    } else if (kv.first == "delay_ms") {
      ok = absl::SimpleAtoi(kv.second, &rule.delay_ms);
    } else if (kv.first == "retry_after_s") {
      ok = absl::SimpleAtoi(kv.second, &rule.retry_after_s);
    } else {
      return error(absl::StrCat("unknown key '", kv.first, "'"));
    }
    if (!ok) return error(absl::StrCat("bad value in '", parts[i], "'"));
  }
  if (absl::Status s = rule.Validate(); !s.ok()) return error(s.message());
  return rule;
}

void FaultInjector::Add(FaultRule rule) {
  absl::MutexLock lock(&mu_);
  rules_.push_back(std::move(rule));
}

void FaultInjector::Clear() {
  absl::MutexLock lock(&mu_);
  rules_.clear();
}

std::optional<FaultRule> FaultInjector::OnRequest(Route route) {
  absl::MutexLock lock(&mu_);
  const size_t r = static_cast<size_t>(route);
  ++stats_.requests[r];
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->route.has_value() && *it->route != route) continue;
    // Draw only for probabilistic rules, so count-only rules do not shift
    // the sequence of draws.
    if (it->probability < 1 && rng_.Uniform() >= it->probability) continue;
    FaultRule fired = *it;
    if (it->count > 0 && --it->count == 0) rules_.erase(it);
    ++stats_.injected[r][static_cast<size_t>(fired.kind)];
    return fired;
  }
  return std::nullopt;
}

FaultInjector::Stats FaultInjector::GetStats() {
  absl::MutexLock lock(&mu_);
  Stats stats = stats_;
  stats.rules = rules_;
  return stats;
}

}  // namespace vnstream::sim
