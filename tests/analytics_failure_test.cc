// analytics when Kafka refuses an output, through a real broker: a record
// the producer cannot produce (over its message.max.bytes) and a record the
// broker rejects (over the topic's max.message.bytes) each abort the
// transaction: the output is not committed, the input offset is not
// committed, and the input is processed again until it goes through,
// exactly once.
#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "librdkafka/rdkafka.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "tests/analytics_scenario.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::vnstream::testing::HttpGet;
using ::vnstream::testing::MetricValue;
using ::vnstream::testing::ReadCommitted;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartAnalytics;

testing::KafkaEnvironment* kafka_env = nullptr;

// Sets stock-analytics' max.message.bytes (the other settings as
// libs/kafka/topics.cc has them: AlterConfigs replaces them all).
absl::Status SetAnalyticsMaxBytes(const std::string& brokers, int bytes) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), error,
                    sizeof(error));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (rk == nullptr) return absl::InternalError(error);
  absl::Cleanup destroy = [&] { rd_kafka_destroy(rk); };
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(
      RD_KAFKA_RESOURCE_TOPIC, kafka::kAnalyticsTopic);
  absl::Cleanup free_resource = [&] {
    rd_kafka_ConfigResource_destroy(resource);
  };
  for (const kafka::TopicSpec& spec : kafka::DefaultTopics()) {
    if (spec.name != kafka::kAnalyticsTopic) continue;
    for (const auto& [key, value] : spec.configs) {
      const std::string v =
          key == "max.message.bytes" ? std::to_string(bytes) : value;
      rd_kafka_ConfigResource_set_config(resource, key.c_str(), v.c_str());
    }
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  absl::Cleanup free_queue = [&] { rd_kafka_queue_destroy(queue); };
  rd_kafka_AlterConfigs(rk, &resource, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
  if (event == nullptr) return absl::DeadlineExceededError("AlterConfigs");
  absl::Cleanup free_event = [&] { rd_kafka_event_destroy(event); };
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(rd_kafka_event_error_string(event));
  }
  size_t n = 0;
  const rd_kafka_ConfigResource_t** results =
      rd_kafka_AlterConfigs_result_resources(
          rd_kafka_event_AlterConfigs_result(event), &n);
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_ConfigResource_error(results[i]) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InternalError(
          rd_kafka_ConfigResource_error_string(results[i]));
    }
  }
  return absl::OkStatus();
}

// FPT's whole daily series (~870 bars): its enriched record is ~200 KB.
absl::StatusOr<v1::DailyHistory> LongHistory() {
  absl::StatusOr<market::DailyData> data =
      market::LoadDailyCsv(Runfile("data/vn30/vn30-daily-2016-2019.csv"));
  if (!data.ok()) return data.status();
  for (const market::SymbolHistory& s : data->symbols) {
    if (s.symbol != "FPT") continue;
    v1::DailyHistory h;
    for (const market::DailyBar& row : s.bars) {
      v1::DailyBar* bar = h.add_bars();
      *bar->mutable_date() = market::ToDate(row.date);
      *bar->mutable_open() = market::MakeDecimal(row.open);
      *bar->mutable_high() = market::MakeDecimal(row.high);
      *bar->mutable_low() = market::MakeDecimal(row.low);
      *bar->mutable_close() = market::MakeDecimal(row.close);
      bar->set_volume(row.volume);
      bar->set_final(true);
    }
    h.mutable_meta()->set_symbol("FPT");
    h.mutable_meta()->set_seq(1);
    *h.mutable_meta()->mutable_fetched_at() = market::ToTimestamp(absl::Now());
    *h.mutable_meta()->mutable_trading_date() =
        h.bars(h.bars_size() - 1).date();
    return h;
  }
  return absl::NotFoundError("no FPT");
}

