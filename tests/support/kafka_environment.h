// A real Kafka broker (or a 3-broker cluster) for a whole test binary:
//
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     auto* kafka = vnstream::testing::KafkaEnvironment::Install();
//     return RUN_ALL_TESTS();
//   }
//   ... kafka->bootstrap_servers() in tests.
//
// Install(3) starts three broker+controller nodes with the topics
// replicated 3 times (min.insync.replicas=2); chaos tests find a
// partition's leader (kafka::PartitionLeader) and kill, restart, pause and
// resume single brokers through broker() (tools/kafka/local_kafka.h).
//
// The brokers run in $TEST_TMPDIR and are stopped after the last test; they
// are SIGKILLed by the kernel if the test binary crashes.
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
  // Registers the environment with gtest (which owns it); `brokers` nodes.
  // With `security`, the brokers run SASL_SSL with the service users
  // (LoginFlags).
  static KafkaEnvironment* Install(
      int brokers = 1,
      std::optional<kafka::KafkaSecurity> security = std::nullopt);

  void SetUp() override;
  void TearDown() override;

  const std::string& bootstrap_servers() const;
  // The broker or cluster: ports, logs, and the faults of chaos tests.
  kafka::LocalKafka& broker() { return *kafka_; }
  // The flags that log a service in as `user` (SASL_SSL; none for a
  // plaintext broker).
  std::vector<std::string> LoginFlags(const std::string& user) const;

 private:
  explicit KafkaEnvironment(int brokers) : brokers_(brokers) {}

  const int brokers_;
  std::optional<kafka::KafkaSecurity> security_;
  std::unique_ptr<kafka::LocalKafka> kafka_;
};

// $TEST_TMPDIR (or /tmp) joined with `name`.
std::string TestTempPath(const std::string& name);

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_KAFKA_ENVIRONMENT_H_
