// The schema and the writer against a real PostgreSQL: migrations on an
// empty and on a previous-version database, and which row wins.
#include <thread>

#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/pg/pg.h"
#include "libs/store/migrations.h"
#include "libs/store/rows.h"
#include "libs/store/writer.h"
#include "tests/support/postgres_environment.h"

namespace vnstream::store {
namespace {

testing::PostgresEnvironment* env = nullptr;

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

// A new empty database owned by the owner role; its DSN.
std::string NewDatabase(const std::string& name) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> admin =
      pg::Connection::Open({.dsn = env->server().superuser_dsn()}, Deadline());
  EXPECT_TRUE(admin.ok()) << admin.status();
  EXPECT_TRUE(
      (*admin)
          ->Script("CREATE DATABASE " + name + " OWNER vnstream", Deadline())
          .ok());
  const std::string dsn = env->dsn();
  return dsn.substr(0, dsn.rfind('/') + 1) + name;
}

std::unique_ptr<pg::Connection> Connect(const std::string& dsn) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open({.dsn = dsn}, Deadline());
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? *std::move(conn) : nullptr;
}

std::vector<Migration> AllMigrations() {
  absl::StatusOr<std::vector<Migration>> migrations = Migrations();
  EXPECT_TRUE(migrations.ok()) << migrations.status();
  return migrations.ok() ? *migrations : std::vector<Migration>{};
}

// The only value of a one-row, one-column query, as text.
std::string Query(pg::Connection& conn, const std::string& sql) {
  absl::StatusOr<pg::Result> r = conn.Exec(sql, Deadline());
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
  if (!r.ok() || r->rows() != 1) return "<" + std::to_string(r->rows()) + ">";
  return r->IsNull(0, 0) ? "NULL" : std::string(r->Value(0, 0));
}

TEST(MigrationsTest, EmbeddedFilesAreConsecutive) {
  std::vector<Migration> migrations = AllMigrations();
  ASSERT_GE(migrations.size(), 2u);
  EXPECT_EQ(migrations[0].name, "0001_init.sql");
  EXPECT_EQ(migrations[1].version, 2);
}

TEST(MigrationsTest, EmptyDatabaseGetsEverySchemaVersionOnce) {
  auto conn = Connect(NewDatabase("empty_db"));
  ASSERT_NE(conn, nullptr);
  const std::vector<Migration> all = AllMigrations();
  absl::StatusOr<int> version = Migrate(*conn, all, Deadline());
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, all.back().version);
  EXPECT_EQ(Query(*conn, "SELECT count(*) FROM schema_migrations"),
            std::to_string(all.size()));
  for (const char* table :
       {"kafka_offsets", "instruments", "daily_bars", "minute_bars",
        "indicator_params", "daily_indicators", "backfill_progress"}) {
    EXPECT_EQ(Query(*conn, absl::StrCat("SELECT to_regclass('", table,
                                        "') IS NOT NULL")),
              "t")
        << table;
  }
  EXPECT_EQ(Query(*conn,
                  "SELECT partstrat FROM pg_partitioned_table WHERE partrelid "
                  "= 'minute_bars'::regclass"),
            "r");
  // The gateway's read-only role reads every table, also those created
  // after the migrations (default privileges are per database, so this
  // new database has only what the migrations granted).
  ASSERT_TRUE(conn->Script("CREATE TABLE later (x int)", Deadline()).ok());
  for (const char* table : {"daily_bars", "minute_bars", "instruments",
                            "daily_indicators", "later"}) {
    EXPECT_EQ(Query(*conn, absl::StrCat("SELECT has_table_privilege("
                                        "'vnstream_reader', '",
                                        table, "', 'SELECT')")),
              "t")
        << table;
  }
  EXPECT_EQ(Query(*conn,
                  "SELECT has_table_privilege('vnstream_reader', "
                  "'daily_bars', 'INSERT')"),
            "f");
  // Again: nothing to do.
  version = Migrate(*conn, all, Deadline());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, all.back().version);
  EXPECT_EQ(Query(*conn, "SELECT count(*) FROM schema_migrations"),
            std::to_string(all.size()));
}

