#include "libs/market/decimal.h"

#include "gtest/gtest.h"

namespace vnstream::market {
namespace {

v1::Decimal P(absl::string_view text) {
  absl::StatusOr<v1::Decimal> d = ParseDecimal(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status();
  return d.value_or(v1::Decimal());
}

TEST(DecimalTest, ParsesTheShapesVnstockSends) {
  EXPECT_EQ(P("32600").units(), 32600);
  EXPECT_EQ(P("32600.0").units(), 32600);
  EXPECT_EQ(P("32600.0").nanos(), 0);
  const v1::Decimal value = P("79678.08");
  EXPECT_EQ(value.units(), 79678);
  EXPECT_EQ(value.nanos(), 80'000'000);
}

TEST(DecimalTest, RejectsWhatIsNotAnExactDecimal) {
  for (absl::string_view bad :
       {"", "-", ".", "abc", "12a", "1e", "1.2.3", "NaN", "inf", "1e40",
        "0.0000000001", "99999999999999999999999", "506599.99999999994"}) {
    EXPECT_FALSE(ParseDecimal(bad).ok()) << bad;
  }
}

TEST(DecimalTest, ExponentsAndSigns) {
  EXPECT_EQ(DecimalToString(P("1.5e3")), "1500");
  EXPECT_EQ(DecimalToString(P("-2.5E-2")), "-0.025");
  const v1::Decimal neg = P("-0.25");
  EXPECT_EQ(neg.units(), 0);
  EXPECT_EQ(neg.nanos(), -250'000'000);
  EXPECT_EQ(DecimalToString(P("+116950.50")), "116950.5");
  EXPECT_EQ(DecimalToString(P("0.000000001")), "0.000000001");
  EXPECT_EQ(DecimalToString(P("1.0000000000")), "1") << "trailing zeros ok";
}

TEST(DecimalTest, Arithmetic) {
  EXPECT_EQ(DecimalToString(Subtract(P("117000"), P("116100"))), "900");
  EXPECT_EQ(DecimalToString(Subtract(P("116100"), P("117000.5"))), "-900.5");
  EXPECT_EQ(DecimalToString(Add(P("0.7"), P("0.3"))), "1");
  EXPECT_EQ(Compare(P("1.1"), P("1.10")), 0);
  EXPECT_EQ(Compare(P("-1"), P("0.5")), -1);
  EXPECT_TRUE(IsZero(P("0.000")));
  EXPECT_TRUE(IsNegative(P("-0.000000001")));
  EXPECT_DOUBLE_EQ(ToDouble(P("116950.5")), 116950.5);
}

TEST(DecimalTest, MillionVndToVnd) {
  absl::StatusOr<v1::Decimal> vnd = ScaleByPowerOfTen(P("79678.08"), 6);
  ASSERT_TRUE(vnd.ok());
  EXPECT_EQ(DecimalToString(*vnd), "79678080000");
  EXPECT_FALSE(ScaleByPowerOfTen(P("1.5"), -9).ok());
  EXPECT_EQ(DecimalToString(*ScaleByPowerOfTen(P("1500"), -3)), "1.5");
}

TEST(DecimalTest, PercentRoundsHalfAwayFromZero) {
  // 900 / 116100 = 0.7751937...%
  EXPECT_EQ(DecimalToString(*PercentOf(P("900"), P("116100"))), "0.7752");
  EXPECT_EQ(DecimalToString(*PercentOf(P("-900"), P("116100"))), "-0.7752");
  // 1 / 8 = 12.5 % exactly; to 0 decimals rounds to 13 (and -13).
  EXPECT_EQ(DecimalToString(*PercentOf(P("1"), P("8"), 0)), "13");
  EXPECT_EQ(DecimalToString(*PercentOf(P("-1"), P("8"), 0)), "-13");
  EXPECT_FALSE(PercentOf(P("1"), P("0")).ok());
}

TEST(DecimalTest, MultipleOfTick) {
  EXPECT_TRUE(IsMultipleOf(P("32650"), 50));
  EXPECT_FALSE(IsMultipleOf(P("32660"), 50));
  EXPECT_FALSE(IsMultipleOf(P("32650.5"), 50));
}

}  // namespace
}  // namespace vnstream::market
