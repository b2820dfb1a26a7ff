#include "libs/market/holidays.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"

namespace vnstream::market {
namespace {

using ::testing::HasSubstr;

TEST(HolidaysTest, ShippedFileParsesAndCoversEveryYear) {
  const std::vector<Holiday>& holidays = ShippedHolidays();
  std::map<int, int> per_year;
  for (const Holiday& h : holidays) {
    ++per_year[static_cast<int>(h.day.year())];
    EXPECT_FALSE(h.source.empty()) << h.day;
  }
  // Trading days closed: 12 in 2024 (with the 29 April bridge), 12 in 2025
  // (2 May bridge), 12 in 2026 (HOSE's announcement says 12).
  EXPECT_EQ(per_year[2024], 12);
  EXPECT_EQ(per_year[2025], 12);
  EXPECT_EQ(per_year[2026], 12);
  EXPECT_EQ(per_year[2027], 4) << "only the Labour Code's fixed dates";
  EXPECT_EQ(per_year.size(), 4u);
}

TEST(HolidaysTest, KnownDaysAreClosedAndNeighboursOpen) {
  const TradingCalendar calendar(ShippedHolidayDays());
  for (absl::CivilDay tet(2026, 2, 16); tet <= absl::CivilDay(2026, 2, 20);
       ++tet) {
    EXPECT_FALSE(calendar.IsTradingDay(tet)) << tet;
  }
  EXPECT_TRUE(calendar.IsTradingDay(absl::CivilDay(2026, 2, 13)));
  EXPECT_TRUE(calendar.IsTradingDay(absl::CivilDay(2026, 2, 23)));
  EXPECT_FALSE(calendar.IsTradingDay(absl::CivilDay(2025, 5, 2)));
  EXPECT_FALSE(calendar.IsTradingDay(absl::CivilDay(2024, 4, 29)));
  EXPECT_EQ(calendar.NextTradingDay(absl::CivilDay(2026, 8, 28)),
            absl::CivilDay(2026, 9, 3));
  // 10:00 on Hung Kings' compensation day is closed, like a weekend.
  EXPECT_EQ(
      calendar.SessionAt(v1::EXCHANGE_HOSE,
                         absl::FromCivil(absl::CivilMinute(2026, 4, 27, 10, 0),
                                         VietnamTime())),
      v1::TRADING_SESSION_CLOSED);
}

TEST(HolidaysTest, RejectsMalformedFiles) {
  EXPECT_TRUE(ParseHolidaysCsv("# c\ndate,holiday,source\n").ok());
  EXPECT_THAT(ParseHolidaysCsv("2026-01-01,x,y\n").status().message(),
              HasSubstr("header"));
  const std::string header = "date,holiday,source\n";
  EXPECT_THAT(ParseHolidaysCsv(header + "2026-1-1,x,y").status().message(),
              HasSubstr("not a YYYY-MM-DD date"));
  EXPECT_THAT(ParseHolidaysCsv(header + "2026-01-03,x,y").status().message(),
              HasSubstr("weekend"));
  EXPECT_THAT(ParseHolidaysCsv(header + "2026-01-02,x,y\n2026-01-01,x,y")
                  .status()
                  .message(),
              HasSubstr("out of order"));
  EXPECT_THAT(ParseHolidaysCsv(header + "2026-01-01,x").status().message(),
              HasSubstr("expected date,holiday,source"));
  absl::StatusOr<std::vector<Holiday>> commas =
      ParseHolidaysCsv(header + "2026-01-01,New Year,a, b, c\n");
  ASSERT_TRUE(commas.ok());
  EXPECT_EQ((*commas)[0].source, "a, b, c");
}

}  // namespace
}  // namespace vnstream::market
