#include "tests/support/kafka_environment.h"

#include <cstdlib>

namespace vnstream::testing {

KafkaEnvironment* KafkaEnvironment::Install(int brokers) {
  auto* env = new KafkaEnvironment(brokers);
  ::testing::AddGlobalTestEnvironment(env);
  return env;
}

void KafkaEnvironment::SetUp() {
  absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> kafka =
      kafka::LocalKafka::Start(
          {.work_dir = TestTempPath("kafka"),
           .brokers = brokers_,
           // Three JVMs start at once; CI runs two tests in parallel.
           .startup_timeout = absl::Seconds(brokers_ > 1 ? 240 : 120)});
  ASSERT_TRUE(kafka.ok()) << kafka.status();
  kafka_ = std::move(*kafka);
}

void KafkaEnvironment::TearDown() {
  if (kafka_ != nullptr) {
    EXPECT_TRUE(kafka_->Stop().ok());
    kafka_.reset();
  }
}

const std::string& KafkaEnvironment::bootstrap_servers() const {
  return kafka_->bootstrap_servers();
}

std::string TestTempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

}  // namespace vnstream::testing
