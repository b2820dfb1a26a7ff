// Publisher and tail scan against real Kafka brokers.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/tail_scan.h"
#include "prometheus/text_serializer.h"
#include "tests/support/kafka_environment.h"

namespace vnstream::kafka {
namespace {

testing::KafkaEnvironment* kafka_env = nullptr;

OutgoingRecord Record(const std::string& topic, const std::string& symbol,
                      uint64_t seq) {
  v1::Quote quote;
  quote.mutable_meta()->set_symbol(symbol);
  quote.mutable_meta()->set_seq(seq);
  return EncodeRecord(topic, quote, quote.meta());
}

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const prometheus::ClientMetric::Label& label : metric.label) {
          found |= label.name == k && label.value == v;
        }
        match &= found;
      }
      if (match) return metric.counter.value + metric.gauge.value;
    }
  }
  return -1;
}

// Reads every record of `topic` (from the beginning) until `count` arrived.
std::vector<v1::Quote> ConsumeAll(const std::string& bootstrap,
                                  const std::string& topic, size_t count) {
  auto conf =
      MakeConf({{"bootstrap.servers", bootstrap},
                {"group.id", absl::StrCat("reader-", topic,
                                          absl::ToUnixNanos(absl::Now()))},
                {"auto.offset.reset", "earliest"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  consumer->subscribe({topic});
  std::vector<v1::Quote> out;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (out.size() < count && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;
    v1::Quote quote;
    if (DecodeRecord(*msg, quote).ok()) out.push_back(quote);
  }
  consumer->close();
  return out;
}

TEST(PublisherTest, DeliversAndCounts) {
  prometheus::Registry registry;
  auto publisher = Publisher::Create(
      {.bootstrap_servers = kafka_env->bootstrap_servers()}, registry, "test");
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  for (uint64_t seq = 1; seq <= 100; ++seq) {
    (*publisher)
        ->Publish(Record(kPricesTopic, absl::StrCat("S", seq % 7, "X"), seq));
  }
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(MetricValue(registry, "test_records_produced_total",
                        {{"topic", kPricesTopic}}),
            100);
  EXPECT_GT(MetricValue(registry, "test_last_publish_timestamp_seconds",
                        {{"topic", kPricesTopic}}),
            1.7e9);
  EXPECT_EQ(
      ConsumeAll(kafka_env->bootstrap_servers(), kPricesTopic, 100).size(),
      100u);
}

TEST(PublisherTest, BoundedBufferDropsOldestWhileNoBroker) {
  prometheus::Registry registry;
  auto publisher = Publisher::Create({.bootstrap_servers = "127.0.0.1:1",
                                      .buffer_capacity = 10,
                                      .max_in_flight = 5,
                                      .delivery_timeout = absl::Seconds(2)},
                                     registry, "test");
  ASSERT_TRUE(publisher.ok());
  // Let the sender hand the first 5 to librdkafka before the rest arrive.
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    (*publisher)->Publish(Record(kPricesTopic, "FPT", seq));
  }
  ASSERT_TRUE(PollUntil(
      [&] {
        return (*publisher)->buffered() == 0 && (*publisher)->pending() == 5;
      },
      absl::Seconds(5)));
  for (uint64_t seq = 6; seq <= 40; ++seq) {
    (*publisher)->Publish(Record(kPricesTopic, "FPT", seq));
  }
  // 5 in flight + 10 buffered are kept; the 25 oldest of the rest dropped.
  EXPECT_EQ(MetricValue(registry, "test_records_lost_total",
                        {{"topic", kPricesTopic}, {"reason", "buffer_full"}}),
            25);
  // Nothing is lost silently: undeliverable records time out and are
  // counted as lost.
  EXPECT_TRUE(PollUntil(
      [&] {
        return MetricValue(registry, "test_records_lost_total",
                           {{"topic", kPricesTopic},
                            {"reason", "delivery_timeout"}}) == 15;
      },
      absl::Seconds(30)));
  EXPECT_EQ((*publisher)->pending(), 0u);
}

TEST(PublisherTest, CountsUnsendableAndShutdownRecordsAsLost) {
  prometheus::Registry registry;
  {
    auto publisher =
        Publisher::Create({.bootstrap_servers = kafka_env->bootstrap_servers()},
                          registry, "test");
    ASSERT_TRUE(publisher.ok());
    // Larger than message.max.bytes: librdkafka refuses it at once.
    OutgoingRecord huge = Record(kPricesTopic, "FPT", 1);
    huge.value.assign(kMaxMessageBytes + 1, 'x');
    (*publisher)->Publish(std::move(huge));
    ASSERT_TRUE(PollUntil(
        [&] {
          return MetricValue(registry, "test_records_lost_total",
                             {{"topic", kPricesTopic},
                              {"reason", "produce_failed"}}) == 1;
        },
        absl::Seconds(10)));
  }
  {
    // No broker: whatever is still buffered or in flight when the
    // publisher goes away is counted.
    auto publisher = Publisher::Create(
        {.bootstrap_servers = "127.0.0.1:1", .max_in_flight = 5}, registry,
        "test");
    ASSERT_TRUE(publisher.ok());
    for (uint64_t seq = 1; seq <= 12; ++seq) {
      (*publisher)->Publish(Record(kIntradayTopic, "VCB", seq));
    }
    ASSERT_TRUE(PollUntil([&] { return (*publisher)->buffered() == 7; },
                          absl::Seconds(5)));
  }
  EXPECT_EQ(MetricValue(registry, "test_records_lost_total",
                        {{"topic", kIntradayTopic}, {"reason", "shutdown"}}),
            12);
}

TEST(PublisherTest, BuffersThroughABrokerRestart) {
  const std::string dir = testing::TestTempPath("restart-kafka");
  absl::StatusOr<int> port = PickFreePort();
  absl::StatusOr<int> controller = PickFreePort();
  ASSERT_TRUE(port.ok() && controller.ok());
  auto broker = LocalKafka::Start(
      {.work_dir = dir, .port = *port, .controller_port = *controller});
  ASSERT_TRUE(broker.ok()) << broker.status();
  prometheus::Registry registry;
  auto publisher = Publisher::Create(
      {.bootstrap_servers = (*broker)->bootstrap_servers()}, registry, "test");
  ASSERT_TRUE(publisher.ok());
  (*publisher)->Publish(Record(kHistoricalTopic, "VCB", 1));
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());

  ASSERT_TRUE((*broker)->Stop().ok());
  for (uint64_t seq = 2; seq <= 50; ++seq) {
    (*publisher)->Publish(Record(kHistoricalTopic, "VCB", seq));
  }
  EXPECT_FALSE((*publisher)->Flush(absl::Seconds(1)).ok())
      << "nothing can be delivered";
  broker = LocalKafka::Start(
      {.work_dir = dir, .port = *port, .controller_port = *controller});
  ASSERT_TRUE(broker.ok()) << broker.status();
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(60)).ok());
  std::vector<v1::Quote> got =
      ConsumeAll((*broker)->bootstrap_servers(), kHistoricalTopic, 50);
  ASSERT_EQ(got.size(), 50u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].meta().seq(), i + 1) << "in order, no duplicates";
  }
}

