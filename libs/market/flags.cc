#include "libs/market/flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::vector<std::string>, holidays, {},
          "Exchange holidays (YYYY-MM-DD, comma-separated): no trading on "
          "these weekdays (Tet, Hung Kings, 30/4, 1/5, 2/9, ...).");

namespace vnstream::market {

absl::StatusOr<TradingCalendar> CalendarFromFlags() {
  absl::flat_hash_set<absl::CivilDay> days;
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
