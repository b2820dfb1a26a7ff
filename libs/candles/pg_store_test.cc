// PgCandleStore against a real PostgreSQL holding rows written by the
// store's writer: chunked scans across monthly partitions, lookbacks,
// symbols, exact prices, and UNAVAILABLE (quickly) while the server is down.
#include "libs/candles/pg_store.h"

#include "gtest/gtest.h"
#include "libs/candles/query.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/pg/pg.h"
#include "libs/store/migrations.h"
#include "libs/store/rows.h"
#include "libs/store/writer.h"
#include "tests/support/postgres_environment.h"

namespace vnstream::candles {
namespace {

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

absl::Time Local(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi),
                         market::VietnamTime());
}

class PgStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = testing::StartPostgres("pg").release();
    ASSERT_NE(server_, nullptr);
    auto conn = pg::Connection::Open({.dsn = server_->dsn()}, Deadline());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(store::Migrate(**conn, *store::Migrations(), Deadline()).ok());
    // FPT: every HOSE minute of 2019-05-30 .. 2019-06-04 (across a month
    // boundary), VNINDEX: daily bars with fractional points.
    store::Batch batch;
    int i = 0;
    for (absl::CivilDay day :
         {absl::CivilDay(2019, 5, 30), absl::CivilDay(2019, 5, 31),
          absl::CivilDay(2019, 6, 3), absl::CivilDay(2019, 6, 4)}) {
      for (absl::CivilMinute m : market::BarMinutes(v1::EXCHANGE_HOSE, day)) {
        store::MinuteRow row{
            .symbol = "FPT",
            .start = absl::FromCivil(m, market::VietnamTime())};
        row.bar = {market::MakeDecimal(45000 + i),
                   market::MakeDecimal(45100 + i),
                   market::MakeDecimal(44900 + i),
                   market::MakeDecimal(45050 + i), 100 + i};
        row.version = {store::Origin::kStream, 1, true};
        batch.AddMinute(row);
        ++i;
      }
      store::DailyRow index{.symbol = "VNINDEX", .date = day};
      index.bar = {market::MakeDecimal(958, 120000000),
                   market::MakeDecimal(960, 5), market::MakeDecimal(950, 1),
                   market::MakeDecimal(955, 999999999), 180000000};
      index.version = {store::Origin::kBackfill, 1, true};
      batch.AddDaily(index);
    }
    store::InstrumentRow instrument{
        .symbol = "VNINDEX", .type = v1::INSTRUMENT_TYPE_INDEX, .version = 1};
    batch.AddInstrument(instrument);
    store::PgWriter writer({.dsn = server_->dsn()}, "test");
    ASSERT_TRUE(writer.Write(batch, Deadline()).ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  PgStoreTest()
      : store_({.pool = {.connection = {.dsn = server_->reader_dsn(),
                                        .connect_timeout = absl::Seconds(2)},
                         .max_connections = 2},
                .chunk_rows = 100}) {}

  static postgres::LocalPostgres* server_;
  PgCandleStore store_;
};

postgres::LocalPostgres* PgStoreTest::server_ = nullptr;

