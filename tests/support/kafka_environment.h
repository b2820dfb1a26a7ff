// A real Kafka broker for a whole test binary:
//
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     auto* kafka = vnstream::testing::KafkaEnvironment::Install();
//     return RUN_ALL_TESTS();
//   }
//   ... kafka->bootstrap_servers() in tests.
//
// The broker runs in $TEST_TMPDIR and is stopped after the last test; it is
// SIGKILLed by the kernel if the test binary crashes.
#ifndef VNSTREAM_TESTS_SUPPORT_KAFKA_ENVIRONMENT_H_
#define VNSTREAM_TESTS_SUPPORT_KAFKA_ENVIRONMENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/kafka/local_kafka.h"

namespace vnstream::testing {

class KafkaEnvironment : public ::testing::Environment {
 public:
  // Registers the environment with gtest (which owns it). With `security`,
  // the broker runs SASL_SSL with the service users (LoginFlags).
  static KafkaEnvironment* Install(
      std::optional<kafka::KafkaSecurity> security = std::nullopt);

  void SetUp() override;
  void TearDown() override;

  const std::string& bootstrap_servers() const;
  kafka::LocalKafka& broker() { return *kafka_; }
  // The flags that log a service in as `user` (SASL_SSL; none for a
  // plaintext broker).
  std::vector<std::string> LoginFlags(const std::string& user) const;

 private:
  std::optional<kafka::KafkaSecurity> security_;
  std::unique_ptr<kafka::LocalKafka> kafka_;
};

// $TEST_TMPDIR (or /tmp) joined with `name`.
std::string TestTempPath(const std::string& name);

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_KAFKA_ENVIRONMENT_H_
