// analytics through a real broker: histories in, enriched histories out with
// exactly the shared library's numbers; a malformed record is skipped; and a
// crash (SIGKILL) mid-stream followed by a restart leaves exactly one output
// per input: no duplicate, nothing missing (Kafka transactions).
#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/indicators/indicators.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::vnstream::testing::HttpGet;
using ::vnstream::testing::MetricValue;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;

// Real daily bars per symbol, oldest first, as the topic carries them.
absl::StatusOr<std::map<std::string, std::vector<v1::DailyBar>>> LoadBars() {
  absl::StatusOr<market::DailyData> data =
      market::LoadDailyCsv(Runfile("data/vn30/vn30-daily-2016-2019.csv"));
  if (!data.ok()) return data.status();
  std::map<std::string, std::vector<v1::DailyBar>> out;
  for (const market::SymbolHistory& history : data->symbols) {
    for (const market::DailyBar& row : history.bars) {
      v1::DailyBar& bar = out[history.symbol].emplace_back();
      *bar.mutable_date() = market::ToDate(row.date);
      *bar.mutable_open() = market::MakeDecimal(row.open);
      *bar.mutable_high() = market::MakeDecimal(row.high);
      *bar.mutable_low() = market::MakeDecimal(row.low);
      *bar.mutable_close() = market::MakeDecimal(row.close);
      bar.set_volume(row.volume);
      bar.set_final(true);
    }
  }
  return out;
}

// Input (symbol, seq): the symbol's first 100 + seq bars.
v1::DailyHistory Input(const std::vector<v1::DailyBar>& bars,
                       const std::string& symbol, uint64_t seq) {
  v1::DailyHistory h;
  h.mutable_meta()->set_symbol(symbol);
  h.mutable_meta()->set_seq(seq);
  h.mutable_meta()->set_source(v1::SOURCE_REPLAY);
  *h.mutable_meta()->mutable_fetched_at() = market::ToTimestamp(absl::Now());
  for (size_t i = 0; i < 100 + seq && i < bars.size(); ++i)
    *h.add_bars() = bars[i];
  *h.mutable_meta()->mutable_trading_date() = h.bars(h.bars_size() - 1).date();
  return h;
}

// Every committed record of stock-analytics, read until each partition's
// end (isolation.level=read_committed).
std::vector<v1::EnrichedHistory> ReadCommittedOutput(size_t at_least) {
  auto conf =
      kafka::MakeConf({{"bootstrap.servers", kafka_env->bootstrap_servers()},
                       {"group.id", "analytics-test-reader"},
                       {"enable.partition.eof", "true"},
                       {"isolation.level", "read_committed"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < 6; ++p) {
    parts.push_back(RdKafka::TopicPartition::create(
        kafka::kAnalyticsTopic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  consumer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  std::vector<v1::EnrichedHistory> out;
  std::set<int32_t> at_end;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (absl::Now() < deadline &&
         (out.size() < at_least || at_end.size() < 6)) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(m->partition());
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    at_end.erase(m->partition());
    v1::EnrichedHistory h;
    EXPECT_TRUE(kafka::DecodeRecord(*m, h).ok());
    out.push_back(std::move(h));
  }
  consumer->close();
  return out;
}

absl::StatusOr<ServiceProcess> StartAnalytics(const std::string& name) {
  return StartService(
      name, "services/analytics/vnstream-analytics",
      {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
       "--transactional_id=analytics-test", "--batch_size=3",
       "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
}

TEST(AnalyticsIntegrationTest, ExactlyOnceAcrossACrashWithTheLibrarysNumbers) {
  const auto bars = LoadBars();
  ASSERT_TRUE(bars.ok()) << bars.status();
  const std::vector<std::string> symbols = {"FPT", "VCB", "HPG",
                                            "MWG", "SSI", "VNM"};
  constexpr uint64_t kSeqs = 15;
  prometheus::Registry registry;
  auto publisher = kafka::Publisher::Create(
      {.bootstrap_servers = kafka_env->bootstrap_servers()}, registry, "test");
  ASSERT_TRUE(publisher.ok());
  std::map<std::pair<std::string, uint64_t>, v1::DailyHistory> inputs;
  auto publish = [&](uint64_t from, uint64_t to) {
    for (uint64_t seq = from; seq <= to; ++seq) {
      for (const std::string& symbol : symbols) {
        v1::DailyHistory h = Input(bars->at(symbol), symbol, seq);
        (*publisher)
            ->Publish(
                kafka::EncodeRecord(kafka::kHistoricalTopic, h, h.meta()));
        inputs[{symbol, seq}] = h;
      }
    }
  };
  publish(1, 10);
  // A record that is not a DailyHistory at all, in the middle of the stream.
  (*publisher)
      ->Publish({kafka::kHistoricalTopic, "FPT", "\x08\xff garbage", {}});
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());

  absl::StatusOr<ServiceProcess> analytics = StartAnalytics("analytics-1");
  ASSERT_TRUE(analytics.ok()) << analytics.status();
  // Let it commit part of the stream, then crash it without warning.
  ASSERT_GE(ReadCommittedOutput(20).size(), 20u);
  ASSERT_TRUE(analytics->process->Signal(SIGKILL).ok());
  ASSERT_TRUE(analytics->process->Wait(absl::Seconds(10)).ok());

  publish(11, kSeqs);
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());
  absl::StatusOr<ServiceProcess> again = StartAnalytics("analytics-2");
  ASSERT_TRUE(again.ok()) << again.status();

  const std::vector<v1::EnrichedHistory> output =
      ReadCommittedOutput(symbols.size() * kSeqs);
  std::map<std::pair<std::string, uint64_t>, int> copies;
  for (const v1::EnrichedHistory& h : output) {
    ++copies[{h.meta().symbol(), h.meta().seq()}];
  }
  for (const auto& [key, input] : inputs) {
    SCOPED_TRACE(absl::StrCat(key.first, " seq ", key.second));
    EXPECT_EQ(copies[key], 1) << "exactly one output per input";
  }
  EXPECT_EQ(output.size(), inputs.size());
  // The numbers are the shared library's, bit for bit.
  for (const v1::EnrichedHistory& h : output) {
    v1::EnrichedHistory expected;
    ASSERT_TRUE(
        indicators::Enrich(inputs.at({h.meta().symbol(), h.meta().seq()}),
                           indicators::Params(), &expected)
            .ok());
    ASSERT_EQ(h.bars_size(), expected.bars_size());
    for (int i = 0; i < h.bars_size(); ++i) {
      ASSERT_EQ(h.bars(i).SerializeAsString(),
                expected.bars(i).SerializeAsString())
          << h.meta().symbol() << " seq " << h.meta().seq() << " bar " << i;
    }
    EXPECT_EQ(h.performance().SerializeAsString(),
              expected.performance().SerializeAsString());
  }
  absl::StatusOr<std::string> metrics = HttpGet(
      absl::StrCat("http://127.0.0.1:", again->captured[0], "/metrics"));
  ASSERT_TRUE(metrics.ok());
  // The garbage record was before the crash or after it; either run skipped it.
  EXPECT_TRUE(MetricValue(*metrics, "vnstream_analytics_records_in_total",
                          {{"result", "enriched"}})
                  .has_value());
  std::ifstream first_log(analytics->log_path);
  std::stringstream logs;
  logs << first_log.rdbuf() << std::ifstream(again->log_path).rdbuf();
  EXPECT_NE(logs.str().find("skipped malformed record"), std::string::npos);
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
