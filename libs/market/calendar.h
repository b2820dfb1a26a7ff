// Vietnamese market time: the Asia/Ho_Chi_Minh clock (UTC+7, no DST since
// 1975), trading days, each exchange's session schedule, the 1-minute bar
// grid, and conversions to the API's Date and Timestamp.
#ifndef VNSTREAM_LIBS_MARKET_CALENDAR_H_
#define VNSTREAM_LIBS_MARKET_CALENDAR_H_

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::market {

// Asia/Ho_Chi_Minh as a fixed UTC+7 zone: no tzdata needed in containers.
absl::TimeZone VietnamTime();

absl::CivilDay ToCivilDay(const v1::Date& date);
v1::Date ToDate(absl::CivilDay day);
google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);

// Trading days: Monday to Friday, minus exchange holidays (Tet and the
// other public holidays, announced yearly; configured, not built in).
class TradingCalendar {
 public:
  TradingCalendar() = default;
  explicit TradingCalendar(absl::flat_hash_set<absl::CivilDay> holidays)
      : holidays_(std::move(holidays)) {}

  bool IsTradingDay(absl::CivilDay day) const;
  // The trading day at or before `day`.
  absl::CivilDay LatestTradingDay(absl::CivilDay day) const;
  // The trading day strictly after `day`.
  absl::CivilDay NextTradingDay(absl::CivilDay day) const;
  // The session of `exchange` at time `t`.
  v1::TradingSession SessionAt(v1::Exchange exchange, absl::Time t) const;

 private:
  absl::flat_hash_set<absl::CivilDay> holidays_;
};

// Session of `exchange` at a local time of day on a trading day (the
// schedule of vnstream.v1.TradingSession; UNSPECIFIED exchange = HOSE).
v1::TradingSession SessionAtLocalTime(v1::Exchange exchange,
                                      absl::CivilMinute local_minute);

// The local minutes that start a 1-minute bar on a trading day, as VCI
// reports them: HOSE 09:15-11:29 (the 09:15 bar includes the opening
// auction), 13:00-14:29 and one 14:45 bar for the closing auction; HNX from
// 09:00 with the same afternoon; UPCOM 09:00-11:29 and 13:00-14:29.
std::vector<absl::CivilMinute> BarMinutes(v1::Exchange exchange,
                                          absl::CivilDay day);

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_CALENDAR_H_
