// CandleStore over the history store's tables (libs/store/migrations):
// minute_bars and daily_bars read in chunks by primary key (keyset
// pagination, binary results: exact numerics, no text parsing), through a
// bounded connection pool whose every call is bounded by the caller's
// deadline. PostgreSQL down: UNAVAILABLE, at once or within
// connect_timeout; never a blocked thread. Thread-safe.
#ifndef VNSTREAM_LIBS_CANDLES_PG_STORE_H_
#define VNSTREAM_LIBS_CANDLES_PG_STORE_H_

#include <string>
#include <vector>

#include "libs/candles/query.h"
#include "libs/pg/pg.h"

namespace vnstream::candles {

struct PgCandleStoreOptions {
  pg::Pool::Options pool;
  // Bars per query of a scan.
  int chunk_rows = 20000;
};

class PgCandleStore : public CandleStore {
 public:
  explicit PgCandleStore(PgCandleStoreOptions options);

  absl::Status Scan(
      BarTable table, const std::string& symbol, absl::Time from, absl::Time to,
      absl::Time deadline,
      const std::function<bool(absl::Span<const Bar>)>& visit) override;
  absl::StatusOr<std::vector<Bar>> Before(BarTable table,
                                          const std::string& symbol,
                                          absl::Time before, int limit,
                                          absl::Time deadline) override;
  absl::StatusOr<std::optional<v1::InstrumentType>> InstrumentType(
      const std::string& symbol, absl::Time deadline) override;
  absl::StatusOr<bool> HasBars(const std::string& symbol,
                               absl::Time deadline) override;

 private:
  // Runs `fn` on a pooled connection; once more on a fresh connection when
  // the first one turns out to be dead (the server restarted meanwhile).
  template <typename Fn>
  auto WithConnection(absl::Time deadline, Fn fn)
      -> decltype(fn(std::declval<pg::Connection&>()));

  const PgCandleStoreOptions options_;
  pg::Pool pool_;
};

}  // namespace vnstream::candles

#endif  // VNSTREAM_LIBS_CANDLES_PG_STORE_H_
