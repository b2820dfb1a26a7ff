#include "tests/support/postgres_environment.h"

#include "tests/support/kafka_environment.h"

namespace vnstream::testing {

std::unique_ptr<postgres::LocalPostgres> StartPostgres(
    const std::string& name) {
  absl::StatusOr<std::unique_ptr<postgres::LocalPostgres>> server =
      postgres::LocalPostgres::Start({.work_dir = TestTempPath(name)});
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

PostgresEnvironment* PostgresEnvironment::Install() {
  auto* env = new PostgresEnvironment();
  ::testing::AddGlobalTestEnvironment(env);
  return env;
}

void PostgresEnvironment::SetUp() {
  server_ = StartPostgres("postgres");
  ASSERT_NE(server_, nullptr);
}

void PostgresEnvironment::TearDown() {
  if (server_ != nullptr) {
    EXPECT_TRUE(server_->Stop().ok());
    server_.reset();
  }
}

}  // namespace vnstream::testing
