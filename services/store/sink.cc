#include "services/store/sink.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/market/exchange.h"
#include "libs/pg/pg.h"
#include "libs/service/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace vnstream::store {
namespace {

bool ValidPrice(const v1::Decimal& d) {
  const bool same_sign =
      (d.units() >= 0 && d.nanos() >= 0) || (d.units() <= 0 && d.nanos() <= 0);
  return same_sign && d.nanos() > -market::kNanosPerUnit &&
         d.nanos() < market::kNanosPerUnit && !market::IsNegative(d) &&
         !market::IsZero(d);
}

bool ValidDate(const v1::Date& date) {
  return date.year() >= 1990 && date.year() <= 9999 && date.month() >= 1 &&
         date.month() <= 12 && date.day() >= 1 &&
         date.day() == market::ToCivilDay(date).day();
}

template <typename Bar>
bool ValidOhlcv(const Bar& bar) {
  return ValidPrice(bar.open()) && ValidPrice(bar.high()) &&
         ValidPrice(bar.low()) && ValidPrice(bar.close()) && bar.volume() >= 0;
}

template <typename Bar>
Ohlcv ToOhlcv(const Bar& bar) {
  return {bar.open(), bar.high(), bar.low(), bar.close(), bar.volume()};
}

int64_t Seq(const v1::RecordMeta& meta) {
  return static_cast<int64_t>(meta.seq());
}

}  // namespace

bool IsDataError(const absl::Status& status) {
  const std::string state = pg::SqlState(status);
  return absl::StartsWith(state, "22") || absl::StartsWith(state, "23");
}

Sink::Sink(SinkOptions options, Writer& writer, prometheus::Registry& registry)
    : options_(options),
      writer_(writer),
      records_(prometheus::BuildCounter()
                   .Name("vnstream_store_records_total")
                   .Help("Consumed records by topic and result: stored "
                         "(committed with their offset), malformed (did not "
                         "decode; skipped), rejected (refused by the "
                         "database as bad data; skipped: data loss).")
                   .Register(registry)),
      rows_written_(prometheus::BuildCounter()
                        .Name("vnstream_store_rows_written_total")
                        .Help("Rows inserted or updated, by table.")
                        .Register(registry)),
      rows_unchanged_(prometheus::BuildCounter()
                          .Name("vnstream_store_rows_unchanged_total")
                          .Help("Rows not written because the stored version "
                                "wins (replays, older revisions), by table.")
                          .Register(registry)),
      write_errors_(prometheus::BuildCounter()
                        .Name("vnstream_store_write_errors_total")
                        .Help("Failed batch writes by status code (retried; "
                              "data errors are retried record by record).")
                        .Register(registry)),
      bars_invalid_(prometheus::BuildCounter()
                        .Name("vnstream_store_bars_invalid_total")
                        .Help("Bars skipped because a price is not positive "
                              "or the date is impossible.")
                        .Register(registry)
                        .Add({})),
      batch_seconds_(prometheus::BuildHistogram()
                         .Name("vnstream_store_batch_seconds")
                         .Help("Time to write one batch (COPY, upserts, "
                               "offsets, COMMIT), seconds.")
                         .Register(registry)
                         .Add({}, LatencyBuckets())),
      last_commit_(prometheus::BuildGauge()
                       .Name("vnstream_store_last_commit_timestamp_seconds")
                       .Help("Unix time of the last committed batch.")
                       .Register(registry)
                       .Add({})),
      pending_gauge_(prometheus::BuildGauge()
                         .Name("vnstream_store_pending_records")
                         .Help("Records consumed but not yet committed.")
                         .Register(registry)
                         .Add({})) {}

void Sink::Push(const Position& position, Batch batch) {
  batch.SetOffset(position.topic, position.partition, position.offset + 1);
  pending_rows_ += batch.rows();
  pending_.push_back({position, std::move(batch)});
  pending_gauge_.Set(static_cast<double>(pending_.size()));
}

void Sink::Add(const Position& position, const v1::DailyHistory& history) {
  Batch batch;
  for (const v1::DailyBar& bar : history.bars()) {
    if (!ValidDate(bar.date()) || !ValidOhlcv(bar)) {
      bars_invalid_.Increment();
      continue;
    }
    batch.AddDaily(
        {.symbol = history.meta().symbol(),
         .date = market::ToCivilDay(bar.date()),
         .bar = ToOhlcv(bar),
         .version = {Origin::kStream, Seq(history.meta()), bar.final()}});
  }
  Push(position, std::move(batch));
}

void Sink::Add(const Position& position, const v1::IntradayBar& bar) {
  Batch batch;
  if (ValidOhlcv(bar) && bar.has_start_time()) {
    batch.AddMinute(
        {.symbol = bar.meta().symbol(),
         .start = market::FromTimestamp(bar.start_time()),
         .bar = ToOhlcv(bar),
         .version = {Origin::kStream, Seq(bar.meta()), bar.final()}});
  } else {
    bars_invalid_.Increment();
  }
  Push(position, std::move(batch));
}

