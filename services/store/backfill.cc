#include "services/store/backfill.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/base/logging.h"
#include "libs/market/exchange.h"
#include "libs/pg/pg.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace vnstream::store {
namespace {

constexpr char kDaily[] = "1D";
constexpr char kMinute[] = "1m";

Ohlcv ToOhlcv(const vnstock::RawBar& bar) {
  return {bar.open, bar.high, bar.low, bar.close, bar.volume};
}

bool Retryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kAborted ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

std::string Duration(double seconds) {
  return absl::FormatDuration(
      absl::Trunc(absl::Seconds(seconds), absl::Seconds(1)));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PgBackfillStore::ListedSymbols(
    absl::Time deadline) {
  absl::StatusOr<pg::Connection*> conn = writer_.connection(deadline);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<pg::Result> rows = (*conn)->Exec(
      "SELECT symbol FROM instruments WHERE listed ORDER BY symbol", deadline);
  if (!rows.ok()) return rows.status();
  std::vector<std::string> symbols;
  for (int r = 0; r < rows->rows(); ++r) {
    symbols.emplace_back(rows->Value(r, 0));
  }
  return symbols;
}

absl::StatusOr<absl::flat_hash_set<std::string>> PgBackfillStore::Finished(
    const std::string& interval, absl::Time deadline) {
  absl::StatusOr<pg::Connection*> conn = writer_.connection(deadline);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<pg::Result> rows = (*conn)->Exec(
      "SELECT symbol FROM backfill_progress WHERE bar_interval = $1",
      {interval}, deadline);
  if (!rows.ok()) return rows.status();
  absl::flat_hash_set<std::string> symbols;
  for (int r = 0; r < rows->rows(); ++r) symbols.emplace(rows->Value(r, 0));
  return symbols;
}

// What a person follows: N of M symbols, rate, ETA.
struct Backfill::Progress {
  int total = 0;
  int done = 0;  // Finished, in this run or before.
  int failed = 0;
  int done_now = 0;  // Finished in this run.
  int64_t rows = 0;
  absl::Time start;
  absl::Time next_report;
};

Backfill::Backfill(BackfillOptions options, vnstock::MarketDataSource& source,
                   const market::TradingCalendar& calendar,
                   BackfillStore& store, prometheus::Registry& registry)
    : options_(std::move(options)),
      source_(source),
      calendar_(calendar),
      store_(store),
      symbols_(prometheus::BuildGauge()
                   .Name("vnstream_store_backfill_symbols")
                   .Help("Symbols of the backfill's universe by state: "
                         "total, done (finished now or before), failed "
                         "(retried by the next run).")
                   .Register(registry)),
      rows_(prometheus::BuildCounter()
                .Name("vnstream_store_backfill_rows_total")
                .Help("Bars written by backfills, by interval (1D, 1m).")
                .Register(registry)),
      rate_(prometheus::BuildGauge()
                .Name("vnstream_store_backfill_symbols_per_second")
                .Help("Symbols finished per second by the running backfill.")
                .Register(registry)
                .Add({})),
      eta_(prometheus::BuildGauge()
               .Name("vnstream_store_backfill_eta_seconds")
               .Help("Estimated time until the running backfill finishes "
                     "(0 when none runs).")
               .Register(registry)
               .Add({})) {}

absl::Status Backfill::WriteWithRetry(const Batch& batch) {
  absl::Duration backoff = absl::Seconds(1);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<WriteCounts> counts =
        store_.Write(batch, absl::Now() + options_.request_timeout);
    if (counts.ok()) return absl::OkStatus();
    if (!Retryable(counts.status()) || attempt == 5 ||
        stop_->WaitForNotificationWithTimeout(backoff)) {
      return counts.status();
    }
    backoff *= 2;
  }
}

absl::StatusOr<BackfillResult> Backfill::Run(const absl::Notification& stop) {
  stop_ = &stop;
  const absl::Time deadline = absl::Now() + options_.request_timeout;
  absl::StatusOr<std::vector<std::string>> universe =
      store_.ListedSymbols(deadline);
  if (!universe.ok()) return universe.status();
  if (universe->empty()) {
    for (const std::string& s : options_.symbols) {
      universe->push_back(market::NormalizeSymbol(s));
    }
    spdlog::info(
        "backfill: the instruments table lists nothing yet; using the {} "
        "configured symbols",
        universe->size());
  }
  absl::flat_hash_set<std::string> daily_done, minutes_done;
  if (!options_.refresh) {
    absl::StatusOr<absl::flat_hash_set<std::string>> d =
        store_.Finished(kDaily, deadline);
    if (!d.ok()) return d.status();
    absl::StatusOr<absl::flat_hash_set<std::string>> m =
        store_.Finished(kMinute, deadline);
    if (!m.ok()) return m.status();
    daily_done = *std::move(d);
    minutes_done = *std::move(m);
  }
  std::vector<std::string> todo;
  for (const std::string& symbol : *universe) {
    if (!daily_done.contains(symbol) || !minutes_done.contains(symbol)) {
      todo.push_back(symbol);
    }
  }
  Progress progress;
  progress.total = static_cast<int>(universe->size());
  progress.done = progress.total - static_cast<int>(todo.size());
  progress.start = absl::Now();
  progress.next_report = progress.start + options_.progress_interval;
  symbols_.Add({{"state", "total"}}).Set(progress.total);
  spdlog::info(
      "backfill: {} symbols, {} finished before, {} to go (daily: {} bars "
      "each, 1-minute: pages of {})",
      progress.total, progress.done, todo.size(), options_.daily_bars,
      options_.minute_bars_per_request);
  for (size_t i = 0; i < todo.size() && !stop.HasBeenNotified();
       i += options_.group_size) {
    const std::vector<std::string> group(
        todo.begin() + i,
        todo.begin() + std::min(todo.size(), i + options_.group_size));
    std::vector<std::string> need_daily;
    for (const std::string& s : group) {
      if (!daily_done.contains(s)) need_daily.push_back(s);
    }
    RunGroup(group, !need_daily.empty(), minutes_done, progress);
    const absl::Time now = absl::Now();
    const double elapsed = absl::ToDoubleSeconds(now - progress.start);
    const double rate = elapsed > 0 ? progress.done_now / elapsed : 0;
    const int remaining = progress.total - progress.done - progress.failed;
    const double eta = rate > 0 ? remaining / rate : 0;
    symbols_.Add({{"state", "done"}}).Set(progress.done);
    symbols_.Add({{"state", "failed"}}).Set(progress.failed);
    rate_.Set(rate);
    eta_.Set(eta);
    if (now >= progress.next_report || i + options_.group_size >= todo.size()) {
      spdlog::info(
          "backfill: {} of {} symbols ({:.1f}%), {} failed, {:.2f} symbols/s, "
          "{} rows, ETA {}",
          progress.done, progress.total,
          progress.total > 0 ? 100.0 * progress.done / progress.total : 100.0,
          progress.failed, rate, progress.rows,
          remaining > 0 && rate > 0 ? Duration(eta) : "-");
      progress.next_report = now + options_.progress_interval;
    }
  }
  eta_.Set(0);
  rate_.Set(0);
  const BackfillResult result{progress.total, progress.done, progress.failed,
                              progress.rows};
  spdlog::info(
      "backfill {}: {} of {} symbols finished, {} failed (retried by the next "
      "run), {} rows in {}",
      stop.HasBeenNotified() ? "interrupted" : "done", result.done,
      result.symbols, result.failed, result.rows,
      Duration(absl::ToDoubleSeconds(absl::Now() - progress.start)));
  return result;
}

void Backfill::RunGroup(const std::vector<std::string>& group, bool need_daily,
                        const absl::flat_hash_set<std::string>& minutes_done,
                        Progress& progress) {
  absl::flat_hash_map<std::string, bool> ok;
  for (const std::string& s : group) ok[s] = true;
  const absl::Time now = absl::Now();
  const absl::Time deadline = now + options_.request_timeout;
  const absl::CivilDay today = absl::ToCivilDay(now, market::VietnamTime());
  // Today's daily bar is final once the day's trading is over.
  const bool closed = !calendar_.IsTradingDay(today) ||
                      absl::ToCivilMinute(now, market::VietnamTime()) >=
                          absl::CivilMinute(today) + 15 * 60;

  // Daily bars, one request for the group.
  if (need_daily) {
    vnstock::Bars bars = source_.FetchBars(group, vnstock::TimeFrame::kOneDay,
                                           now, options_.daily_bars, deadline);
    for (const absl::Status& e : bars.errors) {
      spdlog::warn("backfill: daily bars: {}", e);
    }
    absl::flat_hash_map<std::string, const vnstock::SymbolBars*> by_symbol;
    for (const vnstock::SymbolBars& s : bars.series) by_symbol[s.symbol] = &s;
    for (const std::string& symbol : group) {
      auto it = by_symbol.find(symbol);
      if (it == by_symbol.end() && !bars.errors.empty()) {
        ok[symbol] = false;  // Its request failed: retried next run.
        continue;
      }
      Batch batch;
      ProgressRow done{.symbol = symbol, .interval = kDaily};
      if (it != by_symbol.end()) {
        const vnstock::SymbolBars& series = *it->second;
        for (const vnstock::RawBar& bar : series.bars) {
          const absl::CivilDay day =
              absl::ToCivilDay(bar.time, absl::UTCTimeZone());
          const bool final = day < today || (day == today && closed);
          batch.AddDaily(
              {.symbol = symbol,
               .date = day,
               .bar = ToOhlcv(bar),
               .version = {Origin::kBackfill,
                           absl::ToUnixMicros(series.fetched_at), final}});
        }
        if (!series.bars.empty()) {
          done.oldest = series.bars.front().time;
          done.newest = series.bars.back().time;
        }
      }
      done.rows = static_cast<int64_t>(batch.daily().size());
      batch.AddProgress(done);
      if (absl::Status s = WriteWithRetry(batch); !s.ok()) {
        spdlog::warn("backfill: writing {}'s daily bars failed: {}", symbol, s);
        ok[symbol] = false;
        continue;
      }
      progress.rows += done.rows;
      rows_.Add({{"interval", kDaily}})
          .Increment(static_cast<double>(done.rows));
    }
  }

  // 1-minute bars: the newest page for the group, older pages per symbol.
  std::vector<std::string> need_minutes;
  for (const std::string& s : group) {
    if (!minutes_done.contains(s)) need_minutes.push_back(s);
  }
  if (!need_minutes.empty() && !stop_->HasBeenNotified()) {
    vnstock::Bars bars =
        source_.FetchBars(need_minutes, vnstock::TimeFrame::kOneMinute, now,
                          options_.minute_bars_per_request, deadline);
    for (const absl::Status& e : bars.errors) {
      spdlog::warn("backfill: 1-minute bars: {}", e);
    }
    absl::flat_hash_map<std::string, const vnstock::SymbolBars*> by_symbol;
    for (const vnstock::SymbolBars& s : bars.series) by_symbol[s.symbol] = &s;
    for (const std::string& symbol : need_minutes) {
      if (stop_->HasBeenNotified()) {
        ok[symbol] = false;
        continue;
      }
      auto it = by_symbol.find(symbol);
      if (it == by_symbol.end() && !bars.errors.empty()) {
        ok[symbol] = false;
        continue;
      }
      ProgressRow done{.symbol = symbol, .interval = kMinute};
      Batch batch;
      bool full_page = false;
      absl::Time oldest;
      if (it != by_symbol.end()) {
        const vnstock::SymbolBars& series = *it->second;
        for (const vnstock::RawBar& bar : series.bars) {
          batch.AddMinute(
              {.symbol = symbol,
               .start = bar.time,
               .bar = ToOhlcv(bar),
               .version = {Origin::kBackfill,
                           absl::ToUnixMicros(series.fetched_at),
                           bar.time + absl::Minutes(1) <= series.fetched_at}});
        }
        if (!series.bars.empty()) {
          done.oldest = oldest = series.bars.front().time;
          done.newest = series.bars.back().time;
        }
        full_page = static_cast<int>(series.bars.size()) >=
                    options_.minute_bars_per_request;
      }
      done.rows = static_cast<int64_t>(batch.minutes().size());
      // A full page: older pages follow, and the symbol is finished only
      // after them.
      if (!full_page) batch.AddProgress(done);
      absl::Status s = WriteWithRetry(batch);
      if (s.ok() && full_page) s = PageBack(symbol, oldest, done, 1);
      if (!s.ok()) {
        spdlog::warn("backfill: {}'s 1-minute bars failed: {}", symbol, s);
        ok[symbol] = false;
        continue;
      }
      progress.rows += done.rows;
      rows_.Add({{"interval", kMinute}})
          .Increment(static_cast<double>(done.rows));
    }
  }
  for (const std::string& s : group) {
    if (ok[s]) {
      ++progress.done;
      ++progress.done_now;
    } else {
      ++progress.failed;
    }
  }
}

absl::Status Backfill::PageBack(const std::string& symbol, absl::Time to,
                                ProgressRow& progress, int pages_read) {
  const std::vector<std::string> one = {symbol};
  while (pages_read < options_.max_minute_pages) {
    if (stop_->HasBeenNotified()) return absl::CancelledError("stopping");
    // Strictly before the oldest bar so far.
    vnstock::Bars bars = source_.FetchBars(
        one, vnstock::TimeFrame::kOneMinute, to - absl::Seconds(1),
        options_.minute_bars_per_request,
        absl::Now() + options_.request_timeout);
    if (!bars.errors.empty()) return bars.errors.front();
    if (bars.series.empty() || bars.series.front().bars.empty()) break;
    const vnstock::SymbolBars& series = bars.series.front();
    if (series.bars.front().time >= to) break;  // No older bars: done.
    Batch batch;
    for (const vnstock::RawBar& bar : series.bars) {
      if (bar.time >= to) continue;
      batch.AddMinute(
          {.symbol = symbol,
           .start = bar.time,
           .bar = ToOhlcv(bar),
           .version = {Origin::kBackfill, absl::ToUnixMicros(series.fetched_at),
                       true}});
    }
    if (absl::Status s = WriteWithRetry(batch); !s.ok()) return s;
    progress.rows += static_cast<int64_t>(batch.minutes().size());
    progress.oldest = to = series.bars.front().time;
    ++pages_read;
    if (static_cast<int>(series.bars.size()) <
        options_.minute_bars_per_request) {
      break;
    }
  }
  Batch finished;
  finished.AddProgress(progress);
  return WriteWithRetry(finished);
}

}  // namespace vnstream::store
