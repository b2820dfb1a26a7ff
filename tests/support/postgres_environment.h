// A real PostgreSQL 15 server for tests (tools/postgres), in $TEST_TMPDIR
// on a free port, stopped when the test (or binary) is done and killed by
// the kernel if the test binary crashes.
//
// One per test:
//   std::unique_ptr<postgres::LocalPostgres> pg = StartPostgres("sink");
//   ... pg->dsn(), pg->Kill(), pg->Restart() (same data, same port) ...
//
// One for the whole binary:
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     auto* pg = vnstream::testing::PostgresEnvironment::Install();
//     return RUN_ALL_TESTS();
//   }
#ifndef VNSTREAM_TESTS_SUPPORT_POSTGRES_ENVIRONMENT_H_
#define VNSTREAM_TESTS_SUPPORT_POSTGRES_ENVIRONMENT_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tools/postgres/local_postgres.h"

namespace vnstream::testing {

// Starts a server in $TEST_TMPDIR/<name> (a fresh cluster unless the
// directory already holds one). Fails the current test (and returns null)
// when it cannot.
std::unique_ptr<postgres::LocalPostgres> StartPostgres(const std::string& name);

class PostgresEnvironment : public ::testing::Environment {
 public:
  // Registers the environment with gtest (which owns it).
  static PostgresEnvironment* Install();

  void SetUp() override;
  void TearDown() override;

  postgres::LocalPostgres& server() { return *server_; }
  std::string dsn() const { return server_->dsn(); }

 private:
  std::unique_ptr<postgres::LocalPostgres> server_;
};

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_POSTGRES_ENVIRONMENT_H_
