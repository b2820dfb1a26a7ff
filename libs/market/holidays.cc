#include "libs/market/holidays.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vnstream::market {

extern const char kShippedHolidaysCsv[];  // vn_holidays_csv.cc (generated).

absl::StatusOr<std::vector<Holiday>> ParseHolidaysCsv(absl::string_view csv) {
  std::vector<Holiday> holidays;
  bool header_seen = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("holidays line ", line_number, ": ", what));
    };
    if (!header_seen) {
      if (line != "date,holiday,source") {
        return error("expected the header 'date,holiday,source'");
      }
      header_seen = true;
      continue;
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::MaxSplits(',', 2));
    if (fields.size() != 3 || fields[1].empty() || fields[2].empty()) {
      return error("expected date,holiday,source");
    }
    Holiday holiday{.name = std::string(fields[1]),
                    .source = std::string(fields[2])};
    if (fields[0].size() != 10 ||
        !absl::ParseCivilTime(fields[0], &holiday.day)) {
      return error(absl::StrCat("'", fields[0], "' is not a YYYY-MM-DD date"));
    }
    const absl::Weekday weekday = absl::GetWeekday(holiday.day);
    if (weekday == absl::Weekday::saturday ||
        weekday == absl::Weekday::sunday) {
      return error(absl::StrCat(fields[0], " is a weekend day"));
    }
    if (!holidays.empty() && holiday.day <= holidays.back().day) {
      return error(absl::StrCat(fields[0], " is out of order or repeated"));
    }
    holidays.push_back(std::move(holiday));
  }
  if (!header_seen) {
    return absl::InvalidArgumentError("holidays: no header");
  }
  return holidays;
}

const std::vector<Holiday>& ShippedHolidays() {
  static const std::vector<Holiday>* holidays = [] {
    absl::StatusOr<std::vector<Holiday>> parsed =
        ParseHolidaysCsv(kShippedHolidaysCsv);
    if (!parsed.ok()) {
      // Impossible once holidays_test passed: the data is compiled in.
      std::fprintf(stderr, "data/calendar/vn-holidays.csv: %s\n",
                   parsed.status().ToString().c_str());
      std::abort();
    }
    return new std::vector<Holiday>(*std::move(parsed));
  }();
  return *holidays;
}

absl::flat_hash_set<absl::CivilDay> ShippedHolidayDays() {
  absl::flat_hash_set<absl::CivilDay> days;
  for (const Holiday& holiday : ShippedHolidays()) days.insert(holiday.day);
  return days;
}

}  // namespace vnstream::market
