// vnstream-kafka-topics: creates the vnstream topics (libs/kafka/topics.cc,
// with their partitions and policies) on a running Kafka cluster and exits.
// Topics that exist are left as they are. For clusters without a topic
// operator, e.g. the `local` Kubernetes overlay's Job:
//
//   vnstream-kafka-topics --kafka_brokers=kafka:9092 --replication_factor=1
//
// It retries until the cluster answers or --timeout passes (exit 1).
#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "libs/base/config.h"
#include "libs/base/logging.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/flags.h"
#include "libs/kafka/topics.h"

ABSL_FLAG(int, replication_factor, 1,
          "Replicas of each topic (at most the number of brokers).");
ABSL_FLAG(absl::Duration, timeout, absl::Minutes(5),
          "How long to keep trying while the cluster is not reachable yet.");

namespace vnstream::kafka {
namespace {

int Main(int argc, char** argv) {
  ParseConfig(argc, argv,
              "vnstream-kafka-topics: creates the vnstream topics.\n"
              "Settings: flags, VNSTREAM_<FLAG> or --config=FILE.yaml");
  InitLogging("vnstream-kafka-topics");
  const int replication = absl::GetFlag(FLAGS_replication_factor);
  if (replication < 1) {
    spdlog::error("configuration: replication_factor must be >= 1, not {}",
                  replication);
    return 2;
  }
  if (CheckConfigOnly()) {
    spdlog::info("configuration is valid");
    return 0;
  }
  const std::string brokers = BrokersFromFlags();
  const std::vector<TopicSpec> topics = DefaultTopics(replication);
  absl::Status last = absl::UnavailableError("not tried yet");
  const bool created = PollUntil(
      [&] {
        last = CreateTopics(brokers, topics, absl::Seconds(10));
        if (!last.ok()) spdlog::warn("{}: {}; retrying", brokers, last);
        return last.ok();
      },
      absl::GetFlag(FLAGS_timeout), absl::Seconds(2));
  if (!created) {
    spdlog::error("topics not created on {}: {}", brokers, last);
    return 1;
  }
  spdlog::info("{} topics present on {} (replication factor {})", topics.size(),
               brokers, replication);
  return 0;
}

}  // namespace
}  // namespace vnstream::kafka

int main(int argc, char** argv) { return vnstream::kafka::Main(argc, argv); }
