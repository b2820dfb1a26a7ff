#include "tools/postgres/local_postgres.h"

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/pg/pg.h"
#include "tests/support/service_process.h"

namespace vnstream::postgres {
namespace {

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(20); }

std::unique_ptr<pg::Connection> Connect(const std::string& dsn) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open({.dsn = dsn}, Deadline());
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? *std::move(conn) : nullptr;
}

int64_t Count(pg::Connection& conn, const std::string& table) {
  absl::StatusOr<pg::Result> r =
      conn.Exec("SELECT count(*) FROM " + table, Deadline());
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->Int64(0, 0) : -1;
}

TEST(LocalPostgresTest, RolesPrivilegesAndRestartOnTheSameData) {
  const std::string dir = TestDir("roles");
  absl::StatusOr<std::unique_ptr<LocalPostgres>> server =
      LocalPostgres::Start({.work_dir = dir});
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  {
    auto owner = Connect((*server)->dsn());
    ASSERT_NE(owner, nullptr);
    ASSERT_TRUE(owner
                    ->Script("CREATE TABLE t (x int); INSERT INTO t VALUES "
                             "(1), (2), (3)",
                             Deadline())
                    .ok());
    auto reader = Connect((*server)->reader_dsn());
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(Count(*reader, "t"), 3) << "the reader sees the owner's tables";
    absl::Status write = reader->Script("INSERT INTO t VALUES (4)", Deadline());
    EXPECT_EQ(pg::SqlState(write), "42501") << write;  // insufficient_privilege
  }
  // Passwords are required: a wrong one is refused.
  std::string wrong = (*server)->dsn();
  wrong.replace(wrong.find(':', 12) + 1, 4, "xxxx");
  EXPECT_EQ(pg::Connection::Open({.dsn = wrong}, Deadline()).status().code(),
            absl::StatusCode::kUnavailable);
  // The DSN files are private.
  const auto perms =
      std::filesystem::status(std::filesystem::path(dir) / "dsn").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_read,
            std::filesystem::perms::none);

  ASSERT_TRUE((*server)->Stop().ok());
  server->reset();
  // Same directory and port again: the data and the passwords survive.
  absl::StatusOr<std::unique_ptr<LocalPostgres>> again =
      LocalPostgres::Start({.work_dir = dir, .port = port});
  ASSERT_TRUE(again.ok()) << again.status();
  auto owner = Connect((*again)->dsn());
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(Count(*owner, "t"), 3);
}

TEST(LocalPostgresTest, RecoversCommittedDataAfterKill9) {
  absl::StatusOr<std::unique_ptr<LocalPostgres>> server =
      LocalPostgres::Start({.work_dir = TestDir("kill9")});
  ASSERT_TRUE(server.ok()) << server.status();
  LocalPostgres& pg = **server;
  {
    auto conn = Connect(pg.dsn());
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(conn->Script("CREATE TABLE t (x int)", Deadline()).ok());
    ASSERT_TRUE(conn->Script("INSERT INTO t SELECT generate_series(1, 1000)",
                             Deadline())
                    .ok());
    // An open transaction at the time of the crash is lost, as it must be.
    ASSERT_TRUE(
        conn->Script("BEGIN; INSERT INTO t VALUES (-1)", Deadline()).ok());
    const pid_t pid = pg.pid();
    ASSERT_TRUE(pg.Kill().ok());
    EXPECT_NE(::kill(pid, 0), 0) << "postmaster still alive";
    EXPECT_EQ(conn->Exec("SELECT 1", Deadline()).status().code(),
              absl::StatusCode::kUnavailable);
  }
  ASSERT_TRUE(pg.Restart().ok());
  auto conn = Connect(pg.dsn());
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(Count(*conn, "t"), 1000);
}

TEST(LocalPostgresTest, CommandLineStartsADaemonThatStopStops) {
  const std::string dir = TestDir("cli");
  const std::string binary =
      testing::Runfile("tools/postgres/vnstream-postgres");
  const std::string log = dir + ".log";
  absl::StatusOr<std::unique_ptr<Subprocess>> start = Subprocess::Start(
      {.argv = {binary, "start", "--dir=" + dir}, .log_path = log});
  ASSERT_TRUE(start.ok()) << start.status();
  absl::StatusOr<int> status = (*start)->Wait(absl::Seconds(90));
  ASSERT_TRUE(status.ok() && *status == 0) << std::ifstream(log).rdbuf();
  std::ifstream dsn_file(dir + "/dsn");
  std::string dsn;
  std::getline(dsn_file, dsn);
  {
    auto conn = Connect(dsn);
    ASSERT_NE(conn, nullptr) << "the daemon outlives its start command";
    EXPECT_EQ(Count(*conn, "pg_tables WHERE schemaname = 'public'"), 0);
  }
  absl::StatusOr<std::unique_ptr<Subprocess>> stop = Subprocess::Start(
      {.argv = {binary, "stop", "--dir=" + dir}, .log_path = log});
  ASSERT_TRUE(stop.ok());
  status = (*stop)->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.ok() && *status == 0) << std::ifstream(log).rdbuf();
  EXPECT_EQ(pg::Connection::Open({.dsn = dsn}, Deadline()).status().code(),
            absl::StatusCode::kUnavailable);
  // Stopping again is fine.
  EXPECT_TRUE(LocalPostgres::StopDetached(dir).ok());
}

TEST(LocalPostgresTest, MissingBinariesIsAClearError) {
  absl::StatusOr<std::unique_ptr<LocalPostgres>> server = LocalPostgres::Start(
      {.bin_dir = TestDir("no-postgres-here"), .work_dir = TestDir("unused")});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace vnstream::postgres
