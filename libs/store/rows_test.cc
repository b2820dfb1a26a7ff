#include "libs/store/rows.h"

#include "gtest/gtest.h"
#include "libs/market/decimal.h"

namespace vnstream::store {
namespace {

BarVersion Stream(int64_t seq, bool final) {
  return {Origin::kStream, seq, final};
}
BarVersion Backfill(int64_t micros, bool final) {
  return {Origin::kBackfill, micros, final};
}

TEST(RowsTest, NewerVersionOfTheSameOriginWins) {
  EXPECT_TRUE(Replaces(Stream(5, false), Stream(4, false)));
  EXPECT_TRUE(Replaces(Stream(5, false), Stream(4, true)))
      << "a later revision wins even if it reopens the bar";
  EXPECT_FALSE(Replaces(Stream(4, true), Stream(5, false)));
  EXPECT_FALSE(Replaces(Stream(5, true), Stream(5, true)))
      << "the same version again changes nothing";
  EXPECT_TRUE(Replaces(Backfill(2000, true), Backfill(1000, true)));
  EXPECT_FALSE(Replaces(Backfill(1000, true), Backfill(2000, false)));
}

TEST(RowsTest, StreamBeatsBackfillUnlessOnlyTheBackfillIsFinal) {
  EXPECT_TRUE(Replaces(Stream(1, true), Backfill(9'999'999, true)));
  EXPECT_TRUE(Replaces(Stream(1, false), Backfill(9'999'999, false)));
  EXPECT_FALSE(Replaces(Stream(1, false), Backfill(1, true)))
      << "an unfinished streamed bar does not replace a finished one";
  EXPECT_FALSE(Replaces(Backfill(9'999'999, true), Stream(1, true)));
  EXPECT_FALSE(Replaces(Backfill(9'999'999, false), Stream(1, false)));
  EXPECT_TRUE(Replaces(Backfill(1, true), Stream(100, false)))
      << "the stream stopped before the bar did";
}

MinuteRow Minute(const std::string& symbol, int64_t minute, int64_t close,
                 BarVersion version) {
  MinuteRow row;
  row.symbol = symbol;
  row.start = absl::FromUnixSeconds(minute * 60);
  row.bar.close = market::MakeDecimal(close);
  row.version = version;
  return row;
}

TEST(RowsTest, BatchKeepsOneWinningRowPerKey) {
  Batch batch;
  batch.AddMinute(Minute("FPT", 1, 100, Stream(1, false)));
  batch.AddMinute(Minute("FPT", 1, 101, Stream(3, true)));
  batch.AddMinute(Minute("FPT", 1, 102, Stream(2, false)));  // Late, older.
  batch.AddMinute(Minute("VCB", 1, 200, Stream(1, true)));
  batch.AddMinute(Minute("FPT", 2, 103, Backfill(5, true)));
  ASSERT_EQ(batch.minutes().size(), 3u);
  EXPECT_EQ(batch.minutes()[0].bar.close.units(), 101);
  EXPECT_EQ(batch.minutes()[0].version.version, 3);
  EXPECT_EQ(batch.minutes()[1].symbol, "VCB");
  EXPECT_EQ(batch.rows(), 3u);
}

TEST(RowsTest, OffsetsOnlyMoveForwardAndMergeKeepsTheRules) {
  Batch a;
  a.SetOffset("stock-intraday", 0, 10);
  a.SetOffset("stock-intraday", 0, 7);
  a.AddMinute(Minute("FPT", 1, 100, Stream(2, false)));
  v1::IndicatorParams params;
  params.set_sma_short_period(20);
  IndicatorRow indicator{.symbol = "FPT", .date = absl::CivilDay(2019, 6, 14)};
  indicator.version = 4;
  indicator.values.set_sma_short(1.5);
  a.AddIndicator(indicator, params);
  Batch b;
  b.SetOffset("stock-intraday", 0, 12);
  b.SetOffset("stock-historical", 1, 3);
  b.AddMinute(Minute("FPT", 1, 99, Stream(1, false)));  // Loses.
  v1::IndicatorParams other = params;
  other.set_sma_short_period(10);
  indicator.version = 5;
  indicator.values.set_sma_short(2.5);
  b.AddIndicator(indicator, other);
  a.Merge(b);
  EXPECT_EQ(a.offsets().at({"stock-intraday", 0}), 12);
  EXPECT_EQ(a.offsets().at({"stock-historical", 1}), 3);
  ASSERT_EQ(a.minutes().size(), 1u);
  EXPECT_EQ(a.minutes()[0].bar.close.units(), 100);
  ASSERT_EQ(a.indicators().size(), 1u);
  EXPECT_EQ(a.indicators()[0].values.sma_short(), 2.5);
  ASSERT_EQ(a.indicator_params().size(), 2u);
  EXPECT_NE(a.indicator_params()[a.indicators()[0].params].find(
                "\"sma_short_period\":10"),
            std::string::npos);
}

TEST(RowsTest, TypeAndExchangeNames) {
  EXPECT_EQ(InstrumentTypeName(v1::INSTRUMENT_TYPE_INDEX), "INDEX");
  EXPECT_EQ(InstrumentTypeName(v1::INSTRUMENT_TYPE_COVERED_WARRANT),
            "COVERED_WARRANT");
  EXPECT_EQ(ParseInstrumentTypeName("ETF"), v1::INSTRUMENT_TYPE_ETF);
  EXPECT_EQ(ParseInstrumentTypeName("nonsense"),
            v1::INSTRUMENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(ExchangeName(v1::EXCHANGE_HOSE), "HOSE");
  EXPECT_EQ(ExchangeName(v1::EXCHANGE_UNSPECIFIED), "");
}

}  // namespace
}  // namespace vnstream::store