TEST(MigrationsTest, PreviousVersionIsUpgradedKeepingItsData) {
  const std::string dsn = NewDatabase("previous_db");
  auto conn = Connect(dsn);
  ASSERT_NE(conn, nullptr);
  const std::vector<Migration> all = AllMigrations();
  absl::StatusOr<int> v1 = Migrate(*conn, {all.data(), 1}, Deadline());
  ASSERT_TRUE(v1.ok()) << v1.status();
  ASSERT_EQ(*v1, 1);
  EXPECT_EQ(Query(*conn, "SELECT to_regclass('backfill_progress') IS NULL"),
            "t");
  // Data written by the version-1 schema (through the writer).
  PgWriter writer({.dsn = dsn}, "test");
  Batch batch;
  DailyRow row{.symbol = "FPT", .date = absl::CivilDay(2019, 6, 14)};
  row.bar = {market::MakeDecimal(45000), market::MakeDecimal(45500),
             market::MakeDecimal(44800), market::MakeDecimal(45300), 1234500};
  row.version = {Origin::kStream, 7, true};
  batch.AddDaily(row);
  batch.SetOffset("stock-historical", 0, 8);
  ASSERT_TRUE(writer.Write(batch, Deadline()).ok());

  absl::StatusOr<int> latest = Migrate(*conn, all, Deadline());
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(*latest, all.back().version);
  EXPECT_EQ(Query(*conn,
                  "SELECT close || ' ' || volume || ' ' || version FROM "
                  "daily_bars WHERE symbol = 'FPT'"),
            "45300 1234500 7");
  EXPECT_EQ(Query(*conn, "SELECT next_offset FROM kafka_offsets"), "8");
  EXPECT_EQ(Query(*conn, "SELECT count(*) FROM backfill_progress"), "0");
}

TEST(MigrationsTest, AChangedAppliedMigrationIsRefused) {
  auto conn = Connect(NewDatabase("changed_db"));
  ASSERT_NE(conn, nullptr);
  std::vector<Migration> all = AllMigrations();
  ASSERT_TRUE(Migrate(*conn, all, Deadline()).ok());
  all[0].sql += "\n-- edited afterwards\n";
  EXPECT_EQ(Migrate(*conn, all, Deadline()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MigrationsTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  const std::string dsn = NewDatabase("concurrent_db");
  const std::vector<Migration> all = AllMigrations();
  std::vector<absl::StatusOr<int>> results(3, absl::UnknownError(""));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto conn = Connect(dsn);
      if (conn != nullptr) results[i] = Migrate(*conn, all, Deadline());
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::StatusOr<int>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, all.back().version);
  }
  auto conn = Connect(dsn);
  EXPECT_EQ(Query(*conn, "SELECT count(*) FROM schema_migrations"),
            std::to_string(all.size()));
}

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = absl::StrCat(
        "writer_", ::testing::UnitTest::GetInstance()->random_seed(), "_",
        ++counter_);
    dsn_ = NewDatabase(name);
    conn_ = Connect(dsn_);
    ASSERT_NE(conn_, nullptr);
    ASSERT_TRUE(Migrate(*conn_, AllMigrations(), Deadline()).ok());
    writer_ = std::make_unique<PgWriter>(pg::ConnectionOptions{.dsn = dsn_},
                                         "store-test");
  }

  static MinuteRow Minute(const std::string& symbol, absl::Time start,
                          int64_t close, BarVersion version) {
    MinuteRow row{.symbol = symbol, .start = start};
    row.bar = {market::MakeDecimal(close), market::MakeDecimal(close + 100),
               market::MakeDecimal(close - 100), market::MakeDecimal(close),
               1000};
    row.version = version;
    return row;
  }

  WriteCounts Write(const Batch& batch) {
    absl::StatusOr<WriteCounts> counts = writer_->Write(batch, Deadline());
    EXPECT_TRUE(counts.ok()) << counts.status();
    return counts.ok() ? *counts : WriteCounts{-1, -1, -1, -1};
  }

  std::string MinuteClose(const std::string& symbol, absl::Time start) {
    return Query(*conn_, absl::StrCat("SELECT close || ' ' || origin || ' ' "
                                      "|| version || ' ' || final FROM "
                                      "minute_bars WHERE symbol = '",
                                      symbol, "' AND start_time = '",
                                      absl::FormatTime(start), "'"));
  }

  static int counter_;
  std::string dsn_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<PgWriter> writer_;
};

int WriterTest::counter_ = 0;

const absl::Time kTen = absl::FromCivil(absl::CivilMinute(2019, 6, 14, 10, 0),
                                        market::VietnamTime());

