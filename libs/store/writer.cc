#include "libs/store/writer.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::store {
namespace {

// Session-local staging tables (ON COMMIT DELETE ROWS: empty after every
// transaction, committed or not).
constexpr char kStagingTables[] = R"sql(
CREATE TEMP TABLE IF NOT EXISTS stage_daily (
  symbol text, trading_date date, open numeric, high numeric, low numeric,
  close numeric, volume bigint, final boolean, origin text, version bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_minute (
  symbol text, start_time timestamptz, open numeric, high numeric,
  low numeric, close numeric, volume bigint, final boolean, origin text,
  version bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_indicators (
  symbol text, trading_date date, params_id integer,
  sma_short float8, sma_medium float8, sma_long float8, ema_fast float8,
  ema_slow float8, rsi float8, macd float8, macd_signal float8,
  macd_hist float8, bb_upper float8, bb_middle float8, bb_lower float8,
  atr float8, stoch_k float8, stoch_d float8, obv float8, volume_sma float8,
  volume_ratio float8, daily_return float8, cumulative_return float8,
  version bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_instruments (
  symbol text, type text, exchange text, name text, en_name text,
  groups text[], listed boolean, version bigint
) ON COMMIT DELETE ROWS;
)sql";

// The rule of rows.h (Replaces), in SQL: EXCLUDED is the incoming row, t
// the stored one.
constexpr char kBarWins[] =
    "CASE WHEN EXCLUDED.origin = t.origin THEN EXCLUDED.version > t.version "
    "WHEN EXCLUDED.origin = 'stream' THEN EXCLUDED.final OR NOT t.final "
    "ELSE EXCLUDED.final AND NOT t.final END";

constexpr char kBarSet[] =
    "open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, "
    "close = EXCLUDED.close, volume = EXCLUDED.volume, final = "
    "EXCLUDED.final, origin = EXCLUDED.origin, version = EXCLUDED.version, "
    "updated_at = now()";

constexpr char kIndicatorColumns[] =
    "sma_short, sma_medium, sma_long, ema_fast, ema_slow, rsi, macd, "
    "macd_signal, macd_hist, bb_upper, bb_middle, bb_lower, atr, stoch_k, "
    "stoch_d, obv, volume_sma, volume_ratio, daily_return, cumulative_return";

// COPY text format: tab-separated, \N for NULL, backslash escapes.
void AppendEscaped(std::string* out, absl::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(c);
    }
  }
}

void AppendDouble(std::string* out, const std::optional<double>& value) {
  if (!value.has_value()) {
    out->append("\\N");
    return;
  }
  char buffer[32];
  // Shortest text that reads back as the same double.
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), *value);
  out->append(buffer, result.ptr);
}

void AppendOhlcv(std::string* out, const Ohlcv& bar,
                 const BarVersion& version) {
  absl::StrAppend(out, "\t", market::DecimalToString(bar.open), "\t",
                  market::DecimalToString(bar.high), "\t",
                  market::DecimalToString(bar.low), "\t",
                  market::DecimalToString(bar.close), "\t", bar.volume, "\t",
                  version.final ? "t" : "f", "\t", OriginName(version.origin),
                  "\t", version.version, "\n");
}

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

// A text[] literal: {"a","b"} with \ and " escaped.
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::optional<double> Get(bool has, double value) {
  return has ? std::optional<double>(value) : std::nullopt;
}

// Local midnight (Asia/Ho_Chi_Minh) starting `month`, as SQL text.
std::string MonthStart(absl::CivilMonth month) {
  return absl::FormatTime(
      "%Y-%m-%d %H:%M:%S%Ez",
      absl::FromCivil(absl::CivilSecond(month), market::VietnamTime()),
      market::VietnamTime());
}

}  // namespace

std::string MinutePartitionName(absl::CivilMonth month) {
  return absl::StrFormat("minute_bars_p%04d%02d", month.year(), month.month());
}

