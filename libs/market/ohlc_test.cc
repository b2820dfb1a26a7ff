#include "libs/market/ohlc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/decimal.h"

namespace vnstream::market {
namespace {

using ::testing::HasSubstr;

struct Bar {
  v1::Decimal open, high, low, close;
};

Bar Vnd(int64_t o, int64_t h, int64_t l, int64_t c) {
  return {MakeDecimal(o), MakeDecimal(h), MakeDecimal(l), MakeDecimal(c)};
}

absl::StatusOr<OhlcCheck> Check(Bar& b, const v1::Decimal& unit) {
  return NormaliseOhlc(b.open, b.high, b.low, b.close, unit);
}

TEST(OhlcTest, ConsistentBarsAreUntouched) {
  Bar b = Vnd(100'000, 101'000, 99'000, 100'500);
  EXPECT_EQ(*Check(b, MakeDecimal(kVndRoundingUnit)), OhlcCheck::kConsistent);
  EXPECT_EQ(b.high.units(), 101'000);
  EXPECT_EQ(b.low.units(), 99'000);
  Bar flat = Vnd(5'000, 5'000, 5'000, 5'000);
  EXPECT_EQ(*Check(flat, MakeDecimal(kVndRoundingUnit)),
            OhlcCheck::kConsistent);
}

TEST(OhlcTest, OneRoundingUnitOffIsNormalised) {
  // Close one unit above high (real VN30 data has such days).
  Bar b = Vnd(104'000, 104'300, 102'000, 104'400);
  EXPECT_EQ(*Check(b, MakeDecimal(kVndRoundingUnit)), OhlcCheck::kNormalised);
  EXPECT_EQ(b.high.units(), 104'400);
  EXPECT_EQ(b.low.units(), 102'000);
  EXPECT_EQ(b.open.units(), 104'000);
  EXPECT_EQ(b.close.units(), 104'400);
  // Open one unit below low.
  b = Vnd(23'950, 24'500, 24'000, 24'300);
  EXPECT_EQ(*Check(b, MakeDecimal(kVndRoundingUnit)), OhlcCheck::kNormalised);
  EXPECT_EQ(b.low.units(), 23'950);
  EXPECT_EQ(b.high.units(), 24'500);
  // A penny stock: the 10 VND unit, more than 0.5% of 1,500.
  b = Vnd(1'500, 1'500, 1'510, 1'510);
  EXPECT_EQ(*Check(b, MakeDecimal(kVndRoundingUnit)), OhlcCheck::kNormalised);
  EXPECT_EQ(b.low.units(), 1'500);
  EXPECT_EQ(b.high.units(), 1'510);
}

TEST(OhlcTest, IndexPointsUseTheirUnit) {
  Bar b = {*ParseDecimal("1250.1"), *ParseDecimal("1261.75"),
           *ParseDecimal("1249"), *ParseDecimal("1261.76")};
  EXPECT_EQ(*Check(b, PointsRoundingUnit()), OhlcCheck::kNormalised);
  EXPECT_EQ(DecimalToString(b.high), "1261.76");
}

TEST(OhlcTest, GrossViolationsAreRejectedUnchanged) {
  // High 10% under the close.
  Bar b = Vnd(100'000, 100'000, 95'000, 110'000);
  absl::StatusOr<OhlcCheck> check = Check(b, MakeDecimal(kVndRoundingUnit));
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(check.status().message(),
              HasSubstr("(o=100000 h=100000 l=95000 c=110000) by 10000, more "
                        "than the tolerance 500"));
  EXPECT_EQ(b.high.units(), 100'000);
  // Just past 0.5%: 50,000 VND allows 250.
  b = Vnd(50'000, 50'000, 49'000, 50'260);
  EXPECT_FALSE(Check(b, MakeDecimal(kVndRoundingUnit)).ok());
  b = Vnd(50'000, 50'000, 49'000, 50'250);
  EXPECT_TRUE(Check(b, MakeDecimal(kVndRoundingUnit)).ok());
  // Low above high.
  b = Vnd(10'000, 10'000, 12'000, 10'000);
  EXPECT_FALSE(Check(b, MakeDecimal(kVndRoundingUnit)).ok());
}

}  // namespace
}  // namespace vnstream::market
