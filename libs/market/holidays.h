// The Vietnamese exchange holidays shipped with vnstream
// (data/calendar/vn-holidays.csv, compiled in): the weekdays on which HOSE,
// HNX and UPCOM do not trade, 2024-2027, each with its source. The same
// file drives ingest's market hours, vnstock-sim, the gateway and (through
// ingest's vnstream_market_holiday metric) the alerts.
#ifndef VNSTREAM_LIBS_MARKET_HOLIDAYS_H_
#define VNSTREAM_LIBS_MARKET_HOLIDAYS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace vnstream::market {

struct Holiday {
  absl::CivilDay day;
  std::string name;
  std::string source;
};

// Parses the holiday CSV format: '#' comment lines, the header
// "date,holiday,source", then one row per closed weekday (the source may
// contain commas). InvalidArgument for a malformed row, a date that is not
// YYYY-MM-DD, a weekend (never a trading day anyway: a typo), a date out of
// order or repeated.
absl::StatusOr<std::vector<Holiday>> ParseHolidaysCsv(absl::string_view csv);

// The shipped holidays, in date order. Parsed once; the file is checked by
// holidays_test, so a bad edit fails the build's tests, not a service.
const std::vector<Holiday>& ShippedHolidays();

// The shipped holidays' dates.
absl::flat_hash_set<absl::CivilDay> ShippedHolidayDays();

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_HOLIDAYS_H_
