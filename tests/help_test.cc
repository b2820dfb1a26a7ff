// Every binary's --help lists its own settings (not Abseil's "No flags
// matched"), with defaults, and says where the environment and YAML forms
// come from; it exits 0 without starting anything.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vnstream::testing::Runfile;

struct HelpCase {
  std::string binary;  // Runfiles path.
  std::vector<std::string> expected;
};

TEST(HelpTest, EveryBinaryListsItsSettings) {
  const std::vector<HelpCase> cases = {
      {"services/gateway/vnstream-gateway",
       {"vnstream-gateway (services/gateway):", "--grpc_address=0.0.0.0:50051",
        "--fallback=true", "--fallback_poll_quotes=10s",
        "Kafka (libs/kafka):", "--kafka_brokers=127.0.0.1:9092",
        "VNStock (VCI) client (libs/vnstock):", "--vnstock_url=https://",
        "Indicators (libs/indicators):", "--indicator_rsi=14"}},
      {"services/ingest/vnstream-ingest",
       {"vnstream-ingest (services/ingest):", "--symbols=\"\"",
        "--universe_exchanges=HOSE,HNX,UPCOM", "--indices=VNINDEX,",
        "--price_interval=10s", "--intraday_interval=1m",
        "--history_interval=5m", "--ignore_market_hours=false",
        "--vnstock_url=https://", "--kafka_brokers=", "--holidays="}},
      {"services/analytics/vnstream-analytics",
       {"vnstream-analytics (services/analytics):", "--transactional_id=",
        "--grpc_address=0.0.0.0:50053",
        "--kafka_brokers=", "--indicator_sma_short=20"}},
      {"services/store/vnstream-store",
       {"vnstream-store (services/store):", "--batch_rows=5000",
        "--batch_wait=500ms", "--kafka_brokers="}},
      {"tools/vnstock_sim/vnstock-sim",
       {"vnstock-sim (tools/vnstock_sim):", "--start_time=", "--speed=1",
        "--port=8765", "--faults="}},
      {"tools/kafka/vnstream-kafka",
       {"vnstream-kafka (tools/kafka):", "--dir=", "--port=0",
        "--max_heap=768m"}},
      {"tools/kafka/vnstream-kafka-topics",
       {"vnstream-kafka-topics (tools/kafka):", "--replication_factor=1",
        "--timeout=5m", "Kafka (libs/kafka):", "--kafka_brokers="}},
      {"tools/postgres/vnstream-postgres",
       {"vnstream-postgres (tools/postgres):", "--dir=", "--port=0",
        "--database=vnstream"}},
      {"clients/cpp/vnstream-client",
       {"vnstream-client (clients/cpp):", "--target=127.0.0.1:50051",
        "--deadline=10s"}},
  };
  for (const HelpCase& c : cases) {
    for (const std::string flag : {"--help", "-h"}) {
      SCOPED_TRACE(c.binary + " " + flag);
      const std::string log = testing::TestTempPath("help.log");
      std::remove(log.c_str());
      auto process = Subprocess::Start(
          {.argv = {Runfile(c.binary), flag}, .log_path = log});
      ASSERT_TRUE(process.ok()) << process.status();
      absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(30));
      ASSERT_TRUE(status.ok()) << status.status();
      EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
      std::stringstream text;
      text << std::ifstream(log).rdbuf();
      const std::string help = text.str();
      for (const std::string& expected : c.expected) {
        EXPECT_THAT(help, HasSubstr(expected));
      }
      EXPECT_THAT(
          help,
          AllOf(
              HasSubstr("--config=\"\""), HasSubstr("VNSTREAM_<NAME>"),
              HasSubstr("--config=FILE.yaml"),
              HasSubstr("Precedence: flag > environment > YAML file > default"),
              Not(HasSubstr("No flags matched")),
              Not(HasSubstr("--flagfile"))));
    }
  }
}

}  // namespace
}  // namespace vnstream
