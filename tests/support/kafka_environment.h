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
#include <string>

#include "gtest/gtest.h"
#include "tools/kafka/local_kafka.h"

namespace vnstream::testing {

class KafkaEnvironment : public ::testing::Environment {
 public:
  // Registers the environment with gtest (which owns it).
  static KafkaEnvironment* Install();

  void SetUp() override;
  void TearDown() override;

  const std::string& bootstrap_servers() const;
  kafka::LocalKafka& broker() { return *kafka_; }

 private:
  std::unique_ptr<kafka::LocalKafka> kafka_;
};

// $TEST_TMPDIR (or /tmp) joined with `name`.
std::string TestTempPath(const std::string& name);

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_KAFKA_ENVIRONMENT_H_
