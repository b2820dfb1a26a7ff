// The store service against a real Kafka and a real PostgreSQL: every record
// of the four topics (built from the real prices of data/vn30) ends up in
// the database exactly once, across a kill -9 of the store and a kill -9 of
// PostgreSQL in the middle of the stream. Checked row by row: values,
// versions (the seq of the newest record holding the row, so a lost record
// shows) and final flags.
#include <signal.h>

#include <map>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/indicators/indicators.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "libs/pg/pg.h"
#include "prometheus/registry.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/postgres_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;

constexpr char kCsv[] = "data/vn30/vn30-daily-2016-2019.csv";
constexpr int kWindow = 60;
constexpr int kStep = 20;

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

v1::DailyBar ToBar(const market::DailyBar& row, bool final) {
  v1::DailyBar bar;
  *bar.mutable_date() = market::ToDate(row.date);
  *bar.mutable_open() = market::MakeDecimal(row.open);
  *bar.mutable_high() = market::MakeDecimal(row.high);
  *bar.mutable_low() = market::MakeDecimal(row.low);
  *bar.mutable_close() = market::MakeDecimal(row.close);
  // The unfinished bar of a window has not traded its last share yet.
  bar.set_volume(final ? row.volume : std::max<int64_t>(0, row.volume - 1));
  bar.set_final(final);
  return bar;
}

struct ExpectedDaily {
  int64_t open, high, low, close, volume;
  bool final;
  uint64_t version;
};
struct ExpectedMinute {
  int64_t close, volume;
  bool final;
  uint64_t version;
};

// Everything published, and what the database must hold afterwards.
struct Stream {
  std::vector<kafka::OutgoingRecord> records;
  std::map<std::pair<std::string, absl::CivilDay>, ExpectedDaily> daily;
  std::map<std::pair<std::string, absl::CivilDay>, v1::IndicatorValues>
      indicators;
  std::map<std::pair<std::string, absl::CivilDay>, uint64_t> indicator_seq;
  std::map<std::pair<std::string, int64_t>, ExpectedMinute> minutes;
};

// stock-historical: each symbol's 60-day windows every 20 days (seq 1, 2,
// ...), the window's last bar unfinished; stock-analytics: each window
// enriched by the indicator library (same seq).
void AddHistories(const market::SymbolHistory& history, Stream& stream) {
  uint64_t seq = 0;
  for (size_t start = 0; start + kWindow <= history.bars.size();
       start += kStep) {
    ++seq;
    v1::DailyHistory record;
    record.mutable_meta()->set_symbol(history.symbol);
    record.mutable_meta()->set_seq(seq);
    record.mutable_meta()->set_source(v1::SOURCE_REPLAY);
    for (size_t i = start; i < start + kWindow; ++i) {
      const market::DailyBar& row = history.bars[i];
      const bool final = i + 1 < start + kWindow;
      *record.add_bars() = ToBar(row, final);
      stream.daily[{history.symbol, row.date}] = {
          row.open,
          row.high,
          row.low,
          row.close,
          final ? row.volume : std::max<int64_t>(0, row.volume - 1),
          final,
          seq};
    }
    *record.mutable_meta()->mutable_trading_date() =
        market::ToDate(history.bars[start + kWindow - 1].date);
    stream.records.push_back(
        kafka::EncodeRecord(kafka::kHistoricalTopic, record, record.meta()));
    v1::EnrichedHistory enriched;
    ASSERT_TRUE(
        indicators::Enrich(record, indicators::Params(), &enriched).ok());
    for (const v1::EnrichedBar& bar : enriched.bars()) {
      const auto key =
          std::make_pair(history.symbol, market::ToCivilDay(bar.bar().date()));
      stream.indicators[key] = bar.indicators();
      stream.indicator_seq[key] = seq;
    }
    stream.records.push_back(
        kafka::EncodeRecord(kafka::kAnalyticsTopic, enriched, enriched.meta()));
  }
}