TEST_F(WriterTest, RevisionsUpdateInPlaceAndNeverGoBackwards) {
  Batch first;
  first.AddMinute(Minute("FPT", kTen, 45000, {Origin::kStream, 1, false}));
  first.SetOffset("stock-intraday", 2, 11);
  EXPECT_EQ(Write(first).minutes, 1);
  EXPECT_EQ(MinuteClose("FPT", kTen), "45000 stream 1 false");

  Batch revision;
  revision.AddMinute(Minute("FPT", kTen, 45100, {Origin::kStream, 2, true}));
  revision.SetOffset("stock-intraday", 2, 12);
  EXPECT_EQ(Write(revision).minutes, 1);
  EXPECT_EQ(MinuteClose("FPT", kTen), "45100 stream 2 true");

  // The first batch again (a replay): nothing changes, offsets stay.
  EXPECT_EQ(Write(first).minutes, 0);
  EXPECT_EQ(MinuteClose("FPT", kTen), "45100 stream 2 true");
  absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> offsets =
      writer_->Offsets(Deadline());
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->at({"stock-intraday", 2}), 12);
  EXPECT_EQ(Query(*conn_, "SELECT count(*) FROM minute_bars"), "1");
}

TEST_F(WriterTest, BackfillAndStreamFollowTheRule) {
  const absl::Time t1 = kTen;
  const absl::Time t2 = kTen + absl::Minutes(1);
  const absl::Time t3 = kTen + absl::Minutes(2);
  Batch streamed;
  streamed.AddMinute(Minute("VCB", t1, 70000, {Origin::kStream, 5, true}));
  streamed.AddMinute(Minute("VCB", t2, 70100, {Origin::kStream, 6, false}));
  Write(streamed);
  Batch backfill;
  for (absl::Time t : {t1, t2, t3}) {
    backfill.AddMinute(
        Minute("VCB", t, 69000, {Origin::kBackfill, 1'560'000'000'000, true}));
  }
  EXPECT_EQ(Write(backfill).minutes, 2) << "t2 (unfinished) and t3 (new)";
  EXPECT_EQ(MinuteClose("VCB", t1), "70000 stream 5 true");
  EXPECT_EQ(MinuteClose("VCB", t2), "69000 backfill 1560000000000 true");
  EXPECT_EQ(MinuteClose("VCB", t3), "69000 backfill 1560000000000 true");
  Batch later;
  later.AddMinute(Minute("VCB", t3, 69500, {Origin::kStream, 1, false}));
  later.AddMinute(Minute("VCB", t2, 69900, {Origin::kStream, 7, true}));
  EXPECT_EQ(Write(later).minutes, 1) << "only the final streamed bar wins";
  EXPECT_EQ(MinuteClose("VCB", t2), "69900 stream 7 true");
  EXPECT_EQ(MinuteClose("VCB", t3), "69000 backfill 1560000000000 true");
}

TEST_F(WriterTest, MonthlyPartitionsAreCreatedAndDroppedByRetention) {
  Batch batch;
  const absl::Time june = kTen;
  const absl::Time august = kTen + absl::Hours(24 * 60);
  // The first minute of July in Vietnam is still June 30 in UTC.
  const absl::Time july_first_local = absl::FromCivil(
      absl::CivilMinute(2019, 7, 1, 0, 0), market::VietnamTime());
  batch.AddMinute(Minute("HPG", june, 100, {Origin::kStream, 1, true}));
  batch.AddMinute(
      Minute("HPG", july_first_local, 100, {Origin::kBackfill, 1, true}));
  batch.AddMinute(Minute("HPG", august, 100, {Origin::kStream, 1, true}));
  EXPECT_EQ(Write(batch).minutes, 3);
  EXPECT_EQ(Query(*conn_, "SELECT count(*) FROM minute_bars_p201907"), "1");
  EXPECT_EQ(Query(*conn_, "SELECT count(*) FROM minute_bars_p201906"), "1");
  ASSERT_TRUE(writer_
                  ->EnsurePartitions(absl::CivilMonth(2019, 9),
                                     absl::CivilMonth(2019, 11), Deadline())
                  .ok());
  EXPECT_EQ(Query(*conn_,
                  "SELECT count(*) FROM pg_inherits WHERE inhparent = "
                  "'minute_bars'::regclass"),
            "6");
  absl::StatusOr<std::vector<std::string>> dropped =
      writer_->DropPartitionsBefore(absl::CivilMonth(2019, 8), Deadline());
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, (std::vector<std::string>{"minute_bars_p201906",
                                                "minute_bars_p201907"}));
  EXPECT_EQ(Query(*conn_, "SELECT count(*) FROM minute_bars"), "1");
}

