// Backfill: fills the store with what VNStock has for every symbol of the
// universe: years of daily bars (one request of `daily_bars` per symbol)
// and all the 1-minute bars it gives (pages of `minute_bars_per_request`,
// walked backwards until VNStock returns a short page or `max_minute_pages`
// pages were read). Requests go through the VNStock client, so its rate
// limit (token bucket), retries and circuit breaker apply.
//
// The universe is the listed symbols of the instruments table (the
// stock-instruments topic); the configured `symbols` when it is empty.
//
// Resumable: a symbol's interval is finished when its last rows are
// committed together with its backfill_progress row; a restarted backfill
// skips finished ones (unless `refresh`). Backfilled rows carry origin
// 'backfill' and the fetch time as version, so they never overwrite a
// streamed bar (libs/store/rows.h), except an unfinished streamed bar that
// VNStock has finished.
//
// Progress: a log line every `progress_interval` ("backfill: 120 of 1,600
// symbols (7.5%), 3.1 symbols/s, 12,345 rows, ETA 7m56s") and the metrics
// vnstream_store_backfill_symbols{state=total|done|failed},
// vnstream_store_backfill_rows_total{interval},
// vnstream_store_backfill_symbols_per_second,
// vnstream_store_backfill_eta_seconds.
#ifndef VNSTREAM_SERVICES_STORE_BACKFILL_H_
#define VNSTREAM_SERVICES_STORE_BACKFILL_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"
#include "libs/service/prometheus_fwd.h"
#include "libs/store/writer.h"
#include "libs/vnstock/client.h"

namespace vnstream::store {

struct BackfillOptions {
  // The universe when the instruments table has no listed symbol.
  std::vector<std::string> symbols;
  // Daily bars asked for per symbol (~20 years of trading days).
  int daily_bars = 5000;
  // 1-minute bars per request, and requests per symbol at most.
  int minute_bars_per_request = 5000;
  int max_minute_pages = 200;
  // Symbols fetched together (one daily and one first-minute-page request
  // for the group, split by the client into its batches).
  int group_size = 20;
  // Backfill finished symbols again.
  bool refresh = false;
  absl::Duration progress_interval = absl::Seconds(10);
  // Deadline of each VNStock call and of each write.
  absl::Duration request_timeout = absl::Minutes(2);
};

// What the backfill needs from the database (PgBackfillStore; a fake in
// the tests).
class BackfillStore : public Writer {
 public:
  // Listed symbols of the instruments table, sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListedSymbols(
      absl::Time deadline) = 0;
  // Symbols whose backfill of `interval` ("1D", "1m") is finished.
  virtual absl::StatusOr<absl::flat_hash_set<std::string>> Finished(
      const std::string& interval, absl::Time deadline) = 0;
};

// BackfillStore over PostgreSQL: a PgWriter plus two reads. Not
// thread-safe.
class PgBackfillStore : public BackfillStore {
 public:
  explicit PgBackfillStore(PgWriter& writer) : writer_(writer) {}
  absl::StatusOr<WriteCounts> Write(const Batch& batch,
                                    absl::Time deadline) override {
    return writer_.Write(batch, deadline);
  }
  absl::StatusOr<std::vector<std::string>> ListedSymbols(
      absl::Time deadline) override;
  absl::StatusOr<absl::flat_hash_set<std::string>> Finished(
      const std::string& interval, absl::Time deadline) override;

 private:
  PgWriter& writer_;
};

struct BackfillResult {
  int symbols = 0;   // in the universe
  int done = 0;      // finished now or before
  int failed = 0;    // to retry (VNStock or the database failed)
  int64_t rows = 0;  // bars written now
};

// Not thread-safe: one backfill at a time.
class Backfill {
 public:
  // `source`, `calendar` and `store` must outlive the backfill.
  Backfill(BackfillOptions options, vnstock::MarketDataSource& source,
           const market::TradingCalendar& calendar, BackfillStore& store,
           prometheus::Registry& registry);

  // Backfills the universe until done or `stop`. Errors only when the
  // universe cannot be read; failed symbols are counted and retried by the
  // next run.
  absl::StatusOr<BackfillResult> Run(const absl::Notification& stop);

 private:
  struct Progress;
  // One group of symbols: daily bars, then 1-minute bars.
  void RunGroup(const std::vector<std::string>& group, bool need_daily,
                const absl::flat_hash_set<std::string>& minutes_done,
                Progress& progress);
  // Writes `batch`, retrying transient failures a few times.
  absl::Status WriteWithRetry(const Batch& batch);
  // The rest of one symbol's 1-minute history, older than `to`.
  absl::Status PageBack(const std::string& symbol, absl::Time to,
                        ProgressRow& progress, int pages_read);

  const BackfillOptions options_;
  vnstock::MarketDataSource& source_;
  const market::TradingCalendar& calendar_;
  BackfillStore& store_;
  const absl::Notification* stop_ = nullptr;
  prometheus::Family<prometheus::Gauge>& symbols_;
  prometheus::Family<prometheus::Counter>& rows_;
  prometheus::Gauge& rate_;
  prometheus::Gauge& eta_;
};

}  // namespace vnstream::store

#endif  // VNSTREAM_SERVICES_STORE_BACKFILL_H_
