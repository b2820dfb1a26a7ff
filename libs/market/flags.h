// The trading calendar's settings as a flag (holidays), shared by every
// binary that needs market hours.
#ifndef VNSTREAM_LIBS_MARKET_FLAGS_H_
#define VNSTREAM_LIBS_MARKET_FLAGS_H_

#include "absl/status/statusor.h"
#include "libs/market/calendar.h"

namespace vnstream::market {

// A calendar with the shipped holidays (libs/market/holidays.h) and the
// --holidays dates; InvalidArgument for a bad date.
absl::StatusOr<TradingCalendar> CalendarFromFlags();

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_FLAGS_H_
