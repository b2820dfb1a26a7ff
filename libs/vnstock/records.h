// VNStock bars -> vnstream records: the conversion ingest publishes and the
// gateway's fallback serves, in one place. Sequence numbers and revisions
// are the caller's.
#ifndef VNSTREAM_LIBS_VNSTOCK_RECORDS_H_
#define VNSTREAM_LIBS_VNSTOCK_RECORDS_H_

#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"
#include "libs/vnstock/vci.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::vnstock {

// The bars of the newest trading day in `series` (before the open the API
// still returns the previous session's), with meta.symbol, source,
// fetched_at and trading_date set. A bar is final when a later bar exists,
// when it is the 14:45 closing-auction bar, or when its minute ended more
// than a few seconds before `now`.
std::vector<v1::IntradayBar> ToIntradayBars(const SymbolBars& series,
                                            absl::Time now);

// The daily history in `series`, one bar per date (oldest first), meta
// filled as above (trading_date = newest bar's date). Every bar but the
// last is final; the last is final once its day's session is over at
// `now` (or the day is no trading day).
v1::DailyHistory ToDailyHistory(const SymbolBars& series, absl::Time now,
                                const market::TradingCalendar& calendar);

// The quote of an index, which the price board does not carry, from its
// 1-minute bars (those of the newest trading day in `minutes`, which must
// have bars) and `previous_close`, the index's close on the trading day
// before (points). last = the newest bar's close; high, low and total
// volume over the day's bars; change and percent change against
// `previous_close` (the reference); exchange_time = the newest bar's
// start, and the session at that time. No band, order book, traded value
// or average: VCI gives none for indices. meta as for the bars, with
// instrument_type INDEX.
v1::Quote IndexQuote(const SymbolBars& minutes,
                     const v1::Decimal& previous_close, v1::Exchange exchange,
                     const market::TradingCalendar& calendar);

}  // namespace vnstream::vnstock

#endif  // VNSTREAM_LIBS_VNSTOCK_RECORDS_H_
