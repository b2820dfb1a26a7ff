#include "libs/market/flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/market/holidays.h"

ABSL_FLAG(std::vector<std::string>, holidays, {},
          "Exchange holidays (YYYY-MM-DD, comma-separated) in addition to the "
          "shipped calendar (data/calendar/vn-holidays.csv, 2024-2027): no "
          "trading on these weekdays.");

namespace vnstream::market {

absl::StatusOr<TradingCalendar> CalendarFromFlags() {
  absl::flat_hash_set<absl::CivilDay> days = ShippedHolidayDays();
  for (const std::string& text : absl::GetFlag(FLAGS_holidays)) {
    absl::CivilDay day;
    if (!absl::ParseCivilTime(text, &day)) {
      return absl::InvalidArgumentError(
          absl::StrCat("holidays: '", text, "' is not a YYYY-MM-DD date"));
    }
    days.insert(day);
  }
  return TradingCalendar(std::move(days));
}

}  // namespace vnstream::market