// stock-intraday: the last `days` CSV days of a symbol, every minute of the
// HOSE grid published unfinished (revision 0) and then final (revision 1),
// seq counting per day; the day's last minute stays unfinished.
void AddMinutes(const market::SymbolHistory& history, int days,
                Stream& stream) {
  for (size_t d = history.bars.size() - days; d < history.bars.size(); ++d) {
    const market::DailyBar& day = history.bars[d];
    const std::vector<absl::CivilMinute> grid =
        market::BarMinutes(v1::EXCHANGE_HOSE, day.date);
    uint64_t seq = 0;
    for (size_t m = 0; m < grid.size(); ++m) {
      const absl::Time start = absl::FromCivil(grid[m], market::VietnamTime());
      const int64_t close = day.low + static_cast<int64_t>(m % 7) * 10;
      for (int revision = 0; revision < 2; ++revision) {
        if (revision == 1 && m + 1 == grid.size()) break;
        v1::IntradayBar bar;
        bar.mutable_meta()->set_symbol(history.symbol);
        bar.mutable_meta()->set_seq(++seq);
        *bar.mutable_meta()->mutable_trading_date() = market::ToDate(day.date);
        *bar.mutable_start_time() = market::ToTimestamp(start);
        *bar.mutable_open() = market::MakeDecimal(day.low);
        *bar.mutable_high() = market::MakeDecimal(close + 10);
        *bar.mutable_low() = market::MakeDecimal(day.low);
        *bar.mutable_close() = market::MakeDecimal(close + revision);
        bar.set_volume(100 * (static_cast<int64_t>(m) + 1) + revision);
        bar.set_final(revision == 1);
        bar.set_revision(revision);
        stream.records.push_back(
            kafka::EncodeRecord(kafka::kIntradayTopic, bar, bar.meta()));
        stream.minutes[{history.symbol, absl::ToUnixSeconds(start)}] = {
            close + revision, bar.volume(), revision == 1, seq};
      }
    }
  }
}

void AddInstruments(const market::DailyData& csv, Stream& stream) {
  uint64_t seq = 0;
  for (const market::SymbolHistory& history : csv.symbols) {
    v1::Instrument instrument;
    instrument.mutable_meta()->set_symbol(history.symbol);
    instrument.mutable_meta()->set_seq(1);
    instrument.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_STOCK);
    instrument.set_exchange(v1::EXCHANGE_HOSE);
    instrument.set_name(history.name);
    instrument.add_groups("VN30");
    instrument.set_listed(true);
    stream.records.push_back(kafka::EncodeRecord(
        kafka::kInstrumentsTopic, instrument, instrument.meta()));
    ++seq;
  }
  // A delisting: the second record of the first symbol.
  v1::Instrument delisted;
  delisted.mutable_meta()->set_symbol(csv.symbols[0].symbol);
  delisted.mutable_meta()->set_seq(2);
  delisted.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_STOCK);
  delisted.set_exchange(v1::EXCHANGE_HOSE);
  delisted.set_name(csv.symbols[0].name);
  delisted.set_listed(false);
  stream.records.push_back(
      kafka::EncodeRecord(kafka::kInstrumentsTopic, delisted, delisted.meta()));
}