// The committed offset of analytics' group on stock-historical's partitions
// (-1001 when none).
std::vector<int64_t> CommittedOffsets(const std::string& brokers) {
  auto conf = kafka::MakeConf({{"bootstrap.servers", brokers},
                               {"group.id", "vnstream-analytics"},
                               {"isolation.level", "read_committed"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < 6; ++p) {
    parts.push_back(
        RdKafka::TopicPartition::create(kafka::kHistoricalTopic, p));
  }
  std::vector<int64_t> out;
  if (consumer->committed(parts, 30'000) == RdKafka::ERR_NO_ERROR) {
    for (const RdKafka::TopicPartition* p : parts) out.push_back(p->offset());
  }
  RdKafka::TopicPartition::destroy(parts);
  consumer->close();
  return out;
}

double Metric(const ServiceProcess& service, const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& labels) {
  absl::StatusOr<std::string> text = HttpGet(
      absl::StrCat("http://127.0.0.1:", service.captured[0], "/metrics"));
  return text.ok() ? MetricValue(*text, name, labels).value_or(0) : 0;
}

// Waits until `service` has aborted at least `n` transactions.
bool WaitForAborts(const ServiceProcess& service, double n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline) {
    if (Metric(service, "vnstream_analytics_transactions_total",
               {{"result", "aborted"}}) >= n) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

std::string Log(const ServiceProcess& service) {
  std::stringstream s;
  s << std::ifstream(service.log_path).rdbuf();
  return s.str().substr(service.log_offset);
}

TEST(AnalyticsFailureTest, ARefusedOutputAbortsAndIsRetriedUntilItGoesThrough) {
  const std::string& brokers = kafka_env->bootstrap_servers();
  absl::StatusOr<v1::DailyHistory> history = LongHistory();
  ASSERT_TRUE(history.ok()) << history.status();
  prometheus::Registry registry;
  auto publisher = kafka::Publisher::Create({.bootstrap_servers = brokers},
                                            registry, "test");
  ASSERT_TRUE(publisher.ok());
  (*publisher)
      ->Publish(kafka::EncodeRecord(kafka::kHistoricalTopic, *history,
                                    history->meta()));
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());
  auto nothing_committed = [&] {
    EXPECT_TRUE(ReadCommitted(brokers, kafka::kAnalyticsTopic).empty())
        << "no output";
    for (int64_t offset : CommittedOffsets(brokers)) {
      EXPECT_LT(offset, 1) << "the input offset stays before the record";
    }
  };

  // 1. produce() refuses the record: over the producer's own limit.
  {
    absl::StatusOr<ServiceProcess> analytics =
        StartAnalytics(brokers, "analytics-1", "analytics-test",
                       {"--kafka_producer_config=message.max.bytes=100000",
                        "--retry_backoff=100ms"});
    ASSERT_TRUE(analytics.ok()) << analytics.status();
    ASSERT_TRUE(WaitForAborts(*analytics, 3));
    EXPECT_GE(Metric(*analytics, "vnstream_analytics_produce_errors_total", {}),
              3);
    EXPECT_NE(Log(*analytics).find("cannot produce"), std::string::npos);
    nothing_committed();
    ASSERT_TRUE(analytics->process->Signal(SIGTERM).ok());
    ASSERT_TRUE(analytics->process->Wait(absl::Seconds(30)).ok());
  }

  // 2. The broker rejects it: over the topic's limit (a failed delivery).
  ASSERT_TRUE(SetAnalyticsMaxBytes(brokers, 20'000).ok());
  {
    absl::StatusOr<ServiceProcess> analytics = StartAnalytics(
        brokers, "analytics-2", "analytics-test", {"--retry_backoff=100ms"});
    ASSERT_TRUE(analytics.ok()) << analytics.status();
    ASSERT_TRUE(WaitForAborts(*analytics, 3));
    EXPECT_NE(Log(*analytics).find("not delivered"), std::string::npos);
    nothing_committed();
    ASSERT_TRUE(analytics->process->Signal(SIGTERM).ok());
    ASSERT_TRUE(analytics->process->Wait(absl::Seconds(30)).ok());
  }

  // 3. Kafka accepts it again: processed once, its offset committed.
  ASSERT_TRUE(SetAnalyticsMaxBytes(brokers, kafka::kMaxMessageBytes).ok());
  absl::StatusOr<ServiceProcess> analytics =
      StartAnalytics(brokers, "analytics-3", "analytics-test");
  ASSERT_TRUE(analytics.ok()) << analytics.status();
  std::vector<testing::Committed> out;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (out.empty() && absl::Now() < deadline) {
    out = ReadCommitted(brokers, kafka::kAnalyticsTopic);
  }
  ASSERT_EQ(out.size(), 1u);
  v1::EnrichedHistory enriched;
  ASSERT_TRUE(enriched.ParseFromString(out[0].value));
  EXPECT_EQ(enriched.meta().symbol(), "FPT");
  EXPECT_EQ(enriched.bars_size(), history->bars_size());
  EXPECT_GT(out[0].value.size(), 100'000u);
  int64_t committed = 0;
  for (int64_t offset : CommittedOffsets(brokers)) {
    committed = std::max(committed, offset);
  }
  EXPECT_EQ(committed, 1) << "the input is committed with its output";
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
