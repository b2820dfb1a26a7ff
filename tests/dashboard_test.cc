// The dashboard in a real browser: sim -> ingest -> Kafka -> analytics ->
// gateway (GetCandles: store -> PostgreSQL) -> dashboard server (HTTPS,
// password sign-in) -> Chromium (playwright-core), checking that a browser
// that has not signed in gets nothing, then what the page shows against what
// the gateway serves, the watch list, the language switch, not-found and the
// disconnected state (clients/dashboard/dashboard_test.js). Screenshots and
// logs are test outputs.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/keys.h"
#include "tests/support/postgres_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;

TEST(DashboardTest, ShowsWhatTheGatewayServes) {
  const char* venv = std::getenv("VNSTREAM_VENV");
  ASSERT_NE(venv, nullptr) << "run scripts/setup.sh";
  absl::StatusOr<testing::TestCerts> certs =
      testing::MakeTestCerts(testing::TestTempPath("certs"));
  ASSERT_TRUE(certs.ok()) << certs.status();
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
       "--history_bars=260", "--metrics_address=127.0.0.1:0",
       "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  absl::StatusOr<ServiceProcess> analytics = StartService(
      "analytics", "services/analytics/vnstream-analytics",
      {brokers, "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
  ASSERT_TRUE(analytics.ok()) << analytics.status();
  // The history store behind GetCandles (the page's 1M..5Y ranges):
  // PostgreSQL, the store backfilling FPT's daily bars from the sim's CSV
  // (2016-2019), the gateway reading it.
  std::unique_ptr<postgres::LocalPostgres> pg = testing::StartPostgres("pg");
  ASSERT_NE(pg, nullptr);
  absl::StatusOr<ServiceProcess> store = StartService(
      "store", "services/store/vnstream-store",
      {brokers, vnstock, absl::StrCat("--store_dsn=", pg->dsn()),
       "--backfill_symbols=FPT", "--batch_wait=100ms",
       "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
  ASSERT_TRUE(store.ok()) << store.status();
  // The dashboard's own API key (a file, as a Kubernetes Secret is).
  absl::StatusOr<testing::TestKey> key =
      testing::MakeTestKey(testing::TestTempPath("keys"), "dashboard");
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string key_file = testing::TestTempPath("dashboard.key");
  std::ofstream(key_file) << key->key << "\n";
  absl::StatusOr<ServiceProcess> gateway = StartService(
      "gateway", "services/gateway/vnstream-gateway",
      {brokers, vnstock, absl::StrCat("--store_dsn=", pg->reader_dsn()),
       "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
       absl::StrCat("--tls_cert_file=", certs->gateway_cert),
       absl::StrCat("--tls_key_file=", certs->gateway_key),
       absl::StrCat("--keys_file=", key->file)},
      "gRPC on :(\\d+), metrics on :(\\d+)");
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  ASSERT_TRUE(testing::WaitForLog(*gateway, "serving", absl::Seconds(60)).ok());
  ASSERT_TRUE(testing::WaitForLog(*store,
                                  "backfill done: 1 of 1 symbols finished",
                                  absl::Seconds(120))
                  .ok());

  // The browser test starts the dashboard server (a Python program of the
  // venv using the vnstream package, built from this checkout into a
  // directory of its own) itself, to kill and restart it, and reads the
  // gateway's values with grpcurl to compare the page with.
  const char* grpcurl = std::getenv("VNSTREAM_GRPCURL");
  ASSERT_NE(grpcurl, nullptr) << "run scripts/setup.sh";
  const std::string gateway_address =
      absl::StrCat("127.0.0.1:", gateway->captured[0]);
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
  // The operator's sign-in password, in a file as a Kubernetes Secret is.
  const std::string password = "correct horse battery staple";
  const std::string password_file = testing::TestTempPath("password");
  std::ofstream(password_file) << password << "\n";
  const std::string proto = Runfile("proto/vnstream/v1/market_data.proto");
  const std::string browser_log = absl::StrCat(log_dir, "/browser.log");
  auto browser = Subprocess::Start(
      {.argv = {"node", Runfile("clients/dashboard/dashboard_test.js"), log_dir,
                "--", absl::StrCat(venv, "/bin/python"),
                Runfile("clients/dashboard/server.py"),
                absl::StrCat("--gateway=", gateway_address),
                absl::StrCat("--gateway_ca=", certs->ca),
                absl::StrCat("--api_key_file=", key_file),
                absl::StrCat("--tls_cert=", certs->dashboard_cert),
                absl::StrCat("--tls_key=", certs->dashboard_key),
                absl::StrCat("--password_file=", password_file)},
       .env = {{"PYTHONPATH", python_path},
               {"GRPCURL", grpcurl},
               {"GRPCURL_ARGS",
                absl::StrCat("[\"-cacert\", \"", certs->ca,
                             "\", \"-H\", \"authorization: Bearer ", key->key,
                             "\"]")},
               {"DASHBOARD_PASSWORD", password},
               {"GATEWAY", gateway_address},
               {"SIM_URL", absl::StrCat("http://127.0.0.1:", sim->captured[0])},
               {"PROTO_ROOT",
                proto.substr(0, proto.size() -
                                    strlen("/vnstream/v1/market_data.proto"))}},
       .log_path = browser_log});
  ASSERT_TRUE(browser.ok()) << browser.status();
  absl::StatusOr<int> status = (*browser)->Wait(absl::Seconds(600));
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