TEST_F(PgStoreTest, ScansInChunksAcrossPartitionsInOrder) {
  std::vector<Bar> bars;
  int chunks = 0;
  ASSERT_TRUE(store_
                  .Scan(BarTable::kMinute, "FPT", Local(2019, 5, 31, 11, 0),
                        Local(2019, 6, 3, 10, 0), Deadline(),
                        [&](absl::Span<const Bar> chunk) {
                          ++chunks;
                          bars.insert(bars.end(), chunk.begin(), chunk.end());
                          return true;
                        })
                  .ok());
  // 11:00-11:29 (30) + 13:00-14:29 (90) + 14:45 (1) on May 31, then
  // 09:15-09:59 (45) on June 3.
  ASSERT_EQ(bars.size(), 166u);
  EXPECT_EQ(chunks, 2);
  EXPECT_EQ(bars.front().start, Local(2019, 5, 31, 11, 0));
  EXPECT_EQ(bars[120].start, Local(2019, 5, 31, 14, 45));
  EXPECT_EQ(bars.back().start, Local(2019, 6, 3, 9, 59));
  for (size_t i = 1; i < bars.size(); ++i) {
    ASSERT_LT(bars[i - 1].start, bars[i].start);
  }
  // Bar 226 + 105 of the data (May 31, 11:00) has i = 331.
  EXPECT_EQ(bars.front().open, int64_t{45000 + 331} * 1'000'000'000);
  EXPECT_EQ(bars.front().volume, 100 + 331);
  EXPECT_TRUE(bars.front().final);
  // Stopping early stops reading.
  int seen = 0;
  ASSERT_TRUE(store_
                  .Scan(BarTable::kMinute, "FPT", Local(2019, 5, 1),
                        Local(2019, 7, 1), Deadline(),
                        [&](absl::Span<const Bar> chunk) {
                          seen += static_cast<int>(chunk.size());
                          return false;
                        })
                  .ok());
  EXPECT_EQ(seen, 100);
}

TEST_F(PgStoreTest, DailyBarsBeforeAndTypes) {
  std::vector<Bar> days;
  ASSERT_TRUE(store_
                  .Scan(BarTable::kDaily, "VNINDEX", Local(2019, 5, 31),
                        Local(2019, 6, 4), Deadline(),
                        [&](absl::Span<const Bar> chunk) {
                          days.insert(days.end(), chunk.begin(), chunk.end());
                          return true;
                        })
                  .ok());
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].start, Local(2019, 5, 31));
  EXPECT_EQ(days[1].start, Local(2019, 6, 3));
  EXPECT_EQ(days[0].open, 958'120'000'000);
  EXPECT_EQ(days[0].high, 960'000'000'005);
  EXPECT_EQ(days[0].close, 955'999'999'999);
  absl::StatusOr<std::vector<Bar>> before = store_.Before(
      BarTable::kDaily, "VNINDEX", Local(2019, 6, 4), 2, Deadline());
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 2u);
  EXPECT_EQ((*before)[0].start, Local(2019, 5, 31));
  EXPECT_EQ((*before)[1].start, Local(2019, 6, 3));
  absl::StatusOr<std::vector<Bar>> minutes = store_.Before(
      BarTable::kMinute, "FPT", Local(2019, 6, 3, 9, 15), 3, Deadline());
  ASSERT_TRUE(minutes.ok());
  ASSERT_EQ(minutes->size(), 3u);
  EXPECT_EQ(minutes->back().start, Local(2019, 5, 31, 14, 45));
  EXPECT_EQ(*store_.InstrumentType("VNINDEX", Deadline()),
            std::optional(v1::INSTRUMENT_TYPE_INDEX));
  EXPECT_EQ(*store_.InstrumentType("FPT", Deadline()), std::nullopt);
  EXPECT_TRUE(*store_.HasBars("FPT", Deadline()));
  EXPECT_FALSE(*store_.HasBars("XYZ", Deadline()));
}

TEST_F(PgStoreTest, QueryOverPostgresAggregatesByTheSessions) {
  market::TradingCalendar calendar;
  CandleQuery query({}, store_, calendar);
  v1::GetCandlesRequest request;
  request.set_symbol("FPT");
  *request.mutable_start() = market::ToTimestamp(Local(2019, 5, 30));
  *request.mutable_end() = market::ToTimestamp(Local(2019, 6, 5));
  request.set_interval(v1::BAR_INTERVAL_ONE_HOUR);
  absl::StatusOr<v1::GetCandlesResponse> r =
      query.Run(request, absl::Now(), Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  // 09:00 10:00 11:00 | 13:00 14:00 per day.
  ASSERT_EQ(r->candles_size(), 4 * 5);
  const v1::Candle& last = r->candles(4);  // May 30, 14:00 + the auction
  EXPECT_EQ(market::FromTimestamp(last.start_time()),
            Local(2019, 5, 30, 14, 0));
  EXPECT_EQ(last.volume(), [] {
    int64_t v = 0;
    for (int i = 195; i < 226; ++i) v += 100 + i;  // 14:00..14:29, 14:45
    return v;
  }());
  EXPECT_EQ(last.close().units(), 45050 + 225);
  EXPECT_EQ(r->instrument_type(), v1::INSTRUMENT_TYPE_UNSPECIFIED);
}

TEST_F(PgStoreTest, DownIsUnavailableQuicklyAndBackIsServed) {
  std::unique_ptr<postgres::LocalPostgres> other =
      testing::StartPostgres("down");
  ASSERT_NE(other, nullptr);
  {
    auto conn = pg::Connection::Open({.dsn = other->dsn()}, Deadline());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(store::Migrate(**conn, *store::Migrations(), Deadline()).ok());
  }
  PgCandleStore store(
      {.pool = {.connection = {.dsn = other->reader_dsn(),
                               .connect_timeout = absl::Seconds(2)}}});
  ASSERT_TRUE(store.HasBars("FPT", Deadline()).ok());
  ASSERT_TRUE(other->Kill().ok());
  const absl::Time start = absl::Now();
  EXPECT_EQ(store.HasBars("FPT", Deadline()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  ASSERT_TRUE(other->Restart().ok());
  absl::StatusOr<bool> back = store.HasBars("FPT", Deadline());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(*back);
}

}  // namespace
}  // namespace vnstream::candles
