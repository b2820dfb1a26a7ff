// Every service accepts the config.yaml it ships, and refuses a misspelt key
// with exit code 2.
#include <sys/wait.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::vnstream::testing::Runfile;

int CheckConfig(const std::string& binary, const std::string& config) {
  auto process = Subprocess::Start(
      {.argv = {Runfile(binary), absl::StrCat("--config=", config),
                "--check_config"},
       .log_path = testing::TestTempPath("check.log")});
  EXPECT_TRUE(process.ok());
  absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(30));
  EXPECT_TRUE(status.ok());
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

TEST(ConfigCheckTest, ShippedConfigsAreValidAndTyposAreNot) {
  for (const std::string service :
       {"ingest", "analytics", "gateway", "store"}) {
    SCOPED_TRACE(service);
    const std::string binary =
        absl::StrCat("services/", service, "/vnstream-", service);
    const std::string shipped =
        Runfile(absl::StrCat("services/", service, "/config.yaml"));
    EXPECT_EQ(CheckConfig(binary, shipped), 0);
    const std::string typo = testing::TestTempPath(service + "-typo.yaml");
    std::ofstream(typo) << "kafka_brokerz: 127.0.0.1:9092\n";
    EXPECT_EQ(CheckConfig(binary, typo), 2);
    const std::string bad = testing::TestTempPath(service + "-bad.yaml");
    std::ofstream(bad) << "log_level: [not, a, level]\nkafka_brokers: {a: 1}\n";
    EXPECT_EQ(CheckConfig(binary, bad), 2);
  }
}

// The tools answer --check_config too (the images' smoke test runs it on
// every binary): vnstock-sim loads its CSV, the client parses its flags.
TEST(ConfigCheckTest, ToolsCheckTheirConfig) {
  EXPECT_EQ(CheckConfig("tools/vnstock_sim/vnstock-sim",
                        Runfile("tools/vnstock_sim/config.yaml")),
            0);
  const std::string missing_csv = testing::TestTempPath("sim-missing.yaml");
  std::ofstream(missing_csv) << "csv: /nonexistent/prices.csv\n";
  EXPECT_EQ(CheckConfig("tools/vnstock_sim/vnstock-sim", missing_csv), 2);
  const std::string typo = testing::TestTempPath("tool-typo.yaml");
  std::ofstream(typo) << "csvv: prices.csv\n";
  EXPECT_EQ(CheckConfig("tools/vnstock_sim/vnstock-sim", typo), 2);
  const std::string client = testing::TestTempPath("client.yaml");
  std::ofstream(client) << "target: 127.0.0.1:50051\n";
  EXPECT_EQ(CheckConfig("clients/cpp/vnstream-client", client), 0);
  EXPECT_EQ(CheckConfig("clients/cpp/vnstream-client", typo), 2);
}

}  // namespace
}  // namespace vnstream