TEST(TailScanTest, StopsOnceEnoughAndVisitsEverythingOtherwise) {
  const std::string topic = "tail-scan-test";
  ASSERT_TRUE(CreateTopics(kafka_env->bootstrap_servers(), {{topic, 3, 1, {}}},
                           absl::Seconds(30))
                  .ok());
  prometheus::Registry registry;
  auto publisher = Publisher::Create(
      {.bootstrap_servers = kafka_env->bootstrap_servers()}, registry, "test");
  ASSERT_TRUE(publisher.ok());
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    for (int s = 0; s < 10; ++s)
      (*publisher)->Publish(Record(topic, absl::StrCat("SY", s), seq));
  }
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());

  std::map<std::string, uint64_t> max_seq;
  int visited = 0;
  auto visit = [&](RdKafka::Message& m) {
    v1::Quote q;
    ASSERT_TRUE(DecodeRecord(m, q).ok());
    max_seq[q.meta().symbol()] =
        std::max(max_seq[q.meta().symbol()], q.meta().seq());
    ++visited;
  };
  ASSERT_TRUE(
      ScanTopicBackwards({.bootstrap_servers = kafka_env->bootstrap_servers(),
                          .topic = topic,
                          .initial_window = 5},
                         visit, [&] { return max_seq.size() == 10; })
          .ok());
  ASSERT_EQ(max_seq.size(), 10u);
  for (const auto& [symbol, seq] : max_seq) EXPECT_EQ(seq, 50u) << symbol;
  EXPECT_LT(visited, 500) << "should stop after the last windows";

  visited = 0;
  max_seq.clear();
  ASSERT_TRUE(
      ScanTopicBackwards({.bootstrap_servers = kafka_env->bootstrap_servers(),
                          .topic = topic,
                          .initial_window = 7},
                         visit, [] { return false; })
          .ok());
  EXPECT_EQ(visited, 500) << "every record exactly once";

  EXPECT_EQ(
      ScanTopicBackwards({.bootstrap_servers = kafka_env->bootstrap_servers(),
                          .topic = "no-such-topic"},
                         visit, [] { return true; })
          .code(),
      absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vnstream::kafka

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