TEST_F(WriterTest, IndicatorsInstrumentsAndDailyBars) {
  Batch batch;
  v1::IndicatorParams params;
  params.set_sma_short_period(20);
  params.set_bbands_stddev(2.0);
  IndicatorRow indicator{.symbol = "FPT", .date = absl::CivilDay(2019, 6, 14)};
  indicator.values.set_sma_short(45123.456789012345);
  indicator.values.set_rsi(0.1 + 0.2);
  indicator.version = 3;
  batch.AddIndicator(indicator, params);
  InstrumentRow instrument{.symbol = "FPT",
                           .type = v1::INSTRUMENT_TYPE_STOCK,
                           .exchange = v1::EXCHANGE_HOSE,
                           .name = "Công ty Cổ phần FPT\t\\ \"x\"",
                           .en_name = "FPT Corporation",
                           .groups = {"VN30", "VN100"},
                           .listed = true,
                           .version = 1};
  batch.AddInstrument(instrument);
  DailyRow day{.symbol = "VNINDEX", .date = absl::CivilDay(2019, 6, 14)};
  day.bar = {market::MakeDecimal(958, 120000000), market::MakeDecimal(960, 5),
             market::MakeDecimal(950, 999999999), market::MakeDecimal(955, 5),
             180000000};
  day.version = {Origin::kBackfill, 42, true};
  batch.AddDaily(day);
  const WriteCounts counts = Write(batch);
  EXPECT_EQ(counts.indicators, 1);
  EXPECT_EQ(counts.instruments, 1);
  EXPECT_EQ(counts.daily, 1);
  EXPECT_EQ(Query(*conn_,
                  "SELECT sma_short = 45123.456789012345::float8 AND rsi = "
                  "(0.1::float8 + 0.2::float8) AND sma_long IS NULL FROM "
                  "daily_indicators"),
            "t")
      << "doubles are stored exactly";
  EXPECT_EQ(Query(*conn_,
                  "SELECT params->>'sma_short_period' FROM "
                  "indicator_params"),
            "20");
  EXPECT_EQ(Query(*conn_, "SELECT name FROM instruments"),
            "Công ty Cổ phần FPT\t\\ \"x\"");
  EXPECT_EQ(Query(*conn_,
                  "SELECT groups[2] || type || exchange FROM "
                  "instruments"),
            "VN100STOCKHOSE");
  EXPECT_EQ(Query(*conn_,
                  "SELECT open || ' ' || high || ' ' || low FROM "
                  "daily_bars"),
            "958.12 960.000000005 950.999999999");
  // A second writer (a new connection) reuses the parameter set.
  PgWriter again({.dsn = dsn_}, "store-test");
  indicator.version = 4;
  Batch next;
  next.AddIndicator(indicator, params);
  ASSERT_TRUE(again.Write(next, Deadline()).ok());
  EXPECT_EQ(Query(*conn_, "SELECT count(*) FROM indicator_params"), "1");
  EXPECT_EQ(Query(*conn_, "SELECT version FROM daily_indicators"), "4");
}

TEST_F(WriterTest, ABadRowFailsTheWholeBatchAndLeavesNothing) {
  Batch batch;
  batch.AddMinute(Minute("FPT", kTen, 45000, {Origin::kStream, 1, true}));
  batch.SetOffset("stock-intraday", 0, 5);
  // Text PostgreSQL refuses (a NUL byte), after the minute rows went in.
  batch.AddInstrument({.symbol = std::string("A\0B", 3), .version = 1});
  absl::StatusOr<WriteCounts> counts = writer_->Write(batch, Deadline());
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument)
      << counts.status();
  EXPECT_EQ(Query(*conn_, "SELECT count(*) FROM minute_bars"), "0");
  EXPECT_EQ(Query(*conn_, "SELECT count(*) FROM kafka_offsets"), "0");
  // The writer recovers for the next batch.
  Batch good;
  good.AddMinute(Minute("FPT", kTen, 45000, {Origin::kStream, 1, true}));
  EXPECT_EQ(Write(good).minutes, 1);
}

}  // namespace
}  // namespace vnstream::store

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::store::env = vnstream::testing::PostgresEnvironment::Install();
  return RUN_ALL_TESTS();
}
