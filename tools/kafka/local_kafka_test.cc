#include "tools/kafka/local_kafka.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>

#include "gtest/gtest.h"
#include "libs/kafka/admin.h"

namespace vnstream::kafka {
namespace {

std::string TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
}

TEST(LocalKafkaTest, StartsCreatesTopicsAndRestartsOnSameData) {
  const std::string dir = TestDir("kafka");
  pid_t first_pid = 0;
  {
    absl::StatusOr<std::unique_ptr<LocalKafka>> kafka =
        LocalKafka::Start({.work_dir = dir});
    ASSERT_TRUE(kafka.ok()) << kafka.status();
    first_pid = (*kafka)->pid();
    for (const TopicSpec& topic : DefaultTopics()) {
      absl::StatusOr<int> partitions = PartitionCount(
          (*kafka)->bootstrap_servers(), topic.name, absl::Seconds(10));
      ASSERT_TRUE(partitions.ok()) << topic.name << ": " << partitions.status();
      EXPECT_EQ(*partitions, topic.partitions) << topic.name;
    }
    EXPECT_EQ(PartitionCount((*kafka)->bootstrap_servers(), "no-such-topic",
                             absl::Seconds(10))
                  .status()
                  .code(),
              absl::StatusCode::kNotFound);
    ASSERT_TRUE((*kafka)->Stop().ok());
  }
  EXPECT_NE(::kill(first_pid, 0), 0) << "broker still running after Stop";

  // Same directory again: storage is reused, topics already exist.
  absl::StatusOr<std::unique_ptr<LocalKafka>> again =
      LocalKafka::Start({.work_dir = dir});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(ProduceConsumeRoundTrip((*again)->bootstrap_servers(),
                                      "stock-prices", absl::Seconds(30))
                  .ok());
}

// A released 3-node cluster (vnstream-kafka start --brokers=3) runs on
// until StopDetached stops every node.
TEST(LocalKafkaTest, ReleasedClusterOutlivesItsObjectUntilStopDetached) {
  const std::string dir = TestDir("detached");
  std::vector<pid_t> pids;
  std::string bootstrap;
  {
    absl::StatusOr<std::unique_ptr<LocalKafka>> kafka = LocalKafka::Start(
        {.work_dir = dir, .brokers = 3, .kill_with_parent = false});
    ASSERT_TRUE(kafka.ok()) << kafka.status();
    ASSERT_EQ((*kafka)->broker_count(), 3);
    for (int id = 1; id <= 3; ++id) pids.push_back((*kafka)->pid(id));
    bootstrap = (*kafka)->bootstrap_servers();
    EXPECT_EQ(std::count(bootstrap.begin(), bootstrap.end(), ','), 2)
        << bootstrap;
    (*kafka)->Release();
  }
  EXPECT_TRUE(
      ProduceConsumeRoundTrip(bootstrap, "stock-prices", absl::Seconds(30))
          .ok())
      << "the released cluster must keep running";
  ASSERT_TRUE(LocalKafka::StopDetached(dir).ok());
  for (pid_t pid : pids) EXPECT_NE(::kill(pid, 0), 0) << pid;
}

TEST(LocalKafkaTest, MissingJarsIsAClearError) {
  absl::StatusOr<std::unique_ptr<LocalKafka>> kafka = LocalKafka::Start(
      {.kafka_home = TestDir("no-kafka-here"), .work_dir = TestDir("unused")});
  EXPECT_EQ(kafka.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace vnstream::kafka
