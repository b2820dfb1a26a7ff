// A local 3-broker KRaft cluster (tools/kafka) keeps every record an
// acks=all producer (libs/kafka:publisher, the settings of ingest) hands
// it while the leader of a partition is SIGKILLed and restarted and a
// follower is SIGSTOPped: every (symbol, seq) is consumed back exactly once.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "prometheus/registry.h"
#include "tests/support/kafka_environment.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream {
namespace {

testing::KafkaEnvironment* kafka_env = nullptr;

constexpr int kSymbols = 12;
constexpr char kTopic[] = "stock-intraday";  // Time-retained: no compaction.

std::string Symbol(int i) { return absl::StrCat("SY", i); }

double MetricValue(prometheus::Registry& registry, const std::string& name) {
  double total = 0;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      total += metric.counter.value;
    }
  }
  return total;
}

void PublishRounds(kafka::Publisher& publisher, uint64_t first, uint64_t last) {
  for (uint64_t seq = first; seq <= last; ++seq) {
    for (int s = 0; s < kSymbols; ++s) {
      v1::IntradayBar bar;
      bar.mutable_meta()->set_symbol(Symbol(s));
      bar.mutable_meta()->set_seq(seq);
      publisher.Publish(kafka::EncodeRecord(kTopic, bar, bar.meta()));
    }
  }
}

// (symbol, seq) -> copies of every record of kTopic, read from the
// beginning of each partition to its end.
std::map<std::pair<std::string, uint64_t>, int> ReadTopic(
    const std::string& bootstrap, size_t expected) {
  auto conf = kafka::MakeConf({{"bootstrap.servers", bootstrap},
                               {"group.id", "cluster-test-reader"},
                               {"enable.auto.commit", "false"},
                               {"enable.partition.eof", "true"}});
  EXPECT_TRUE(conf.ok());
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  EXPECT_NE(consumer, nullptr) << error;
  absl::StatusOr<int> partitions =
      kafka::PartitionCount(bootstrap, kTopic, absl::Seconds(10));
  EXPECT_TRUE(partitions.ok());
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < *partitions; ++p) {
    assignment.push_back(RdKafka::TopicPartition::create(
        kTopic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  std::map<std::pair<std::string, uint64_t>, int> copies;
  size_t total = 0;
  std::set<int> at_end;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (
      absl::Now() < deadline &&
      !(total >= expected && static_cast<int>(at_end.size()) == *partitions)) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(msg->partition());
      continue;
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;
    at_end.erase(msg->partition());
    v1::IntradayBar bar;
    EXPECT_TRUE(kafka::DecodeRecord(*msg, bar).ok());
    ++copies[{bar.meta().symbol(), bar.meta().seq()}];
    ++total;
  }
  consumer->close();
  return copies;
}

TEST(KafkaClusterTest, ThreeBrokersReplicateEveryTopicThreeTimes) {
  absl::StatusOr<std::vector<int>> brokers =
      kafka::BrokerIds(kafka_env->bootstrap_servers(), absl::Seconds(10));
  ASSERT_TRUE(brokers.ok()) << brokers.status();
  EXPECT_EQ(*brokers, (std::vector<int>{1, 2, 3}));
  absl::StatusOr<std::vector<kafka::PartitionReplicas>> partitions =
      kafka::DescribePartitions(kafka_env->bootstrap_servers(),
                                absl::Seconds(10));
  ASSERT_TRUE(partitions.ok()) << partitions.status();
  std::map<std::string, int> partitions_of;
  for (const kafka::PartitionReplicas& p : *partitions) {
    ++partitions_of[p.topic];
    EXPECT_EQ(p.replicas.size(), 3u) << p.topic << "/" << p.partition;
    EXPECT_EQ(p.in_sync.size(), 3u) << p.topic << "/" << p.partition;
  }
  for (const kafka::TopicSpec& topic : kafka::DefaultTopics(3)) {
    EXPECT_EQ(partitions_of[topic.name], topic.partitions) << topic.name;
    EXPECT_EQ(topic.replication_factor, 3);
    bool min_isr_2 = false;
    for (const auto& [key, value] : topic.configs) {
      min_isr_2 |= key == "min.insync.replicas" && value == "2";
    }
    EXPECT_TRUE(min_isr_2) << topic.name;
  }
  EXPECT_EQ(kafka::DefaultTopics(1)[0].configs.back(),
            (std::pair<std::string, std::string>{"min.insync.replicas", "1"}));
}

TEST(KafkaClusterTest, AcksAllProducerLosesNothingWhenTheLeaderIsKilled) {
  kafka::LocalKafka& cluster = kafka_env->broker();
  ASSERT_EQ(cluster.broker_count(), 3);
  prometheus::Registry registry;
  auto publisher = kafka::Publisher::Create(
      {.bootstrap_servers = kafka_env->bootstrap_servers()}, registry, "test");
  ASSERT_TRUE(publisher.ok()) << publisher.status();

  PublishRounds(**publisher, 1, 50);
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());

  // SIGKILL the leader of partition 0 with records on their way: they are
  // retried against the new leader.
  absl::StatusOr<int> leader = kafka::PartitionLeader(
      kafka_env->bootstrap_servers(), kTopic, 0, absl::Seconds(10));
  ASSERT_TRUE(leader.ok()) << leader.status();
  PublishRounds(**publisher, 51, 100);
  ASSERT_TRUE(cluster.KillBroker(*leader).ok());
  EXPECT_FALSE(cluster.BrokerRunning(*leader));
  PublishRounds(**publisher, 101, 150);
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(120)).ok());
  absl::StatusOr<int> new_leader = kafka::PartitionLeader(
      kafka_env->bootstrap_servers(), kTopic, 0, absl::Seconds(10));
  ASSERT_TRUE(new_leader.ok()) << new_leader.status();
  EXPECT_NE(*new_leader, *leader);

  // Back on its data, the killed broker catches up and rejoins every ISR.
  ASSERT_TRUE(cluster.RestartBroker(*leader).ok());
  ASSERT_TRUE(cluster.WaitUntilFullyReplicated(absl::Seconds(120)).ok());

  // A hung follower (SIGSTOP): acks=all waits for it or for the ISR to
  // shrink; once it is resumed, everything is acknowledged.
  const int follower = *leader == 3 ? 2 : 3;
  ASSERT_TRUE(cluster.PauseBroker(follower).ok());
  PublishRounds(**publisher, 151, 200);
  ASSERT_TRUE(PollUntil([&] { return (*publisher)->buffered() == 0; },
                        absl::Seconds(30)));
  ASSERT_TRUE(cluster.ResumeBroker(follower).ok());
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(120)).ok());

  EXPECT_EQ(MetricValue(registry, "test_records_produced_total"),
            200.0 * kSymbols);
  EXPECT_EQ(MetricValue(registry, "test_records_lost_total"), 0);
  const auto copies = ReadTopic(kafka_env->bootstrap_servers(), 200 * kSymbols);
  EXPECT_EQ(copies.size(), 200u * kSymbols) << "records lost";
  for (int s = 0; s < kSymbols; ++s) {
    for (uint64_t seq = 1; seq <= 200; ++seq) {
      auto it = copies.find({Symbol(s), seq});
      ASSERT_NE(it, copies.end()) << "lost " << Symbol(s) << " " << seq;
      EXPECT_EQ(it->second, 1) << "duplicated " << Symbol(s) << " " << seq;
    }
  }
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install(3);
  return RUN_ALL_TESTS();
}
