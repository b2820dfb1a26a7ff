// analytics with two replicas through a real broker: the consumer
// configuration gives each member the same partition numbers of every input
// topic (range assignor), and a second replica joining (a rebalance) and
// the first one crashing (another) still leave exactly one output per
// input on every output topic.
#include <signal.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/topics.h"
#include "services/analytics/pipeline.h"
#include "tests/analytics_scenario.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::vnstream::testing::HttpGet;
using ::vnstream::testing::Inputs;
using ::vnstream::testing::MetricValue;
using ::vnstream::testing::ReadCommitted;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartAnalytics;

testing::KafkaEnvironment* kafka_env = nullptr;

// Topic -> partition numbers.
using Assignment = std::map<std::string, std::set<int32_t>>;

Assignment AssignmentOf(RdKafka::KafkaConsumer& consumer) {
  std::vector<RdKafka::TopicPartition*> parts;
  consumer.assignment(parts);
  Assignment out;
  for (const RdKafka::TopicPartition* p : parts) {
    out[p->topic()].insert(p->partition());
  }
  RdKafka::TopicPartition::destroy(parts);
  return out;
}

TEST(AnalyticsRebalanceTest, EachMemberGetsTheSamePartitionsOfEveryInput) {
  std::vector<std::unique_ptr<RdKafka::KafkaConsumer>> members;
  for (const char* id : {"member-a", "member-b"}) {
    analytics::PipelineOptions options;
    options.bootstrap_servers = kafka_env->bootstrap_servers();
    options.group_id = "assignor-test";
    options.transactional_id = id;
    auto conf = kafka::MakeConf(analytics::ConsumerConfig(options));
    ASSERT_TRUE(conf.ok()) << conf.status();
    std::string error;
    members.emplace_back(RdKafka::KafkaConsumer::create(conf->get(), error));
    ASSERT_NE(members.back(), nullptr) << error;
    ASSERT_EQ(members.back()->subscribe(analytics::InputTopics()),
              RdKafka::ERR_NO_ERROR);
  }
  // Both members poll until the group has settled on 4 topics x 6
  // partitions between them.
  std::vector<Assignment> assignments(2);
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline) {
    size_t total = 0;
    for (size_t i = 0; i < members.size(); ++i) {
      delete members[i]->consume(100);
      assignments[i] = AssignmentOf(*members[i]);
      for (const auto& [topic, parts] : assignments[i]) total += parts.size();
    }
    if (total == 4 * 6 && !assignments[0].empty() && !assignments[1].empty())
      break;
  }
  std::set<int32_t> all;
  for (const Assignment& a : assignments) {
    ASSERT_EQ(a.size(), 4u) << "every input topic";
    const std::set<int32_t>& numbers = a.begin()->second;
    for (const auto& [topic, parts] : a) {
      EXPECT_EQ(parts, numbers) << topic << ": the same partition numbers";
    }
    for (int32_t p : numbers) {
      EXPECT_TRUE(all.insert(p).second) << "partition " << p << " twice";
    }
  }
  EXPECT_EQ(all.size(), 6u);
  for (auto& member : members) member->close();
}

// Every "assigned ..." line of a log: topic -> partition numbers.
std::vector<Assignment> LoggedAssignments(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line;
  std::vector<Assignment> out;
  const std::regex entry("([a-z-]+) \\[([0-9,]*)\\]");
  while (std::getline(in, line)) {
    const size_t at = line.find("] assigned ");
    if (at == std::string::npos) continue;
    const std::string rest =
        line.substr(at, line.find("; state restored") - at);
    Assignment a;
    for (std::sregex_iterator it(rest.begin(), rest.end(), entry), end;
         it != end; ++it) {
      std::set<int32_t>& parts = a[(*it)[1].str()];
      for (absl::string_view n :
           absl::StrSplit((*it)[2].str(), ',', absl::SkipEmpty())) {
        int32_t p = 0;
        if (absl::SimpleAtoi(n, &p)) parts.insert(p);
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

TEST(AnalyticsRebalanceTest, TwoReplicasAndACrashStillExactlyOnce) {
  const std::string& brokers = kafka_env->bootstrap_servers();
  prometheus::Registry registry;
  auto publisher = kafka::Publisher::Create({.bootstrap_servers = brokers},
                                            registry, "test");
  ASSERT_TRUE(publisher.ok());
  Inputs all;
  auto publish = [&](int phase) {
    absl::StatusOr<Inputs> inputs = testing::Phase(phase);
    ASSERT_TRUE(inputs.ok()) << inputs.status();
    ASSERT_TRUE(testing::Publish(**publisher, *inputs).ok());
    all.Append(*inputs);
  };
  // A crashed replica's open transaction holds its partitions back until it
  // times out: 10 s keeps the test short.
  const std::vector<std::string> args = {"--batch_size=20",
                                         "--transaction_timeout=10s"};
  publish(0);
  absl::StatusOr<ServiceProcess> a =
      StartAnalytics(brokers, "analytics-a", "analytics-a", args);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (ReadCommitted(brokers, kafka::kIntradayAnalyticsTopic).size() < 100 &&
         absl::Now() < deadline) {
  }
  // A second replica joins mid-stream: the partitions are split.
  absl::StatusOr<ServiceProcess> b =
      StartAnalytics(brokers, "analytics-b", "analytics-b", args);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(
      testing::WaitForLog(*b, "\\] assigned stock", absl::Seconds(90)).ok());
  publish(1);
  const size_t before_crash = all.bars.size();
  deadline = absl::Now() + absl::Seconds(120);
  while (ReadCommitted(brokers, kafka::kIntradayAnalyticsTopic).size() <
             before_crash - 300 &&
         absl::Now() < deadline) {
  }
  // The first replica crashes: the second takes over its partitions.
  ASSERT_TRUE(a->process->Signal(SIGKILL).ok());
  ASSERT_TRUE(a->process->Wait(absl::Seconds(10)).ok());
  publish(2);

  const testing::OutputCounts out =
      testing::ExpectExactlyOnce(brokers, all, absl::Seconds(300));
  EXPECT_GT(out.signals, 0u) << "the scenario has signals";
  std::cout << "in: " << all.histories.size() << " histories, "
            << all.bars.size() << " 1-minute bars, " << all.quotes.size()
            << " quotes; out: " << out.analytics << " stock-analytics, "
            << out.intraday << " stock-intraday-analytics, " << out.signals
            << " stock-signals, " << out.market << " stock-market partials"
            << std::endl;

  // Every assignment either replica got was co-partitioned, and the split
  // happened: b owned part of the partitions, then all of them.
  std::vector<Assignment> logged = LoggedAssignments(a->log_path);
  const std::vector<Assignment> of_b = LoggedAssignments(b->log_path);
  ASSERT_FALSE(of_b.empty());
  logged.insert(logged.end(), of_b.begin(), of_b.end());
  for (const Assignment& assignment : logged) {
    ASSERT_FALSE(assignment.empty());
    for (const auto& [topic, parts] : assignment) {
      EXPECT_EQ(parts, assignment.begin()->second) << topic;
    }
  }
  bool split = false;
  for (const Assignment& assignment : of_b) {
    const size_t n = assignment.begin()->second.size();
    split |= n > 0 && n < 6;
  }
  EXPECT_TRUE(split) << "b shared the partitions with a";
  EXPECT_EQ(of_b.back().begin()->second.size(), 6u);
  absl::StatusOr<std::string> metrics =
      HttpGet(absl::StrCat("http://127.0.0.1:", b->captured[0], "/metrics"));
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(MetricValue(*metrics, "vnstream_analytics_assigned_partitions", {}),
            6);
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
