#include "libs/market/instruments.h"

#include "gtest/gtest.h"
#include "libs/market/exchange.h"

namespace vnstream::market {
namespace {

TEST(InstrumentsTest, ParsesVciTypes) {
  EXPECT_EQ(ParseInstrumentType("STOCK"), v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_EQ(ParseInstrumentType(" etf "), v1::INSTRUMENT_TYPE_ETF);
  EXPECT_EQ(ParseInstrumentType("CW"), v1::INSTRUMENT_TYPE_COVERED_WARRANT);
  EXPECT_EQ(ParseInstrumentType("CORPORATE_BOND"), v1::INSTRUMENT_TYPE_BOND);
  EXPECT_EQ(ParseInstrumentType("FU"), v1::INSTRUMENT_TYPE_FUTURE);
  EXPECT_EQ(ParseInstrumentType("INDEX"), v1::INSTRUMENT_TYPE_INDEX);
  EXPECT_EQ(ParseInstrumentType("MUTUAL_FUND"),
            v1::INSTRUMENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(ParseInstrumentType(""), v1::INSTRUMENT_TYPE_UNSPECIFIED);
  for (v1::InstrumentType type :
       {v1::INSTRUMENT_TYPE_STOCK, v1::INSTRUMENT_TYPE_ETF,
        v1::INSTRUMENT_TYPE_COVERED_WARRANT, v1::INSTRUMENT_TYPE_BOND,
        v1::INSTRUMENT_TYPE_INDEX, v1::INSTRUMENT_TYPE_FUTURE}) {
    EXPECT_EQ(ParseInstrumentType(InstrumentTypeName(type)), type);
  }
}

TEST(InstrumentsTest, IndicesBySymbolOrVciCode) {
  const MarketIndex* upcom = FindIndex("HNXUpcomIndex");
  ASSERT_NE(upcom, nullptr);
  EXPECT_EQ(upcom->symbol, "UPCOMINDEX");
  EXPECT_EQ(upcom->exchange, v1::EXCHANGE_UPCOM);
  EXPECT_EQ(FindIndex("upcomindex"), upcom);
  EXPECT_EQ(FindIndex("HNXUPCOMINDEX"), upcom);
  ASSERT_NE(FindIndex("HNXIndex"), nullptr);
  EXPECT_EQ(FindIndex("HNXIndex")->symbol, "HNXINDEX");
  EXPECT_EQ(FindIndex("VN30")->vci_code, "VN30");
  EXPECT_EQ(FindIndex("FPT"), nullptr);
  // Every index symbol is a valid vnstream symbol.
  for (const MarketIndex& index : KnownIndices()) {
    EXPECT_TRUE(IsValidSymbol(index.symbol)) << index.symbol;
    EXPECT_EQ(FindIndex(index.vci_code), &index);
  }
}

}  // namespace
}  // namespace vnstream::market
