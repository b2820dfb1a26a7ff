// GetCandles(symbol, start, end, interval): the range query of the history
// store, without gRPC and without a database (a CandleStore reads the
// bars; the gateway adapts it to gRPC, services/gateway/candles.h).
//
// A page holds up to page_size candles (0 = 5,000; more than 50,000 is
// INVALID_ARGUMENT) starting in [start, end), oldest first, each built whole
// from its bars (aggregate.h) even where they lie outside the range.
// next_page_token resumes after the last candle; it encodes the request it
// belongs to (a token used with another request is INVALID_ARGUMENT) and
// where the next page starts.
//
// with_indicators: the indicator library (libs/indicators) runs over the
// candles of the interval, starting `LookbackCandles(params)` candles (twice
// the longest period: 400 by default) before each page, so the first
// candles of a page have values whenever that much history exists; after
// that many candles the EMA-family values no longer depend on where the
// computation started (to ~1e-12), so pages agree with one large request.
// cumulative_return is measured from the close of the first candle of the
// request's range (carried across pages by the token).
//
// Statuses: INVALID_ARGUMENT (malformed request or token), NOT_FOUND (a
// symbol the store has never heard of), UNAVAILABLE (the store cannot be
// reached: retry), DEADLINE_EXCEEDED.
#ifndef VNSTREAM_LIBS_CANDLES_QUERY_H_
#define VNSTREAM_LIBS_CANDLES_QUERY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/candles/aggregate.h"
#include "libs/indicators/indicators.h"
#include "libs/market/calendar.h"
#include "vnstream/v1/market_data_service.pb.h"

namespace vnstream::candles {

// Where the bars come from (PostgreSQL: pg_store.h; tests: a fake).
// Implementations are thread-safe.
class CandleStore {
 public:
  virtual ~CandleStore() = default;

  // Calls `visit` with the bars of `symbol` in `table` starting in
  // [from, to), oldest first, chunk by chunk, until `visit` returns false
  // or the bars run out. Daily bars start at 00:00 Asia/Ho_Chi_Minh.
  virtual absl::Status Scan(
      BarTable table, const std::string& symbol, absl::Time from, absl::Time to,
      absl::Time deadline,
      const std::function<bool(absl::Span<const Bar>)>& visit) = 0;

  // The last `limit` bars starting before `before`, oldest first.
  virtual absl::StatusOr<std::vector<Bar>> Before(BarTable table,
                                                  const std::string& symbol,
                                                  absl::Time before, int limit,
                                                  absl::Time deadline) = 0;

  // The symbol's type from the listing (the instruments table); nullopt
  // when the listing does not have it.
  virtual absl::StatusOr<std::optional<v1::InstrumentType>> InstrumentType(
      const std::string& symbol, absl::Time deadline) = 0;

  // Whether the store holds any bar of the symbol (either table).
  virtual absl::StatusOr<bool> HasBars(const std::string& symbol,
                                       absl::Time deadline) = 0;
};

struct QueryOptions {
  int default_page_size = 5000;
  int max_page_size = 50000;
  indicators::Params indicators;
};

// Candles before a page that the indicators start from.
int LookbackCandles(const indicators::Params& params);

// Thread-safe (stateless apart from its options).
class CandleQuery {
 public:
  // `store` and `calendar` must outlive the query.
  CandleQuery(QueryOptions options, CandleStore& store,
              const market::TradingCalendar& calendar);

  // One page of the answer, as of `now` (which decides `final`), reading
  // the store until `deadline`.
  absl::StatusOr<v1::GetCandlesResponse> Run(
      const v1::GetCandlesRequest& request, absl::Time now,
      absl::Time deadline) const;

 private:
  const QueryOptions options_;
  CandleStore& store_;
  const market::TradingCalendar& calendar_;
};

}  // namespace vnstream::candles

#endif  // VNSTREAM_LIBS_CANDLES_QUERY_H_
