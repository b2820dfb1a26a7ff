// The rows of the history store (schema: libs/store/migrations) and a Batch:
// the rows and Kafka offsets written in one transaction.
//
// Which version of a bar wins (the rule of 0001_init.sql, applied both in
// SQL and, for rows of one batch, by Batch):
//   * every bar row has an origin (stream: from Kafka; backfill: fetched
//     from VNStock by the store itself), a version (stream: the record's
//     meta.seq, which grows with every publication of the symbol's record,
//     bar revisions included; backfill: the fetch time in microseconds)
//     and `final` (the bar's period is over);
//   * between rows of the same origin, the higher version wins (never go
//     backwards: a re-delivered or late older record changes nothing);
//   * a streamed row beats a backfilled one (the stream is what the
//     pipeline saw live, revisions included), except that a final
//     backfilled bar replaces a streamed bar that is not final (the stream
//     stopped before the bar did).
#ifndef VNSTREAM_LIBS_STORE_ROWS_H_
#define VNSTREAM_LIBS_STORE_ROWS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::store {

enum class Origin { kBackfill, kStream };

// "backfill" / "stream" (the SQL value).
const char* OriginName(Origin origin);

struct BarVersion {
  Origin origin = Origin::kStream;
  int64_t version = 0;
  bool final = false;
};

// True when a row with version `incoming` replaces one with `stored`.
bool Replaces(const BarVersion& incoming, const BarVersion& stored);

// OHLCV of one bar: prices exact (VND; indices: points), volume shares.
struct Ohlcv {
  v1::Decimal open, high, low, close;
  int64_t volume = 0;
};

// daily_bars.
struct DailyRow {
  std::string symbol;
  absl::CivilDay date;
  Ohlcv bar;
  BarVersion version;
};

// minute_bars.
struct MinuteRow {
  std::string symbol;
  // UTC start of the minute.
  absl::Time start;
  Ohlcv bar;
  BarVersion version;
};

// daily_indicators.
struct IndicatorRow {
  std::string symbol;
  absl::CivilDay date;
  // Index into Batch::indicator_params().
  int params = 0;
  v1::IndicatorValues values;
  // meta.seq of the analytics record; the higher wins.
  int64_t version = 0;
};

// instruments.
struct InstrumentRow {
  std::string symbol;
  v1::InstrumentType type = v1::INSTRUMENT_TYPE_UNSPECIFIED;
  v1::Exchange exchange = v1::EXCHANGE_UNSPECIFIED;
  std::string name;
  std::string en_name;
  std::vector<std::string> groups;
  bool listed = true;
  // meta.seq of the record; the higher wins.
  int64_t version = 0;
};

// backfill_progress: a symbol's backfill of one interval ("1D", "1m") is
// finished; written with its last rows.
struct ProgressRow {
  std::string symbol;
  std::string interval;
  int64_t rows = 0;
  // Oldest and newest bar fetched; unset when VNStock had none.
  std::optional<absl::Time> oldest;
  std::optional<absl::Time> newest;
};

// The name stored for a type ("STOCK", "INDEX", ...) and an exchange
// ("HOSE", "HNX", "UPCOM", "" when unknown); and back.
std::string InstrumentTypeName(v1::InstrumentType type);
v1::InstrumentType ParseInstrumentTypeName(const std::string& name);
std::string ExchangeName(v1::Exchange exchange);

// One transaction's rows and offsets. Keys are unique per table: adding a
// row for a key already in the batch keeps the one that wins (as the
// database would). Not thread-safe (a value type).
class Batch {
 public:
  void AddDaily(DailyRow row);
  void AddMinute(MinuteRow row);
  // `params` is stored once per batch; rows refer to it by index.
  void AddIndicator(IndicatorRow row, const v1::IndicatorParams& params);
  void AddInstrument(InstrumentRow row);
  void AddProgress(ProgressRow row) { progress_.push_back(std::move(row)); }
  // The next offset to read from (topic, partition); the largest wins.
  void SetOffset(const std::string& topic, int32_t partition,
                 int64_t next_offset);
  // Adds everything of `other` (rows by the rules above, offsets by max).
  void Merge(const Batch& other);
  // Removes the 1-minute bars starting before `cutoff`; returns how many.
  size_t DropMinutesBefore(absl::Time cutoff);

  const std::vector<DailyRow>& daily() const { return daily_; }
  const std::vector<MinuteRow>& minutes() const { return minutes_; }
  const std::vector<IndicatorRow>& indicators() const { return indicators_; }
  const std::vector<InstrumentRow>& instruments() const { return instruments_; }
  // JSON (protobuf JSON of IndicatorParams) of each parameter set.
  const std::vector<std::string>& indicator_params() const {
    return indicator_params_;
  }
  const std::vector<ProgressRow>& progress() const { return progress_; }
  const std::map<std::pair<std::string, int32_t>, int64_t>& offsets() const {
    return offsets_;
  }
  // Rows of every table.
  size_t rows() const {
    return daily_.size() + minutes_.size() + indicators_.size() +
           instruments_.size();
  }
  bool empty() const {
    return rows() == 0 && offsets_.empty() && progress_.empty();
  }

 private:
  std::vector<DailyRow> daily_;
  std::vector<MinuteRow> minutes_;
  std::vector<IndicatorRow> indicators_;
  std::vector<InstrumentRow> instruments_;
  std::vector<std::string> indicator_params_;
  std::vector<ProgressRow> progress_;
  absl::flat_hash_map<std::pair<std::string, absl::CivilDay>, size_t>
      daily_index_;
  absl::flat_hash_map<std::pair<std::string, int64_t>, size_t> minute_index_;
  absl::flat_hash_map<std::pair<std::string, absl::CivilDay>, size_t>
      indicator_index_;
  absl::flat_hash_map<std::string, size_t> instrument_index_;
  absl::flat_hash_map<std::string, int> params_index_;
  std::map<std::pair<std::string, int32_t>, int64_t> offsets_;
};

}  // namespace vnstream::store

#endif  // VNSTREAM_LIBS_STORE_ROWS_H_