void Sink::Add(const Position& position, const v1::EnrichedHistory& history) {
  Batch batch;
  for (const v1::EnrichedBar& bar : history.bars()) {
    if (!ValidDate(bar.bar().date())) {
      bars_invalid_.Increment();
      continue;
    }
    batch.AddIndicator({.symbol = history.meta().symbol(),
                        .date = market::ToCivilDay(bar.bar().date()),
                        .values = bar.indicators(),
                        .version = Seq(history.meta())},
                       history.params());
  }
  Push(position, std::move(batch));
}

void Sink::Add(const Position& position, const v1::Instrument& instrument) {
  Batch batch;
  const v1::RecordMeta& meta = instrument.meta();
  batch.AddInstrument(
      {.symbol = meta.symbol(),
       .type = meta.instrument_type(),
       .exchange = instrument.exchange(),
       .name = instrument.name(),
       .en_name = instrument.en_name(),
       .groups = {instrument.groups().begin(), instrument.groups().end()},
       .listed = instrument.listed(),
       .version = Seq(meta)});
  Push(position, std::move(batch));
}

void Sink::AddMalformed(const Position& position, const absl::Status& error) {
  CountRecord(position.topic, "malformed");
  if (++malformed_logged_ <= 10 || malformed_logged_ % 1000 == 0) {
    spdlog::warn("skipped malformed record {} [{}] @{} ({} so far): {}",
                 position.topic, position.partition, position.offset,
                 malformed_logged_, error);
  }
  // Nothing to write; the offset still moves past it.
  Batch batch;
  batch.SetOffset(position.topic, position.partition, position.offset + 1);
  pending_.push_back({position, std::move(batch), /*malformed=*/true});
}

void Sink::CountRecord(const std::string& topic, const char* result) {
  records_.Add({{"topic", topic}, {"result", result}}).Increment();
}

absl::Status Sink::Write(const Batch& batch) {
  const absl::Time start = absl::Now();
  absl::StatusOr<WriteCounts> counts =
      writer_.Write(batch, start + options_.write_timeout);
  if (!counts.ok()) {
    write_errors_
        .Add({{"code", absl::StatusCodeToString(counts.status().code())}})
        .Increment();
    return counts.status();
  }
  const absl::Time end = absl::Now();
  batch_seconds_.Observe(absl::ToDoubleSeconds(end - start));
  last_commit_.Set(absl::ToDoubleSeconds(end - absl::UnixEpoch()));
  const auto count = [&](const char* table, size_t rows, int64_t written) {
    if (rows == 0) return;
    rows_written_.Add({{"table", table}})
        .Increment(static_cast<double>(written));
    rows_unchanged_.Add({{"table", table}})
        .Increment(static_cast<double>(static_cast<int64_t>(rows) - written));
  };
  count("daily_bars", batch.daily().size(), counts->daily);
  count("minute_bars", batch.minutes().size(), counts->minutes);
  count("daily_indicators", batch.indicators().size(), counts->indicators);
  count("instruments", batch.instruments().size(), counts->instruments);
  return absl::OkStatus();
}

absl::Status Sink::Flush() {
  if (pending_.empty()) return absl::OkStatus();
  Batch all;
  for (const Entry& entry : pending_) all.Merge(entry.batch);
  absl::Status status = Write(all);
  if (IsDataError(status)) {
    spdlog::warn(
        "the database refused a batch of {} records as bad data ({}); "
        "writing them one by one",
        pending_.size(), status);
    status = Isolate();
  } else if (status.ok()) {
    for (const Entry& entry : pending_) {
      if (!entry.malformed) CountRecord(entry.position.topic, "stored");
    }
    pending_.clear();
  }
  pending_rows_ = 0;
  for (const Entry& entry : pending_) pending_rows_ += entry.batch.rows();
  pending_gauge_.Set(static_cast<double>(pending_.size()));
  return status;
}

absl::Status Sink::Isolate() {
  size_t done = 0;
  absl::Status status;
  for (; done < pending_.size(); ++done) {
    const Entry& entry = pending_[done];
    status = Write(entry.batch);
    if (status.ok()) {
      if (!entry.malformed) CountRecord(entry.position.topic, "stored");
      continue;
    }
    if (!IsDataError(status)) break;  // The database went away: retry later.
    CountRecord(entry.position.topic, "rejected");
    spdlog::error(
        "record {} [{}] @{} refused by the database, skipped (its rows are "
        "lost): {}",
        entry.position.topic, entry.position.partition, entry.position.offset,
        status);
    Batch skip;
    skip.SetOffset(entry.position.topic, entry.position.partition,
                   entry.position.offset + 1);
    status = Write(skip);
    if (!status.ok()) break;
  }
  pending_.erase(pending_.begin(), pending_.begin() + done);
  return status;
}

}  // namespace vnstream::store
