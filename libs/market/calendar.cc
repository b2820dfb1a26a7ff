#include "libs/market/calendar.h"

namespace vnstream::market {
namespace {

int MinuteOfDay(absl::CivilMinute m) { return m.hour() * 60 + m.minute(); }

constexpr int At(int hour, int minute) { return hour * 60 + minute; }

}  // namespace

absl::TimeZone VietnamTime() {
  static const absl::TimeZone* zone =
      new absl::TimeZone(absl::FixedTimeZone(7 * 60 * 60));
  return *zone;
}

absl::CivilDay ToCivilDay(const v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

v1::Date ToDate(absl::CivilDay day) {
  v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  const int64_t nanos = absl::ToUnixNanos(t);
  google::protobuf::Timestamp ts;
  int64_t seconds = nanos / 1'000'000'000;
  int64_t rem = nanos % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rem));
  return ts;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool TradingCalendar::IsTradingDay(absl::CivilDay day) const {
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday != absl::Weekday::saturday &&
         weekday != absl::Weekday::sunday && !holidays_.contains(day);
}

absl::CivilDay TradingCalendar::LatestTradingDay(absl::CivilDay day) const {
  while (!IsTradingDay(day)) --day;
  return day;
}

absl::CivilDay TradingCalendar::NextTradingDay(absl::CivilDay day) const {
  do {
    ++day;
  } while (!IsTradingDay(day));
  return day;
}

v1::TradingSession TradingCalendar::SessionAt(v1::Exchange exchange,
                                              absl::Time t) const {
  const absl::CivilSecond local = absl::ToCivilSecond(t, VietnamTime());
  if (!IsTradingDay(absl::CivilDay(local))) {
    return v1::TRADING_SESSION_CLOSED;
  }
  return SessionAtLocalTime(exchange, absl::CivilMinute(local));
}

v1::TradingSession SessionAtLocalTime(v1::Exchange exchange,
                                      absl::CivilMinute local_minute) {
  const int m = MinuteOfDay(local_minute);
  if (m < At(9, 0)) return v1::TRADING_SESSION_PRE_OPEN;
  if (m >= At(15, 0)) return v1::TRADING_SESSION_CLOSED;
  if (m >= At(11, 30) && m < At(13, 0)) return v1::TRADING_SESSION_LUNCH_BREAK;
  switch (exchange) {
    case v1::EXCHANGE_UPCOM:
      return m < At(14, 30) ? v1::TRADING_SESSION_CONTINUOUS
                            : v1::TRADING_SESSION_PUT_THROUGH;
    case v1::EXCHANGE_HNX:
      if (m < At(14, 30)) return v1::TRADING_SESSION_CONTINUOUS;
      return m < At(14, 45) ? v1::TRADING_SESSION_ATC
                            : v1::TRADING_SESSION_PUT_THROUGH;
    default:  // HOSE
      if (m < At(9, 15)) return v1::TRADING_SESSION_ATO;
      if (m < At(14, 30)) return v1::TRADING_SESSION_CONTINUOUS;
      return m < At(14, 45) ? v1::TRADING_SESSION_ATC
                            : v1::TRADING_SESSION_PUT_THROUGH;
  }
}

std::vector<absl::CivilMinute> BarMinutes(v1::Exchange exchange,
                                          absl::CivilDay day) {
  std::vector<absl::CivilMinute> minutes;
  const int morning_start =
      exchange == v1::EXCHANGE_HNX || exchange == v1::EXCHANGE_UPCOM
          ? At(9, 0)
          : At(9, 15);
  const absl::CivilMinute midnight(day);
  for (int m = morning_start; m < At(11, 30); ++m)
    minutes.push_back(midnight + m);
  for (int m = At(13, 0); m < At(14, 30); ++m) minutes.push_back(midnight + m);
  if (exchange != v1::EXCHANGE_UPCOM) minutes.push_back(midnight + At(14, 45));
  return minutes;
}

}  // namespace vnstream::market
