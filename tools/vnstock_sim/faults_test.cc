#include "tools/vnstock_sim/faults.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vnstream::sim {
namespace {

using ::testing::HasSubstr;

TEST(FaultsTest, ParsesSpecs) {
  absl::StatusOr<FaultRule> rule =
      ParseFaultSpec("all:slow:probability=0.25:delay_ms=2000");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_FALSE(rule->route.has_value());
  EXPECT_EQ(rule->kind, FaultKind::kSlow);
  EXPECT_EQ(rule->probability, 0.25);
  EXPECT_EQ(rule->delay_ms, 2000);
  EXPECT_EQ(rule->count, 0);

  rule = ParseFaultSpec("ticks:http_429:count=3:retry_after_s=7");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->route, Route::kTicks);
  EXPECT_EQ(rule->kind, FaultKind::kHttp429);
  EXPECT_EQ(rule->count, 3);
  EXPECT_EQ(rule->retry_after_s, 7);

  for (FaultKind kind : kAllFaultKinds) {
    EXPECT_EQ(*ParseFaultKind(FaultKindName(kind)), kind);
  }
  for (Route route : kAllRoutes)
    EXPECT_EQ(*ParseRoute(RouteName(route)), route);

  const std::pair<const char*, const char*> bad[] = {
      {"ticks", "expected ROUTE:KIND"},
      {"prices:http_500", "unknown route 'prices'"},
      {"all:http_418", "unknown fault kind 'http_418'"},
      {"all:slow:delay=5", "unknown key 'delay'"},
      {"all:slow:delay_ms=x", "bad value in 'delay_ms=x'"},
      {"all:slow:probability=0", "probability must be in (0, 1]"},
      {"all:slow:probability=1.5", "probability must be in (0, 1]"},
      {"all:http_500:count=-1", "count must be >= 0"},
  };
  for (const auto& [spec, error] : bad) {
    absl::StatusOr<FaultRule> r = ParseFaultSpec(spec);
    ASSERT_FALSE(r.ok()) << spec;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(error)) << spec;
  }
}

TEST(FaultsTest, CountedRulesFireOnTheNextMatchingRequests) {
  FaultInjector faults(1);
  faults.Add({.route = Route::kTicks, .kind = FaultKind::kHttp500, .count = 2});
  EXPECT_FALSE(faults.OnRequest(Route::kPriceBoard).has_value());
  EXPECT_EQ(faults.OnRequest(Route::kTicks)->kind, FaultKind::kHttp500);
  EXPECT_FALSE(faults.OnRequest(Route::kGapChart).has_value());
  EXPECT_EQ(faults.OnRequest(Route::kTicks)->kind, FaultKind::kHttp500);
  EXPECT_FALSE(faults.OnRequest(Route::kTicks).has_value());  // Used up.

  const FaultInjector::Stats stats = faults.GetStats();
  EXPECT_EQ(stats.requests[static_cast<size_t>(Route::kTicks)], 3);
  EXPECT_EQ(stats.requests[static_cast<size_t>(Route::kPriceBoard)], 1);
  EXPECT_EQ(stats.injected[static_cast<size_t>(Route::kTicks)]
                          [static_cast<size_t>(FaultKind::kHttp500)],
            2);
  EXPECT_TRUE(stats.rules.empty());
}

TEST(FaultsTest, FirstMatchingRuleWinsAndClearRemovesAll) {
  FaultInjector faults(1);
  faults.Add({.kind = FaultKind::kEmpty, .count = 1});
  faults.Add({.kind = FaultKind::kTruncated});
  EXPECT_EQ(faults.OnRequest(Route::kGapChart)->kind, FaultKind::kEmpty);
  EXPECT_EQ(faults.OnRequest(Route::kGapChart)->kind, FaultKind::kTruncated);
  EXPECT_EQ(faults.OnRequest(Route::kPriceBoard)->kind, FaultKind::kTruncated);
  EXPECT_EQ(faults.GetStats().rules.size(), 1u);
  faults.Clear();
  EXPECT_FALSE(faults.OnRequest(Route::kGapChart).has_value());
}

TEST(FaultsTest, ProbabilitiesAreSeededAndRoughlyRight) {
  auto fired = [](uint64_t seed) {
    FaultInjector faults(seed);
    faults.Add({.kind = FaultKind::kHttp403, .probability = 0.3});
    std::vector<bool> hits;
    for (int i = 0; i < 2000; ++i) {
      hits.push_back(faults.OnRequest(Route::kPriceBoard).has_value());
    }
    return hits;
  };
  const std::vector<bool> a = fired(7);
  EXPECT_EQ(a, fired(7));
  EXPECT_NE(a, fired(8));
  const auto n = std::count(a.begin(), a.end(), true);
  EXPECT_GT(n, 500);
  EXPECT_LT(n, 700);
}

}  // namespace
}  // namespace vnstream::sim
