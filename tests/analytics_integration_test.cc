// analytics through a real broker: daily histories, 1-minute bars with
// revisions over three trading days and quotes in; enriched histories,
// enriched bars, signals and breadth partials out, with a single
// in-process processor's numbers. A crash (SIGKILL) mid-stream followed by
// a restart leaves exactly one output per input on every output topic
// (Kafka transactions), and the state survives it: the third day's volume
// profile, published only after the crash, is built from the first two
// days, which the crashed process saw.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
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

TEST(AnalyticsIntegrationTest, ExactlyOnceWithStateAcrossACrash) {
  const std::string& brokers = kafka_env->bootstrap_servers();
  prometheus::Registry registry;
  auto publisher = kafka::Publisher::Create({.bootstrap_servers = brokers},
                                            registry, "test");
  ASSERT_TRUE(publisher.ok());
  Inputs all;
  for (int phase : {0, 1}) {
    absl::StatusOr<Inputs> inputs = testing::Phase(phase);
    ASSERT_TRUE(inputs.ok()) << inputs.status();
    ASSERT_TRUE(testing::Publish(**publisher, *inputs).ok());
    all.Append(*inputs);
  }
  // Records that are not what their topic carries, in the middle of the
  // stream: skipped, counted, logged.
  for (const char* topic :
       {kafka::kHistoricalTopic, kafka::kIntradayTopic, kafka::kPricesTopic}) {
    (*publisher)->Publish({topic, "FPT", "\x08\xff garbage", {}});
  }
  ASSERT_TRUE((*publisher)->Flush(absl::Seconds(30)).ok());

  // Small batches: many transactions, so the crash lands mid-stream.
  absl::StatusOr<ServiceProcess> first = StartAnalytics(
      brokers, "analytics-1", "analytics-test", {"--batch_size=5"});
  ASSERT_TRUE(first.ok()) << first.status();
  // Polled through its metrics (a cheap local GET), not by reading the topic
  // (a consumer per poll takes long enough for analytics to finish first).
  auto committed_out = [&]() -> double {
    absl::StatusOr<std::string> metrics = HttpGet(
        absl::StrCat("http://127.0.0.1:", first->captured[0], "/metrics"));
    if (!metrics.ok()) return 0;
    return MetricValue(*metrics, "vnstream_analytics_records_out_total",
                       {{"topic", kafka::kIntradayAnalyticsTopic}})
        .value_or(0);
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (committed_out() < 200 && absl::Now() < deadline) {
  }
  ASSERT_TRUE(first->process->Signal(SIGKILL).ok());
  ASSERT_TRUE(first->process->Wait(absl::Seconds(10)).ok());
  const size_t at_crash =
      ReadCommitted(brokers, kafka::kIntradayAnalyticsTopic).size();
  EXPECT_LT(at_crash, all.bars.size()) << "the crash was not mid-stream";

  // The third day arrives while analytics is down.
  absl::StatusOr<Inputs> last = testing::Phase(2);
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(testing::Publish(**publisher, *last).ok());
  all.Append(*last);
  absl::StatusOr<ServiceProcess> second = StartAnalytics(
      brokers, "analytics-2", "analytics-test", {"--batch_size=50"});
  ASSERT_TRUE(second.ok()) << second.status();

  const testing::OutputCounts out = testing::ExpectExactlyOnce(brokers, all);
  EXPECT_GT(out.signals, 0u) << "the scenario has signals";
  std::cout << "in: " << all.histories.size() << " histories, "
            << all.bars.size() << " 1-minute bars, " << all.quotes.size()
            << " quotes (+3 malformed); committed before the crash: "
            << at_crash << " enriched bars; out: " << out.analytics
            << " stock-analytics, " << out.intraday
            << " stock-intraday-analytics, " << out.signals
            << " stock-signals, " << out.market << " stock-market partials"
            << std::endl;
  EXPECT_EQ(out.analytics, all.histories.size());
  EXPECT_EQ(out.intraday, all.bars.size());

  absl::StatusOr<std::string> metrics = HttpGet(
      absl::StrCat("http://127.0.0.1:", second->captured[0], "/metrics"));
  ASSERT_TRUE(metrics.ok());
  EXPECT_GT(MetricValue(*metrics, "vnstream_analytics_state_records_total",
                        {{"result", "restored"}})
                .value_or(0),
            0)
      << "the restarted process restored state from the changelog";
  EXPECT_EQ(MetricValue(*metrics, "vnstream_analytics_state_records_total",
                        {{"result", "unreadable"}}),
            0);
  std::ifstream first_log(first->log_path);
  std::stringstream logs;
  logs << first_log.rdbuf() << std::ifstream(second->log_path).rdbuf();
  EXPECT_NE(logs.str().find("skipped malformed record"), std::string::npos);
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
