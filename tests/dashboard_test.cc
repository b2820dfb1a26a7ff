// The dashboard in a real browser: sim -> ingest -> Kafka -> analytics ->
// gateway -> dashboard server -> Chromium (playwright-core), checking what
// the page shows (clients/dashboard/dashboard_test.js).
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;

TEST(DashboardTest, ShowsLiveCardsLabelsAndCharts) {
  const char* venv = std::getenv("VNSTREAM_VENV");
  ASSERT_NE(venv, nullptr) << "run scripts/setup.sh";
  const std::string csv = Runfile("data/vn30/vn30-daily-2016-2019.csv");
  absl::StatusOr<ServiceProcess> sim =
      StartService("sim", "tools/vnstock_sim/vnstock-sim",
                   {absl::StrCat("--csv=", csv), "--today=2019-06-14",
                    "--start_time=10:30", "--speed=0", "--port=0"},
                   "listening on 127.0.0.1:(\\d+)");
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::string vnstock = absl::StrCat(
      "--vnstock_url=http://127.0.0.1:", sim->captured[0], "/api/");
  const std::string brokers =
      absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers());
  absl::StatusOr<ServiceProcess> ingest = StartService(
      "ingest", "services/ingest/vnstream-ingest",
      {brokers, vnstock, "--symbols=FPT,VCB,HPG", "--ignore_market_hours",
       "--price_interval=1s", "--intraday_interval=2s", "--history_interval=2s",
       "--history_bars=120", "--metrics_address=127.0.0.1:0",
       "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  absl::StatusOr<ServiceProcess> analytics = StartService(
      "analytics", "services/analytics/vnstream-analytics",
      {brokers, "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
  ASSERT_TRUE(analytics.ok()) << analytics.status();
  absl::StatusOr<ServiceProcess> gateway =
      StartService("gateway", "services/gateway/vnstream-gateway",
                   {brokers, vnstock, "--grpc_address=127.0.0.1:0",
                    "--metrics_address=127.0.0.1:0"},
                   "gRPC on :(\\d+), metrics on :(\\d+)");
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  ASSERT_TRUE(testing::WaitForLog(*gateway, "serving", absl::Seconds(60)).ok());

  // The dashboard server is a Python program of the venv (grpcio) using the
  // vnstream package, built from this checkout into a directory of its own.
  const std::string server = Runfile("clients/dashboard/server.py");
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string log_dir =
      outputs != nullptr ? outputs : testing::TestTempPath("");
  const std::string python_path = testing::TestTempPath("python");
  {
    auto install = Subprocess::Start(
        {.argv = {Runfile("clients/python/install.sh"),
                  absl::StrCat(venv, "/bin/python"), python_path},
         .log_path = absl::StrCat(log_dir, "/install.log")});
    ASSERT_TRUE(install.ok()) << install.status();
    absl::StatusOr<int> status = (*install)->Wait(absl::Seconds(180));
    ASSERT_TRUE(status.ok() && *status == 0)
        << "clients/python/install.sh failed; see install.log";
  }
  ServiceProcess dashboard;
  dashboard.log_path = absl::StrCat(log_dir, "/dashboard.log");
  auto process = Subprocess::Start(
      {.argv = {absl::StrCat(venv, "/bin/python"), server,
                absl::StrCat("--gateway=127.0.0.1:", gateway->captured[0]),
                "--port=0"},
       .env = {{"PYTHONPATH", python_path}},
       .log_path = dashboard.log_path});
  ASSERT_TRUE(process.ok()) << process.status();
  dashboard.process = *std::move(process);
  absl::StatusOr<std::vector<std::string>> url = testing::WaitForLog(
      dashboard, "dashboard on (http://[0-9.:]+/)", absl::Seconds(60));
  ASSERT_TRUE(url.ok()) << url.status();

  const std::string browser_log = absl::StrCat(log_dir, "/browser.log");
  auto browser = Subprocess::Start(
      {.argv = {"node", Runfile("clients/dashboard/dashboard_test.js"),
                (*url)[0], absl::StrCat(log_dir, "/dashboard.png")},
       .log_path = browser_log});
  ASSERT_TRUE(browser.ok()) << browser.status();
  absl::StatusOr<int> status = (*browser)->Wait(absl::Seconds(180));
  std::stringstream out;
  out << std::ifstream(browser_log).rdbuf();
  ASSERT_TRUE(status.ok()) << "browser test timed out: " << out.str();
  EXPECT_EQ(*status, 0) << out.str();
  EXPECT_NE(out.str().find("PASS:"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
