#include "libs/market/calendar.h"

#include "gtest/gtest.h"

namespace vnstream::market {
namespace {

absl::Time Local(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), VietnamTime());
}

TEST(CalendarTest, VietnamTimeIsUtcPlus7) {
  EXPECT_EQ(
      absl::FormatTime("%H:%M", Local(2026, 11, 25, 9, 0), absl::UTCTimeZone()),
      "02:00");
}

TEST(CalendarTest, HoseSessions) {
  TradingCalendar calendar;
  auto at = [&](int h, int m) {
    return calendar.SessionAt(v1::EXCHANGE_HOSE, Local(2026, 11, 25, h, m));
  };
  EXPECT_EQ(at(8, 59), v1::TRADING_SESSION_PRE_OPEN);
  EXPECT_EQ(at(9, 0), v1::TRADING_SESSION_ATO);
  EXPECT_EQ(at(9, 14), v1::TRADING_SESSION_ATO);
  EXPECT_EQ(at(9, 15), v1::TRADING_SESSION_CONTINUOUS);
  EXPECT_EQ(at(11, 30), v1::TRADING_SESSION_LUNCH_BREAK);
  EXPECT_EQ(at(13, 0), v1::TRADING_SESSION_CONTINUOUS);
  EXPECT_EQ(at(14, 30), v1::TRADING_SESSION_ATC);
  EXPECT_EQ(at(14, 45), v1::TRADING_SESSION_PUT_THROUGH);
  EXPECT_EQ(at(15, 0), v1::TRADING_SESSION_CLOSED);
}

TEST(CalendarTest, OtherExchanges) {
  TradingCalendar calendar;
  const absl::Time t0900 = Local(2026, 11, 25, 9, 0);
  const absl::Time t1435 = Local(2026, 11, 25, 14, 35);
  EXPECT_EQ(calendar.SessionAt(v1::EXCHANGE_HNX, t0900),
            v1::TRADING_SESSION_CONTINUOUS);
  EXPECT_EQ(calendar.SessionAt(v1::EXCHANGE_HNX, t1435),
            v1::TRADING_SESSION_ATC);
  EXPECT_EQ(calendar.SessionAt(v1::EXCHANGE_UPCOM, t1435),
            v1::TRADING_SESSION_PUT_THROUGH);
}

TEST(CalendarTest, WeekendsAndHolidaysAreClosed) {
  // 2026-11-28 is a Saturday.
  TradingCalendar calendar({absl::CivilDay(2026, 11, 25)});
  EXPECT_EQ(calendar.SessionAt(v1::EXCHANGE_HOSE, Local(2026, 11, 28, 10, 0)),
            v1::TRADING_SESSION_CLOSED);
  EXPECT_EQ(calendar.SessionAt(v1::EXCHANGE_HOSE, Local(2026, 11, 25, 10, 0)),
            v1::TRADING_SESSION_CLOSED);
  EXPECT_EQ(calendar.LatestTradingDay(absl::CivilDay(2026, 11, 29)),
            absl::CivilDay(2026, 11, 27));
  EXPECT_EQ(calendar.NextTradingDay(absl::CivilDay(2026, 11, 24)),
            absl::CivilDay(2026, 11, 26));
}

TEST(CalendarTest, BarGrid) {
  const auto hose = BarMinutes(v1::EXCHANGE_HOSE, absl::CivilDay(2026, 11, 25));
  ASSERT_EQ(hose.size(), 135u + 90u + 1u);
  EXPECT_EQ(hose.front(), absl::CivilMinute(2026, 11, 25, 9, 15));
  EXPECT_EQ(hose[134], absl::CivilMinute(2026, 11, 25, 11, 29));
  EXPECT_EQ(hose[135], absl::CivilMinute(2026, 11, 25, 13, 0));
  EXPECT_EQ(hose.back(), absl::CivilMinute(2026, 11, 25, 14, 45));
  EXPECT_EQ(BarMinutes(v1::EXCHANGE_UPCOM, absl::CivilDay(2026, 11, 25)).size(),
            150u + 90u);
}

TEST(CalendarTest, TimestampRoundTrip) {
  const absl::Time t = absl::FromUnixNanos(1795572000123456789);
  const google::protobuf::Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1795572000);
  EXPECT_EQ(ts.nanos(), 123456789);
  EXPECT_EQ(FromTimestamp(ts), t);
  const v1::Date date = ToDate(absl::CivilDay(2026, 11, 25));
  EXPECT_EQ(ToCivilDay(date), absl::CivilDay(2026, 11, 25));
}

}  // namespace
}  // namespace vnstream::market