PgWriter::PgWriter(pg::ConnectionOptions options, std::string consumer)
    : options_(std::move(options)), consumer_(std::move(consumer)) {}

PgWriter::~PgWriter() = default;

absl::CivilMonth PgWriter::RetentionStart(absl::Time now) const {
  if (minute_retention_months_ <= 0) return absl::CivilMonth::min();
  const absl::CivilMonth current(
      absl::ToCivilSecond(now, market::VietnamTime()));
  return current - (minute_retention_months_ - 1);
}

absl::StatusOr<pg::Connection*> PgWriter::connection(absl::Time deadline) {
  if (conn_ != nullptr && !conn_->broken()) return conn_.get();
  conn_.reset();
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open(options_, deadline);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = (*conn)->Script(kStagingTables, deadline); !s.ok()) {
    return s;
  }
  if (absl::Status s = LoadPartitions(**conn, deadline); !s.ok()) return s;
  param_ids_.clear();
  conn_ = *std::move(conn);
  return conn_.get();
}

absl::Status PgWriter::LoadPartitions(pg::Connection& conn,
                                      absl::Time deadline) {
  absl::StatusOr<pg::Result> partitions = conn.Exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = "
      "i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = "
      "'minute_bars'",
      deadline);
  if (!partitions.ok()) return partitions.status();
  partitions_.clear();
  for (int row = 0; row < partitions->rows(); ++row) {
    partitions_.insert(std::string(partitions->Value(row, 0)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>>
PgWriter::Offsets(absl::Time deadline) {
  absl::StatusOr<pg::Connection*> conn = connection(deadline);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<pg::Result> rows = (*conn)->Exec(
      "SELECT topic, partition, next_offset FROM kafka_offsets WHERE "
      "consumer = $1",
      {consumer_}, deadline);
  if (!rows.ok()) return rows.status();
  std::map<std::pair<std::string, int32_t>, int64_t> offsets;
  for (int row = 0; row < rows->rows(); ++row) {
    offsets[{std::string(rows->Value(row, 0)),
             static_cast<int32_t>(rows->Int64(row, 1))}] = rows->Int64(row, 2);
  }
  return offsets;
}

absl::Status PgWriter::EnsurePartitions(absl::CivilMonth first,
                                        absl::CivilMonth last,
                                        absl::Time deadline) {
  absl::StatusOr<pg::Connection*> conn = connection(deadline);
  if (!conn.ok()) return conn.status();
  std::string sql;
  std::vector<std::string> created;
  for (absl::CivilMonth month = first; month <= last; ++month) {
    const std::string name = MinutePartitionName(month);
    if (partitions_.contains(name)) continue;
    absl::StrAppend(&sql, "CREATE TABLE IF NOT EXISTS ", name,
                    " PARTITION OF minute_bars FOR VALUES FROM ('",
                    MonthStart(month), "') TO ('", MonthStart(month + 1),
                    "');\n");
    created.push_back(name);
  }
  if (created.empty()) return absl::OkStatus();
  // One short transaction of its own: creating a partition locks the
  // parent table, so readers wait only for this, not for a batch.
  if (absl::Status s = (*conn)->Script(sql, deadline); !s.ok()) return s;
  for (std::string& name : created) {
    spdlog::info("created partition {}", name);
    partitions_.insert(std::move(name));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PgWriter::DropPartitionsBefore(
    absl::CivilMonth keep_from, absl::Time deadline) {
  absl::StatusOr<pg::Connection*> conn = connection(deadline);
  if (!conn.ok()) return conn.status();
  // Partitions other writers (a backfill) made since this one looked.
  if (absl::Status s = LoadPartitions(**conn, deadline); !s.ok()) return s;
  const std::string keep = MinutePartitionName(keep_from);
  std::vector<std::string> dropped;
  for (const std::string& name : partitions_) {
    // Names sort by month: minute_bars_pYYYYMM.
    if (name.size() == keep.size() && name < keep) dropped.push_back(name);
  }
  std::sort(dropped.begin(), dropped.end());
  for (const std::string& name : dropped) {
    if (absl::Status s = (*conn)->Script(
            absl::StrCat("DROP TABLE IF EXISTS ", name), deadline);
        !s.ok()) {
      return s;
    }
    partitions_.erase(name);
    spdlog::info("dropped partition {} (retention)", name);
  }
  return dropped;
}

absl::StatusOr<std::vector<int>> PgWriter::ParamIds(pg::Connection& conn,
                                                    const Batch& batch,
                                                    absl::Time deadline) {
  std::vector<int> ids;
  for (const std::string& json : batch.indicator_params()) {
    auto it = param_ids_.find(json);
    if (it == param_ids_.end()) {
      // DO UPDATE (a no-op) so that RETURNING answers for existing rows.
      absl::StatusOr<pg::Result> id = conn.Exec(
          "INSERT INTO indicator_params (params) VALUES ($1::jsonb) ON "
          "CONFLICT (params) DO UPDATE SET params = EXCLUDED.params "
          "RETURNING id",
          {json}, deadline);
      if (!id.ok()) return id.status();
      it = param_ids_.emplace(json, static_cast<int>(id->Int64(0, 0))).first;
    }
    ids.push_back(it->second);
  }
  return ids;
}

absl::StatusOr<WriteCounts> PgWriter::Write(const Batch& batch,
                                            absl::Time deadline) {
  absl::StatusOr<pg::Connection*> conn = connection(deadline);
  if (!conn.ok()) return conn.status();
  // Rows older than the retention are left out (their partitions are
  // gone or about to go).
  const absl::CivilMonth keep_from = RetentionStart(absl::Now());
  const absl::Time cutoff =
      keep_from == absl::CivilMonth::min()
          ? absl::InfinitePast()
          : absl::FromCivil(keep_from, market::VietnamTime());
  const Batch* rows = &batch;
  Batch kept;
  int64_t too_old = 0;
  for (const MinuteRow& row : batch.minutes()) too_old += row.start < cutoff;
  if (too_old > 0) {
    kept = batch;
    kept.DropMinutesBefore(cutoff);
    rows = &kept;
  }
  // Partitions of the months present (a backfill spans years; only the
  // months with rows are needed).
  absl::flat_hash_set<std::string> missing;
  for (const MinuteRow& row : rows->minutes()) {
    const absl::CivilMonth month(
        absl::ToCivilSecond(row.start, market::VietnamTime()));
    if (!partitions_.contains(MinutePartitionName(month)) &&
        missing.insert(MinutePartitionName(month)).second) {
      if (absl::Status s = EnsurePartitions(month, month, deadline); !s.ok()) {
        return s;
      }
    }
  }
  WriteCounts counts;
  counts.minutes_beyond_retention = too_old;
  pg::Connection& c = **conn;
  const absl::Status status = c.Transaction(
      deadline, [&] { return WriteRows(c, *rows, deadline, &counts); });
  if (!status.ok()) {
    // An id cached in a rolled-back transaction may not exist.
    param_ids_.clear();
    return status;
  }
  return counts;
}

absl::Status PgWriter::WriteRows(pg::Connection& conn, const Batch& batch,
                                 absl::Time deadline, WriteCounts* counts) {
  std::string data;
  if (!batch.daily().empty()) {
    for (const DailyRow& row : batch.daily()) {
      AppendEscaped(&data, row.symbol);
      absl::StrAppend(&data, "\t", absl::FormatCivilTime(row.date));
      AppendOhlcv(&data, row.bar, row.version);
    }
    if (absl::StatusOr<int64_t> n =
            conn.CopyIn("COPY stage_daily FROM STDIN", data, deadline);
        !n.ok()) {
      return n.status();
    }
    absl::StatusOr<pg::Result> r = conn.Exec(
        absl::StrCat(
            "INSERT INTO daily_bars AS t (symbol, trading_date, open, high, "
            "low, close, volume, final, origin, version) SELECT * FROM "
            "stage_daily ORDER BY symbol, trading_date ON CONFLICT (symbol, "
            "trading_date) DO UPDATE SET ",
            kBarSet, " WHERE ", kBarWins),
        deadline);
    if (!r.ok()) return r.status();
    counts->daily = r->affected_rows();
  }
  if (!batch.minutes().empty()) {
    data.clear();
    for (const MinuteRow& row : batch.minutes()) {
      AppendEscaped(&data, row.symbol);
      absl::StrAppend(&data, "\t", Utc(row.start));
      AppendOhlcv(&data, row.bar, row.version);
    }
    if (absl::StatusOr<int64_t> n =
            conn.CopyIn("COPY stage_minute FROM STDIN", data, deadline);
        !n.ok()) {
      return n.status();
    }
    absl::StatusOr<pg::Result> r = conn.Exec(
        absl::StrCat(
            "INSERT INTO minute_bars AS t (symbol, start_time, open, high, "
            "low, close, volume, final, origin, version) SELECT * FROM "
            "stage_minute ORDER BY symbol, start_time ON CONFLICT (symbol, "
            "start_time) DO UPDATE SET ",
            kBarSet, " WHERE ", kBarWins),
        deadline);
    if (!r.ok()) return r.status();
    counts->minutes = r->affected_rows();
  }
  if (!batch.indicators().empty()) {
    absl::StatusOr<std::vector<int>> ids = ParamIds(conn, batch, deadline);
    if (!ids.ok()) return ids.status();
    data.clear();
    for (const IndicatorRow& row : batch.indicators()) {
      const v1::IndicatorValues& v = row.values;
      AppendEscaped(&data, row.symbol);
      absl::StrAppend(&data, "\t", absl::FormatCivilTime(row.date), "\t",
                      (*ids)[row.params]);
      for (const std::optional<double>& value :
           {Get(v.has_sma_short(), v.sma_short()),
            Get(v.has_sma_medium(), v.sma_medium()),
            Get(v.has_sma_long(), v.sma_long()),
            Get(v.has_ema_fast(), v.ema_fast()),
            Get(v.has_ema_slow(), v.ema_slow()),
            Get(v.has_rsi(), v.rsi()),
            Get(v.has_macd(), v.macd()),
            Get(v.has_macd_signal(), v.macd_signal()),
            Get(v.has_macd_hist(), v.macd_hist()),
            Get(v.has_bb_upper(), v.bb_upper()),
            Get(v.has_bb_middle(), v.bb_middle()),
            Get(v.has_bb_lower(), v.bb_lower()),
            Get(v.has_atr(), v.atr()),
            Get(v.has_stoch_k(), v.stoch_k()),
            Get(v.has_stoch_d(), v.stoch_d()),
            Get(v.has_obv(), v.obv()),
            Get(v.has_volume_sma(), v.volume_sma()),
            Get(v.has_volume_ratio(), v.volume_ratio()),
            Get(v.has_daily_return(), v.daily_return()),
            Get(v.has_cumulative_return(), v.cumulative_return())}) {
        data.push_back('\t');
        AppendDouble(&data, value);
      }
      absl::StrAppend(&data, "\t", row.version, "\n");
    }
    if (absl::StatusOr<int64_t> n =
            conn.CopyIn("COPY stage_indicators FROM STDIN", data, deadline);
        !n.ok()) {
      return n.status();
    }
    std::string set = "params_id = EXCLUDED.params_id";
    for (absl::string_view column : absl::StrSplit(kIndicatorColumns, ", ")) {
      absl::StrAppend(&set, ", ", column, " = EXCLUDED.", column);
    }
    absl::StatusOr<pg::Result> r = conn.Exec(
        absl::StrCat("INSERT INTO daily_indicators AS t (symbol, "
                     "trading_date, params_id, ",
                     kIndicatorColumns,
                     ", version) SELECT * FROM stage_indicators ORDER BY "
                     "symbol, trading_date ON CONFLICT "
                     "(symbol, trading_date) DO UPDATE SET ",
                     set,
                     ", version = EXCLUDED.version, updated_at = now() "
                     "WHERE EXCLUDED.version > t.version"),
        deadline);
    if (!r.ok()) return r.status();
    counts->indicators = r->affected_rows();
  }
  if (!batch.instruments().empty()) {
    data.clear();
    for (const InstrumentRow& row : batch.instruments()) {
      AppendEscaped(&data, row.symbol);
      data.push_back('\t');
      AppendEscaped(&data, InstrumentTypeName(row.type));
      data.push_back('\t');
      AppendEscaped(&data, ExchangeName(row.exchange));
      data.push_back('\t');
      AppendEscaped(&data, row.name);
      data.push_back('\t');
      AppendEscaped(&data, row.en_name);
      data.push_back('\t');
      AppendEscaped(&data, ArrayLiteral(row.groups));
      absl::StrAppend(&data, "\t", row.listed ? "t" : "f", "\t", row.version,
                      "\n");
    }
    if (absl::StatusOr<int64_t> n =
            conn.CopyIn("COPY stage_instruments FROM STDIN", data, deadline);
        !n.ok()) {
      return n.status();
    }
    absl::StatusOr<pg::Result> r = conn.Exec(
        "INSERT INTO instruments AS t (symbol, type, exchange, name, "
        "en_name, groups, listed, version) SELECT * FROM stage_instruments "
        "ORDER BY symbol ON CONFLICT (symbol) DO UPDATE SET type = "
        "EXCLUDED.type, exchange "
        "= EXCLUDED.exchange, name = EXCLUDED.name, en_name = "
        "EXCLUDED.en_name, groups = EXCLUDED.groups, listed = "
        "EXCLUDED.listed, version = EXCLUDED.version, updated_at = now() "
        "WHERE EXCLUDED.version > t.version",
        deadline);
    if (!r.ok()) return r.status();
    counts->instruments = r->affected_rows();
  }
  for (const ProgressRow& row : batch.progress()) {
    auto time = [](const std::optional<absl::Time>& t) -> pg::Param {
      return t.has_value() ? pg::Param(Utc(*t)) : std::nullopt;
    };
    absl::StatusOr<pg::Result> r = conn.Exec(
        "INSERT INTO backfill_progress AS t (symbol, bar_interval, rows, "
        "oldest, newest) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (symbol, "
        "bar_interval) DO UPDATE SET rows = EXCLUDED.rows, oldest = "
        "EXCLUDED.oldest, newest = EXCLUDED.newest, finished_at = now()",
        {row.symbol, row.interval, absl::StrCat(row.rows), time(row.oldest),
         time(row.newest)},
        deadline);
    if (!r.ok()) return r.status();
  }
  if (!batch.offsets().empty()) {
    std::vector<std::string> topics, partitions, offsets;
    for (const auto& [key, offset] : batch.offsets()) {
      topics.push_back(key.first);
      partitions.push_back(absl::StrCat(key.second));
      offsets.push_back(absl::StrCat(offset));
    }
    // Offsets only move forward (a replayed batch changes nothing).
    absl::StatusOr<pg::Result> r = conn.Exec(
        "INSERT INTO kafka_offsets AS t (consumer, topic, partition, "
        "next_offset) SELECT $1, * FROM unnest($2::text[], $3::integer[], "
        "$4::bigint[]) ON CONFLICT (consumer, topic, partition) DO UPDATE "
        "SET next_offset = EXCLUDED.next_offset, updated_at = now() WHERE "
        "EXCLUDED.next_offset > t.next_offset",
        {consumer_, ArrayLiteral(topics),
         absl::StrCat("{", absl::StrJoin(partitions, ","), "}"),
         absl::StrCat("{", absl::StrJoin(offsets, ","), "}")},
        deadline);
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

}  // namespace vnstream::store
