#include "libs/market/exchange.h"

#include "gtest/gtest.h"

namespace vnstream::market {
namespace {

TEST(ExchangeTest, ParsesBoards) {
  EXPECT_EQ(ParseExchange("HSX"), v1::EXCHANGE_HOSE);
  EXPECT_EQ(ParseExchange("hose"), v1::EXCHANGE_HOSE);
  EXPECT_EQ(ParseExchange("HNX"), v1::EXCHANGE_HNX);
  EXPECT_EQ(ParseExchange("UPCOM"), v1::EXCHANGE_UPCOM);
  EXPECT_EQ(ParseExchange("NYSE"), v1::EXCHANGE_UNSPECIFIED);
}

TEST(ExchangeTest, HoseTicks) {
  EXPECT_EQ(TickSize(v1::EXCHANGE_HOSE, 9'990), 10);
  EXPECT_EQ(TickSize(v1::EXCHANGE_HOSE, 10'000), 50);
  EXPECT_EQ(TickSize(v1::EXCHANGE_HOSE, 49'950), 50);
  EXPECT_EQ(TickSize(v1::EXCHANGE_HOSE, 50'000), 100);
  EXPECT_EQ(TickSize(v1::EXCHANGE_HNX, 9'000), 100);
}

TEST(ExchangeTest, CeilingAndFloorMatchVciSamples) {
  // VCI price-board samples: FPT ref 116,100 -> 124,200 / 108,000;
  // TCB ref 32,250 -> 34,500 / 30,000.
  EXPECT_EQ(CeilingPrice(v1::EXCHANGE_HOSE, 116'100), 124'200);
  EXPECT_EQ(FloorPrice(v1::EXCHANGE_HOSE, 116'100), 108'000);
  EXPECT_EQ(CeilingPrice(v1::EXCHANGE_HOSE, 32'250), 34'500);
  EXPECT_EQ(FloorPrice(v1::EXCHANGE_HOSE, 32'250), 30'000);
  EXPECT_EQ(CeilingPrice(v1::EXCHANGE_HNX, 20'000), 22'000);
  EXPECT_EQ(FloorPrice(v1::EXCHANGE_UPCOM, 10'000), 8'500);
}

TEST(ExchangeTest, RoundToTick) {
  EXPECT_EQ(RoundToTick(v1::EXCHANGE_HOSE, 32'624), 32'600);
  EXPECT_EQ(RoundToTick(v1::EXCHANGE_HOSE, 32'625), 32'650);
  EXPECT_EQ(RoundToTick(v1::EXCHANGE_HOSE, 116'149), 116'100);
}

TEST(ExchangeTest, Symbols) {
  EXPECT_TRUE(IsValidSymbol("FPT"));
  EXPECT_TRUE(IsValidSymbol("VN30"));
  EXPECT_TRUE(IsValidSymbol("CFPT2401"));
  EXPECT_FALSE(IsValidSymbol("FP"));
  EXPECT_FALSE(IsValidSymbol("fpt"));
  EXPECT_FALSE(IsValidSymbol("FPT;DROP"));
  EXPECT_FALSE(IsValidSymbol("ABCDEFGHIJK"));
  EXPECT_EQ(NormalizeSymbol(" fpt\n"), "FPT");
}

}  // namespace
}  // namespace vnstream::market
