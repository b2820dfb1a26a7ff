#include "libs/pg/pg.h"

#include <optional>
#include <thread>

#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/postgres_environment.h"

namespace vnstream::pg {
namespace {

testing::PostgresEnvironment* env = nullptr;

absl::Time Deadline() { return absl::Now() + absl::Seconds(20); }

std::unique_ptr<Connection> Connect() {
  absl::StatusOr<std::unique_ptr<Connection>> conn =
      Connection::Open({.dsn = env->dsn()}, Deadline());
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? *std::move(conn) : nullptr;
}

TEST(PgTest, ParametersNullsAndTextResults) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  absl::StatusOr<Result> r =
      conn->Exec("SELECT $1::int8 + 1, $2::text IS NULL, $3::text, true",
                 {"41", std::nullopt, "Công ty Cổ phần FPT"}, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rows(), 1);
  EXPECT_EQ(r->Int64(0, 0), 42);
  EXPECT_TRUE(r->Bool(0, 1));
  EXPECT_EQ(r->Value(0, 2), "Công ty Cổ phần FPT");
  EXPECT_TRUE(r->Bool(0, 3));
}

TEST(PgTest, BinaryDecodersAreExact) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  absl::StatusOr<Result> r = conn->Exec(
      "SELECT 32600::numeric, 1234.567::numeric, (-0.000000001)::numeric, "
      "0::numeric, 123456789012.123456789::numeric, "
      "'2019-06-14 02:15:00+00'::timestamptz, '2019-06-14'::date, "
      "9000000000::int8, 7::int4, 0.1::float8, false, 1e-10::numeric",
      {}, Deadline(), Format::kBinary);
  ASSERT_TRUE(r.ok()) << r.status();
  auto nanos = [&](int column) {
    absl::StatusOr<__int128> n = binary::NumericNanos(r->Value(0, column));
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : __int128(-7);
  };
  EXPECT_TRUE(nanos(0) == __int128(32600) * 1'000'000'000);
  EXPECT_TRUE(nanos(1) == __int128(1'234'567'000'000));
  EXPECT_TRUE(nanos(2) == -1);
  EXPECT_TRUE(nanos(3) == 0);
  EXPECT_TRUE(nanos(4) == __int128(123456789012) * 1'000'000'000 + 123'456'789);
  EXPECT_EQ(binary::Timestamp(r->Value(0, 5)),
            absl::FromUnixSeconds(1560478500));
  EXPECT_EQ(binary::DaysSinceEpoch(r->Value(0, 6)), 1560470400 / 86400);
  EXPECT_EQ(binary::Int64(r->Value(0, 7)), 9'000'000'000);
  EXPECT_EQ(binary::Int32(r->Value(0, 8)), 7);
  EXPECT_EQ(binary::Float64(r->Value(0, 9)), 0.1);
  EXPECT_FALSE(binary::Bool(r->Value(0, 10)));
  EXPECT_EQ(binary::NumericNanos(r->Value(0, 11)).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "more than 9 fractional digits is refused, not rounded";
}

TEST(PgTest, CopyInAndScripts) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Script("DROP TABLE IF EXISTS c; CREATE TABLE c (k text "
                           "PRIMARY KEY, v numeric)",
                           Deadline())
                  .ok());
  std::string data;
  for (int i = 0; i < 100000; ++i) {
    absl::StrAppend(&data, "k", i, "\t", i, ".5\n");
  }
  absl::StatusOr<int64_t> copied =
      conn->CopyIn("COPY c (k, v) FROM STDIN", data, Deadline());
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(*copied, 100000);
  absl::StatusOr<Result> sum = conn->Exec("SELECT sum(v) FROM c", Deadline());
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->Value(0, 0), "5000000000.0");
  // A bad row fails the whole COPY with the data error; the connection
  // stays usable.
  absl::StatusOr<int64_t> bad =
      conn->CopyIn("COPY c (k, v) FROM STDIN", "x\tnot-a-number\n", Deadline());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument)
      << bad.status();
  EXPECT_EQ(SqlState(bad.status()), "22P02");
  EXPECT_FALSE(conn->broken());
  absl::Status duplicate =
      conn->Script("INSERT INTO c VALUES ('k1', 1)", Deadline());
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SqlState(duplicate), "23505");
  absl::Status syntax = conn->Script("SELEC 1", Deadline());
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(SqlState(syntax), "42601");
}