absl::StatusOr<ServiceProcess> StartStore(const std::string& name,
                                          const std::string& dsn) {
  return StartService(
      name, "services/store/vnstream-store",
      {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
       absl::StrCat("--store_dsn=", dsn), "--batch_rows=400",
       "--batch_wait=50ms", "--retry_backoff=100ms", "--max_retry_backoff=1s",
       "--store_connect_timeout=2s", "--backfill_on_start=false",
       "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
}

// Records committed by the store: the sum of its stored next offsets
// (every partition starts at 0 on this broker); -1 while unreachable.
int64_t Committed(const std::string& dsn) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open({.dsn = dsn}, absl::Now() + absl::Seconds(2));
  if (!conn.ok()) return -1;
  absl::StatusOr<pg::Result> r =
      (*conn)->Exec("SELECT coalesce(sum(next_offset), 0) FROM kafka_offsets",
                    absl::Now() + absl::Seconds(2));
  return r.ok() ? r->Int64(0, 0) : -1;
}

TEST(StoreIntegrationTest, ExactlyOnceAcrossKill9OfTheStoreAndOfPostgres) {
  absl::StatusOr<market::DailyData> csv = market::LoadDailyCsv(Runfile(kCsv));
  ASSERT_TRUE(csv.ok()) << csv.status();
  Stream stream;
  for (const market::SymbolHistory& history : csv->symbols) {
    AddHistories(history, stream);
  }
  for (size_t i = 0; i < 3; ++i) AddMinutes(csv->symbols[i], 5, stream);
  AddInstruments(*csv, stream);
  // A record that is not a DailyHistory at all: skipped, never stops the
  // stream.
  stream.records.push_back(
      {kafka::kHistoricalTopic, "FPT", "\x08\xff garbage", {}});
  const int64_t total = static_cast<int64_t>(stream.records.size());

  prometheus::Registry registry;
  absl::StatusOr<std::unique_ptr<kafka::Publisher>> publisher =
      kafka::Publisher::Create(
          {.bootstrap_servers = kafka_env->bootstrap_servers()}, registry,
          "test");
  ASSERT_TRUE(publisher.ok());
  for (kafka::OutgoingRecord& record : stream.records) {
    (*publisher)->Publish(std::move(record));
  }
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(60)).ok());

  std::unique_ptr<postgres::LocalPostgres> pg = testing::StartPostgres("pg");
  ASSERT_NE(pg, nullptr);
  const std::string dsn = pg->dsn();
  absl::StatusOr<ServiceProcess> store = StartStore("store-1", dsn);
  ASSERT_TRUE(store.ok()) << store.status();

  // kill -9 of the store in the middle of the stream.
  ASSERT_TRUE(PollUntil([&] { return Committed(dsn) > total / 10; },
                        absl::Seconds(120)));
  ASSERT_LT(Committed(dsn), total) << "too late to crash mid-stream";
  ASSERT_TRUE(store->process->Signal(SIGKILL).ok());
  ASSERT_TRUE(store->process->Wait(absl::Seconds(10)).ok());
  store = StartStore("store-2", dsn);
  ASSERT_TRUE(store.ok()) << store.status();

  // kill -9 of PostgreSQL (every process) while the store writes.
  const int64_t before = Committed(dsn);
  ASSERT_TRUE(
      PollUntil([&] { return Committed(dsn) > before; }, absl::Seconds(120)));
  ASSERT_LT(Committed(dsn), total) << "too late to crash mid-stream";
  ASSERT_TRUE(pg->Kill().ok());
  absl::SleepFor(absl::Seconds(2));  // The store retries meanwhile.
  ASSERT_TRUE(pg->Restart().ok());

  ASSERT_TRUE(
      PollUntil([&] { return Committed(dsn) == total; }, absl::Seconds(180)))
      << "committed " << Committed(dsn) << " of " << total;

  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open({.dsn = dsn}, Deadline());
  ASSERT_TRUE(conn.ok());
  // daily_bars: exactly the expected rows, value for value.
  absl::StatusOr<pg::Result> daily = (*conn)->Exec(
      "SELECT symbol, trading_date, open, high, low, close, volume, final, "
      "version, origin FROM daily_bars",
      Deadline());
  ASSERT_TRUE(daily.ok()) << daily.status();
  EXPECT_EQ(daily->rows(), static_cast<int>(stream.daily.size()));
  for (int r = 0; r < daily->rows(); ++r) {
    absl::CivilDay date;
    ASSERT_TRUE(absl::ParseCivilTime(daily->Value(r, 1), &date));
    const std::string symbol(daily->Value(r, 0));
    auto it = stream.daily.find({symbol, date});
    ASSERT_NE(it, stream.daily.end()) << symbol << " " << date;
    const ExpectedDaily& e = it->second;
    ASSERT_EQ(std::make_tuple(daily->Int64(r, 2), daily->Int64(r, 3),
                              daily->Int64(r, 4), daily->Int64(r, 5),
                              daily->Int64(r, 6), daily->Bool(r, 7),
                              daily->Int64(r, 8)),
              std::make_tuple(e.open, e.high, e.low, e.close, e.volume, e.final,
                              static_cast<int64_t>(e.version)))
        << symbol << " " << date;
    EXPECT_EQ(daily->Value(r, 9), "stream");
  }
  // minute_bars: the newest revision of every bar.
  absl::StatusOr<pg::Result> minutes = (*conn)->Exec(
      "SELECT symbol, extract(epoch FROM start_time)::bigint, close, volume, "
      "final, version FROM minute_bars",
      Deadline());
  ASSERT_TRUE(minutes.ok()) << minutes.status();
  EXPECT_EQ(minutes->rows(), static_cast<int>(stream.minutes.size()));
  for (int r = 0; r < minutes->rows(); ++r) {
    const std::string symbol(minutes->Value(r, 0));
    auto it = stream.minutes.find({symbol, minutes->Int64(r, 1)});
    ASSERT_NE(it, stream.minutes.end());
    ASSERT_EQ(
        std::make_tuple(minutes->Int64(r, 2), minutes->Int64(r, 3),
                        minutes->Bool(r, 4), minutes->Int64(r, 5)),
        std::make_tuple(it->second.close, it->second.volume, it->second.final,
                        static_cast<int64_t>(it->second.version)))
        << symbol << " " << minutes->Value(r, 1);
  }
  // daily_indicators: the library's numbers, bit for bit.
  absl::StatusOr<pg::Result> indicators = (*conn)->Exec(
      "SELECT symbol, trading_date, version, sma_short, rsi, macd, bb_upper, "
      "atr, stoch_d, obv, sma_long FROM daily_indicators",
      Deadline());
  ASSERT_TRUE(indicators.ok()) << indicators.status();
  EXPECT_EQ(indicators->rows(), static_cast<int>(stream.indicators.size()));
  auto value = [&](int r, int c) -> std::optional<double> {
    if (indicators->IsNull(r, c)) return std::nullopt;
    double d = 0;
    EXPECT_TRUE(absl::SimpleAtod(indicators->Value(r, c), &d));
    return d;
  };
  auto expected = [](bool has, double v) -> std::optional<double> {
    return has ? std::optional<double>(v) : std::nullopt;
  };
  for (int r = 0; r < indicators->rows(); ++r) {
    absl::CivilDay date;
    ASSERT_TRUE(absl::ParseCivilTime(indicators->Value(r, 1), &date));
    const auto key = std::make_pair(std::string(indicators->Value(r, 0)), date);
    const v1::IndicatorValues& e = stream.indicators.at(key);
    EXPECT_EQ(indicators->Int64(r, 2),
              static_cast<int64_t>(stream.indicator_seq.at(key)));
    ASSERT_EQ(value(r, 3), expected(e.has_sma_short(), e.sma_short()));
    ASSERT_EQ(value(r, 4), expected(e.has_rsi(), e.rsi()));
    ASSERT_EQ(value(r, 5), expected(e.has_macd(), e.macd()));
    ASSERT_EQ(value(r, 6), expected(e.has_bb_upper(), e.bb_upper()));
    ASSERT_EQ(value(r, 7), expected(e.has_atr(), e.atr()));
    ASSERT_EQ(value(r, 8), expected(e.has_stoch_d(), e.stoch_d()));
    ASSERT_EQ(value(r, 9), expected(e.has_obv(), e.obv()));
    ASSERT_EQ(value(r, 10), expected(e.has_sma_long(), e.sma_long()));
  }
  // instruments: the newest record of each.
  absl::StatusOr<pg::Result> instruments = (*conn)->Exec(
      "SELECT count(*), count(*) FILTER (WHERE NOT listed), "
      "min(symbol) FILTER (WHERE NOT listed) FROM instruments",
      Deadline());
  ASSERT_TRUE(instruments.ok());
  EXPECT_EQ(instruments->Int64(0, 0),
            static_cast<int64_t>(csv->symbols.size()));
  EXPECT_EQ(instruments->Int64(0, 1), 1);
  EXPECT_EQ(instruments->Value(0, 2), csv->symbols[0].symbol);
  // The second store waited for PostgreSQL, then went on.
  EXPECT_TRUE(testing::WaitForLog(*store,
                                  "batch written after \\d+ failed attempts",
                                  absl::Seconds(1))
                  .ok());
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
