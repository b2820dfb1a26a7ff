#include "libs/candles/pg_store.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "libs/market/calendar.h"

namespace vnstream::candles {
namespace {

constexpr char kMinuteColumns[] =
    "start_time, open, high, low, close, volume, final";
constexpr char kDailyColumns[] =
    "trading_date, open, high, low, close, volume, final";

std::string UtcText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

// The first trading date whose 00:00 (Asia/Ho_Chi_Minh) is at or after `t`.
absl::CivilDay DayAtOrAfter(absl::Time t) {
  const absl::CivilSecond local = absl::ToCivilSecond(t, market::VietnamTime());
  const absl::CivilDay day(local);
  return absl::CivilSecond(day) == local ? day : day + 1;
}

absl::Time LocalMidnight(absl::CivilDay day) {
  return absl::FromCivil(day, market::VietnamTime());
}

absl::StatusOr<Nanos> Price(absl::string_view value) {
  absl::StatusOr<__int128> nanos = pg::binary::NumericNanos(value);
  if (!nanos.ok()) return nanos.status();
  if (*nanos > std::numeric_limits<Nanos>::max() ||
      *nanos < std::numeric_limits<Nanos>::min()) {
    return absl::OutOfRangeError("price out of range");
  }
  return static_cast<Nanos>(*nanos);
}

// Rows of either table (binary format) -> bars.
absl::Status Decode(BarTable table, const pg::Result& rows,
                    std::vector<Bar>* out) {
  out->reserve(out->size() + rows.rows());
  for (int r = 0; r < rows.rows(); ++r) {
    Bar bar;
    if (table == BarTable::kMinute) {
      bar.start = pg::binary::Timestamp(rows.Value(r, 0));
    } else {
      bar.start = LocalMidnight(absl::CivilDay(1970, 1, 1) +
                                pg::binary::DaysSinceEpoch(rows.Value(r, 0)));
    }
    Nanos* prices[] = {&bar.open, &bar.high, &bar.low, &bar.close};
    for (int c = 0; c < 4; ++c) {
      absl::StatusOr<Nanos> price = Price(rows.Value(r, 1 + c));
      if (!price.ok()) {
        return absl::DataLossError(absl::StrCat(
            "history store: unreadable price: ", price.status().message()));
      }
      *prices[c] = *price;
    }
    bar.volume = pg::binary::Int64(rows.Value(r, 5));
    bar.final = pg::binary::Bool(rows.Value(r, 6));
    out->push_back(bar);
  }
  return absl::OkStatus();
}

// SQL of a range read of `table`, $1 symbol, $2..$3 bounds, $4 limit.
std::string RangeSql(BarTable table, bool descending) {
  const bool minute = table == BarTable::kMinute;
  const char* key = minute ? "start_time" : "trading_date";
  return absl::StrCat("SELECT ", minute ? kMinuteColumns : kDailyColumns,
                      " FROM ", minute ? "minute_bars" : "daily_bars",
                      " WHERE symbol = $1 AND ", key, " >= $2 AND ", key,
                      " < $3 ORDER BY ", key, descending ? " DESC" : "",
                      " LIMIT $4");
}

}  // namespace

PgCandleStore::PgCandleStore(PgCandleStoreOptions options)
    : options_(options), pool_(options.pool) {}

template <typename Fn>
auto PgCandleStore::WithConnection(absl::Time deadline, Fn fn)
    -> decltype(fn(std::declval<pg::Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<pg::Pool::Lease> lease = pool_.Acquire(deadline);
    if (!lease.ok()) return lease.status();
    auto result = fn(**lease);
    if (result.ok() || attempt > 0 || !(*lease)->broken() ||
        absl::Now() >= deadline ||
        result.status().code() != absl::StatusCode::kUnavailable) {
      return result;
    }
  }
}

absl::Status PgCandleStore::Scan(
    BarTable table, const std::string& symbol, absl::Time from, absl::Time to,
    absl::Time deadline,
    const std::function<bool(absl::Span<const Bar>)>& visit) {
  const bool minute = table == BarTable::kMinute;
  const std::string sql = RangeSql(table, /*descending=*/false);
  absl::CivilDay from_day = DayAtOrAfter(from);
  const absl::CivilDay to_day = DayAtOrAfter(to);
  std::vector<Bar> bars;
  while (true) {
    if (minute ? from >= to : from_day >= to_day) return absl::OkStatus();
    const std::vector<pg::Param> params = {
        symbol, minute ? UtcText(from) : absl::FormatCivilTime(from_day),
        minute ? UtcText(to) : absl::FormatCivilTime(to_day),
        absl::StrCat(options_.chunk_rows)};
    absl::StatusOr<pg::Result> rows =
        WithConnection(deadline, [&](pg::Connection& conn) {
          return conn.Exec(sql, params, deadline, pg::Format::kBinary);
        });
    if (!rows.ok()) return rows.status();
    bars.clear();
    if (absl::Status s = Decode(table, *rows, &bars); !s.ok()) return s;
    if (!bars.empty() && !visit(bars)) return absl::OkStatus();
    if (rows->rows() < options_.chunk_rows) return absl::OkStatus();
    // Keyset pagination: the next chunk starts after the last bar.
    from = bars.back().start + absl::Microseconds(1);
    from_day = DayAtOrAfter(from);
  }
}

absl::StatusOr<std::vector<Bar>> PgCandleStore::Before(
    BarTable table, const std::string& symbol, absl::Time before, int limit,
    absl::Time deadline) {
  const bool minute = table == BarTable::kMinute;
  const std::vector<pg::Param> params = {
      symbol, "-infinity",
      minute ? UtcText(before) : absl::FormatCivilTime(DayAtOrAfter(before)),
      absl::StrCat(limit)};
  absl::StatusOr<pg::Result> rows =
      WithConnection(deadline, [&](pg::Connection& conn) {
        return conn.Exec(RangeSql(table, /*descending=*/true), params, deadline,
                         pg::Format::kBinary);
      });
  if (!rows.ok()) return rows.status();
  std::vector<Bar> bars;
  if (absl::Status s = Decode(table, *rows, &bars); !s.ok()) return s;
  std::reverse(bars.begin(), bars.end());
  return bars;
}

absl::StatusOr<std::optional<v1::InstrumentType>> PgCandleStore::InstrumentType(
    const std::string& symbol, absl::Time deadline) {
  return WithConnection(
      deadline,
      [&](pg::Connection& conn)
          -> absl::StatusOr<std::optional<v1::InstrumentType>> {
        absl::StatusOr<pg::Result> r =
            conn.Exec("SELECT type FROM instruments WHERE symbol = $1",
                      {symbol}, deadline);
        if (!r.ok()) return r.status();
        if (r->rows() == 0) return std::nullopt;
        v1::InstrumentType type = v1::INSTRUMENT_TYPE_UNSPECIFIED;
        (void)v1::InstrumentType_Parse(
            absl::StrCat("INSTRUMENT_TYPE_", r->Value(0, 0)), &type);
        return type;
      });
}

absl::StatusOr<bool> PgCandleStore::HasBars(const std::string& symbol,
                                            absl::Time deadline) {
  return WithConnection(
      deadline, [&](pg::Connection& conn) -> absl::StatusOr<bool> {
        absl::StatusOr<pg::Result> r = conn.Exec(
            "SELECT EXISTS (SELECT 1 FROM daily_bars WHERE symbol = $1) OR "
            "EXISTS (SELECT 1 FROM minute_bars WHERE symbol = $1)",
            {symbol}, deadline);
        if (!r.ok()) return r.status();
        return r->Bool(0, 0);
      });
}

}  // namespace vnstream::candles
