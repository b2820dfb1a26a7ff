#include "tests/support/kafka_environment.h"

#include <cstdlib>

namespace vnstream::testing {

KafkaEnvironment* KafkaEnvironment::Install(
    int brokers, std::optional<kafka::KafkaSecurity> security) {
  auto* env = new KafkaEnvironment(brokers);
  env->security_ = std::move(security);
  ::testing::AddGlobalTestEnvironment(env);
  return env;
}

void KafkaEnvironment::SetUp() {
  absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> kafka =
      kafka::LocalKafka::Start(
          {.work_dir = TestTempPath("kafka"),
           .brokers = brokers_,
           // Three JVMs start at once (CI runs two tests in parallel); TLS
           // and SASL make a start slower too.
           .startup_timeout =
               absl::Seconds(brokers_ > 1 || security_.has_value() ? 240 : 120),
           .security = security_});
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

std::vector<std::string> KafkaEnvironment::LoginFlags(
    const std::string& user) const {
  if (!kafka_->secure()) return {};
  return {"--kafka_ca_file=" + kafka_->ca_file(),
          "--kafka_sasl_username=" + user,
          "--kafka_sasl_password_file=" + kafka_->PasswordFile(user)};
}

std::string TestTempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

}  // namespace vnstream::testing
