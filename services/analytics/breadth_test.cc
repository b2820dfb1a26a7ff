#include "services/analytics/breadth.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/decimal.h"

namespace vnstream::analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// A HOSE-style quote: reference 10,000 VND, band +-7 % (ceiling 10,700,
// floor 9,300). `last` = 0: no match yet.
v1::Quote Q(const std::string& symbol, int64_t last, int64_t volume,
            int64_t value, int64_t foreign_buy = 0, int64_t foreign_sell = 0,
            int32_t avg_nanos = 0) {
  v1::Quote q;
  q.mutable_meta()->set_symbol(symbol);
  q.set_exchange(v1::EXCHANGE_HOSE);
  *q.mutable_reference_price() = market::MakeDecimal(10'000);
  *q.mutable_ceiling_price() = market::MakeDecimal(10'700);
  *q.mutable_floor_price() = market::MakeDecimal(9'300);
  if (last > 0) {
    *q.mutable_last_price() = market::MakeDecimal(last);
    *q.mutable_average_price() = market::MakeDecimal(last, avg_nanos);
    *q.mutable_change() = market::MakeDecimal(last - 10'000);
    *q.mutable_percent_change() =
        *market::PercentOf(q.change(), q.reference_price());
  }
  q.set_total_volume(volume);
  *q.mutable_total_value() = market::MakeDecimal(value);
  q.set_foreign_buy_volume(foreign_buy);
  q.set_foreign_sell_volume(foreign_sell);
  return q;
}

std::vector<std::string> Symbols(
    const google::protobuf::RepeatedPtrField<v1::Mover>& movers) {
  std::vector<std::string> out;
  for (const v1::Mover& m : movers) out.push_back(m.symbol());
  return out;
}

TEST(BreadthTest, CountsTotalsAndRankingsByHand) {
  const std::vector<v1::Quote> quotes = {
      Q("AAA", 10'700, 1'000, 10'700'000, 500, 100),  // ceiling, +7 %
      Q("BBB", 10'200, 2'000, 20'400'000, 0, 300, 500'000'000),  // +2 %
      Q("CCC", 10'000, 3'000, 30'000'000),                       // unchanged
      Q("DDD", 9'300, 4'000, 37'200'000, 100, 1'100),            // floor, -7 %
      Q("EEE", 9'900, 500, 4'950'000),                           // -1 %
      Q("FFF", 0, 0, 0),                                         // no trade
      Q("GGG", 10'200, 100, 1'020'000),  // +2 %, tie with BBB
  };
  std::vector<const v1::Quote*> in;
  for (const v1::Quote& q : quotes) in.push_back(&q);
  const v1::MarketBreadth b = ComputeBreadth(in);
  EXPECT_EQ(b.symbols(), 7);
  EXPECT_EQ(b.advancers(), 3);  // AAA BBB GGG
  EXPECT_EQ(b.decliners(), 2);  // DDD EEE
  EXPECT_EQ(b.unchanged(), 1);  // CCC
  EXPECT_EQ(b.ceiling(), 1);
  EXPECT_EQ(b.floor(), 1);
  EXPECT_EQ(b.no_trade(), 1);
  EXPECT_EQ(b.total_volume(), 10'600);
  EXPECT_EQ(market::DecimalToString(b.total_value()), "104270000");
  EXPECT_EQ(b.foreign_buy_volume(), 600);
  EXPECT_EQ(b.foreign_sell_volume(), 1'500);
  // AAA (500-100) x 10,700 + BBB (0-300) x 10,200.5 + DDD (100-1,100) x
  // 9,300 = 4,280,000 - 3,060,150 - 9,300,000.
  EXPECT_EQ(market::DecimalToString(b.foreign_net_value()), "-8080150");
  // Ties (BBB and GGG at +2 %) go to the first symbol alphabetically.
  EXPECT_THAT(Symbols(b.top_gainers()), ElementsAre("AAA", "BBB", "GGG"));
  EXPECT_THAT(Symbols(b.top_losers()), ElementsAre("DDD", "EEE"));
  EXPECT_THAT(Symbols(b.top_by_value()),
              ElementsAre("DDD", "CCC", "BBB", "AAA", "EEE", "GGG"));
  EXPECT_EQ(market::DecimalToString(b.top_gainers(0).percent_change()), "7");
  EXPECT_EQ(market::DecimalToString(b.top_gainers(0).last_price()), "10700");
  EXPECT_EQ(b.top_gainers(0).exchange(), v1::EXCHANGE_HOSE);
  EXPECT_EQ(b.top_gainers(0).total_volume(), 1'000);
}

TEST(BreadthTest, RankingsKeepTheTopN) {
  std::vector<v1::Quote> quotes;
  for (int i = 0; i < 15; ++i) {
    quotes.push_back(Q(absl::StrCat("S", 10 + i), 10'000 + 10 * (i + 1), 10,
                       1'000 * (i + 1)));
  }
  std::vector<const v1::Quote*> in;
  for (const v1::Quote& q : quotes) in.push_back(&q);
  const v1::MarketBreadth b = ComputeBreadth(in);
  ASSERT_EQ(b.top_gainers_size(), 10);
  EXPECT_EQ(b.top_gainers(0).symbol(), "S24");
  EXPECT_EQ(b.top_gainers(9).symbol(), "S15");
  EXPECT_EQ(b.top_by_value_size(), 10);
  EXPECT_EQ(b.top_losers_size(), 0);
}

TEST(BreadthTest, EmptyScope) {
  const v1::MarketBreadth b = ComputeBreadth({});
  EXPECT_EQ(b.symbols(), 0);
  EXPECT_EQ(market::DecimalToString(b.total_value()), "0");
}

TEST(BreadthTest, GroupsSetting) {
  absl::StatusOr<GroupMap> groups =
      ParseGroups({"VN30=ACB fpt  VCB", "HNX30=SHS"});
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_THAT(*groups,
              UnorderedElementsAre(
                  Pair("VN30", std::set<std::string>{"ACB", "FPT", "VCB"}),
                  Pair("HNX30", std::set<std::string>{"SHS"})));
  EXPECT_THAT(ParseGroups({"VN30"}).status().message(),
              HasSubstr("expected GROUP=SYMBOL"));
  EXPECT_THAT(ParseGroups({"VN30= "}).status().message(),
              HasSubstr("no symbols"));
  EXPECT_FALSE(ParseGroups({"=ACB"}).ok());
}

TEST(BreadthTest, ScopesAndTypes) {
  EXPECT_EQ(ExchangeScope(v1::EXCHANGE_HOSE), "HOSE");
  EXPECT_EQ(ExchangeScope(v1::EXCHANGE_HNX), "HNX");
  EXPECT_EQ(ExchangeScope(v1::EXCHANGE_UPCOM), "UPCOM");
  EXPECT_EQ(ExchangeScope(v1::EXCHANGE_UNSPECIFIED), "");
  EXPECT_TRUE(CountsInBreadth(v1::INSTRUMENT_TYPE_UNSPECIFIED));
  EXPECT_TRUE(CountsInBreadth(v1::INSTRUMENT_TYPE_STOCK));
  EXPECT_TRUE(CountsInBreadth(v1::INSTRUMENT_TYPE_ETF));
  EXPECT_FALSE(CountsInBreadth(v1::INSTRUMENT_TYPE_INDEX));
  EXPECT_FALSE(CountsInBreadth(v1::INSTRUMENT_TYPE_COVERED_WARRANT));
  EXPECT_FALSE(CountsInBreadth(v1::INSTRUMENT_TYPE_FUTURE));
}

}  // namespace
}  // namespace vnstream::analytics