TEST(PgTest, TransactionsCommitOrRollBack) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Script("DROP TABLE IF EXISTS tx; CREATE TABLE tx (x int)",
                           Deadline())
                  .ok());
  EXPECT_TRUE(conn->Transaction(Deadline(),
                                [&] {
                                  return conn->Script(
                                      "INSERT INTO tx VALUES (1)", Deadline());
                                })
                  .ok());
  EXPECT_EQ(conn->Transaction(Deadline(),
                              [&] {
                                (void)conn->Script("INSERT INTO tx VALUES (2)",
                                                   Deadline());
                                return absl::AbortedError("changed my mind");
                              })
                .code(),
            absl::StatusCode::kAborted);
  absl::StatusOr<Result> r = conn->Exec("SELECT count(*) FROM tx", Deadline());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Int64(0, 0), 1);
}

TEST(PgTest, DeadlinesBoundCallsAndBreakTheConnection) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  const absl::Time start = absl::Now();
  absl::StatusOr<Result> r =
      conn->Exec("SELECT pg_sleep(30)", absl::Now() + absl::Milliseconds(300));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(conn->broken());
  // The server enforces statement_timeout on its side.
  absl::StatusOr<std::unique_ptr<Connection>> limited = Connection::Open(
      {.dsn = env->dsn(), .statement_timeout = absl::Milliseconds(200)},
      Deadline());
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ((*limited)->Exec("SELECT pg_sleep(30)", Deadline()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(
      SqlState((*limited)->Exec("SELECT pg_sleep(30)", Deadline()).status()),
      "57014");
}

TEST(PgTest, PoolBoundsConnectionsAndWaitsForOne) {
  Pool pool({.connection = {.dsn = env->dsn()}, .max_connections = 2});
  absl::StatusOr<Pool::Lease> a = pool.Acquire(Deadline());
  absl::StatusOr<Pool::Lease> b = pool.Acquire(Deadline());
  ASSERT_TRUE(a.ok() && b.ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<Pool::Lease> c =
      pool.Acquire(absl::Now() + absl::Milliseconds(200));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_EQ(pool.open_connections(), 2);
  // A returned connection is handed to the next waiter.
  std::optional<Pool::Lease> held(std::move(*a));
  std::thread release([&] {
    absl::SleepFor(absl::Milliseconds(100));
    held.reset();
  });
  absl::StatusOr<Pool::Lease> d = pool.Acquire(Deadline());
  EXPECT_TRUE(d.ok()) << d.status();
  release.join();
  EXPECT_EQ(pool.open_connections(), 2);
}

TEST(PgTest, PoolSurvivesAServerRestartAndFailsFastWhileItIsDown) {
  std::unique_ptr<postgres::LocalPostgres> server =
      testing::StartPostgres("pool-restart");
  ASSERT_NE(server, nullptr);
  Pool pool({.connection = {.dsn = server->dsn(),
                            .connect_timeout = absl::Seconds(2)},
             .max_connections = 1});
  {
    absl::StatusOr<Pool::Lease> lease = pool.Acquire(Deadline());
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE((*lease)->Exec("SELECT 1", Deadline()).ok());
  }
  ASSERT_TRUE(server->Kill().ok());
  // Down: UNAVAILABLE, quickly (from Acquire, or from the first statement
  // when the idle connection's end had not reached us yet).
  const absl::Time start = absl::Now();
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<Pool::Lease> down = pool.Acquire(Deadline());
    const absl::Status status =
        down.ok() ? (*down)->Exec("SELECT 1", Deadline()).status()
                  : down.status();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_TRUE(server->Restart().ok());
  // The idle connection died with the old server; the pool opens a new one.
  absl::StatusOr<Pool::Lease> lease = pool.Acquire(Deadline());
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_TRUE((*lease)->Exec("SELECT 1", Deadline()).ok());
}

}  // namespace
}  // namespace vnstream::pg

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::pg::env = vnstream::testing::PostgresEnvironment::Install();
  return RUN_ALL_TESTS();
}
