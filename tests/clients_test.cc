// The client libraries against the whole pipeline: sim -> ingest -> Kafka ->
// analytics -> gateway (GetCandles: store -> PostgreSQL, backfilled from the
// sim), then each library's own test suite with the
// gateway's address in VNSTREAM_GATEWAY (its CA in VNSTREAM_ROOT_CA, an API
// key in VNSTREAM_API_KEY):
//   Python: clients/python/tests/run_tests.sh (a fresh venv, pip install,
//           sdist, mypy --strict, pytest with the integration tests)
//   Go:     clients/go/run_tests.sh (go vet, go test, offline)
// Their output is in $TEST_UNDECLARED_OUTPUTS_DIR.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/keys.h"
#include "tests/support/postgres_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;

std::string OutputDir() {
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return outputs != nullptr ? outputs : testing::TestTempPath("");
}

// Runs `argv` with `env` added, up to `timeout`; returns its output, and
// fails the test if it does not exit 0.
std::string RunSuite(const std::string& name,
                     const std::vector<std::string>& argv,
                     std::vector<std::pair<std::string, std::string>> env,
                     absl::Duration timeout) {
  const std::string log = absl::StrCat(OutputDir(), "/", name, ".log");
  auto process =
      Subprocess::Start({.argv = argv, .env = std::move(env), .log_path = log});
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return "";
  absl::StatusOr<int> status = (*process)->Wait(timeout);
  std::stringstream out;
  out << std::ifstream(log).rdbuf();
  EXPECT_TRUE(status.ok()) << name << " timed out:\n" << out.str();
  if (status.ok()) {
    EXPECT_EQ(*status, 0) << name << " failed:\n" << out.str();
  }
  return out.str();
}

// One pipeline for every test: FPT, VCB and HPG, quotes every second. The
// sim's clock runs (10 virtual seconds a second from 09:20, so continuous
// trading lasts 13 real minutes, longer than the test may take): ingest
// publishes only quotes that changed, and the resume tests need new ones
// after they cut the connection. The newest intraday bar is then still
// being revised (though flagged final: ingest's settle rule uses its wall
// clock, the sim's bars are on 2019-06-14); the suites compare the bars
// before it only.
class ClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack;
    const std::string csv = Runfile("data/vn30/vn30-daily-2016-2019.csv");
    absl::StatusOr<ServiceProcess> sim =
        StartService("sim", "tools/vnstock_sim/vnstock-sim",
                     {absl::StrCat("--csv=", csv), "--today=2019-06-14",
                      "--start_time=09:20", "--speed=10", "--port=0"},
                     "listening on 127.0.0.1:(\\d+)");
    ASSERT_TRUE(sim.ok()) << sim.status();
    stack_->sim = *std::move(sim);
    const std::string vnstock = absl::StrCat(
        "--vnstock_url=http://127.0.0.1:", stack_->sim.captured[0], "/api/");
    const std::string brokers =
        absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers());
    absl::StatusOr<ServiceProcess> ingest = StartService(
        "ingest", "services/ingest/vnstream-ingest",
        {brokers, vnstock, "--symbols=FPT,VCB,HPG", "--ignore_market_hours",
         "--price_interval=1s", "--intraday_interval=2s",
         "--history_interval=2s", "--history_bars=120",
         "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
        "metrics :(\\d+); gRPC :(\\d+)");
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    stack_->ingest = *std::move(ingest);
    absl::StatusOr<ServiceProcess> analytics =
        StartService("analytics", "services/analytics/vnstream-analytics",
                     {brokers, "--metrics_address=127.0.0.1:0",
                      "--grpc_address=127.0.0.1:0"},
                     "metrics :(\\d+); gRPC :(\\d+)");
    ASSERT_TRUE(analytics.ok()) << analytics.status();
    stack_->analytics = *std::move(analytics);
    absl::StatusOr<testing::TestCerts> certs =
        testing::MakeTestCerts(testing::TestTempPath("certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    stack_->ca = certs->ca;
    absl::StatusOr<testing::TestKey> key =
        testing::MakeTestKey(testing::TestTempPath("keys"));
    ASSERT_TRUE(key.ok()) << key.status();
    stack_->key = key->key;
    // The history store behind GetCandles (Quote.history).
    stack_->pg = testing::StartPostgres("pg");
    ASSERT_NE(stack_->pg, nullptr);
    absl::StatusOr<ServiceProcess> store = StartService(
        "store", "services/store/vnstream-store",
        {brokers, vnstock, absl::StrCat("--store_dsn=", stack_->pg->dsn()),
         "--backfill_symbols=FPT,VCB,HPG", "--batch_wait=100ms",
         "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
        "metrics :(\\d+); gRPC :(\\d+)");
    ASSERT_TRUE(store.ok()) << store.status();
    stack_->store = *std::move(store);
    absl::StatusOr<ServiceProcess> gateway = StartService(
        "gateway", "services/gateway/vnstream-gateway",
        {brokers, vnstock,
         absl::StrCat("--store_dsn=", stack_->pg->reader_dsn()),
         "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
         absl::StrCat("--tls_cert_file=", certs->gateway_cert),
         absl::StrCat("--tls_key_file=", certs->gateway_key),
         absl::StrCat("--keys_file=", key->file)},
        "gRPC on :(\\d+), metrics on :(\\d+)");
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    stack_->gateway = *std::move(gateway);
    ASSERT_TRUE(
        testing::WaitForLog(stack_->gateway, "serving", absl::Seconds(60))
            .ok());
    ASSERT_TRUE(testing::WaitForLog(stack_->store,
                                    "backfill done: 3 of 3 symbols finished",
                                    absl::Seconds(120))
                    .ok());
    stack_->address = absl::StrCat("127.0.0.1:", stack_->gateway.captured[0]);
  }

  static void TearDownTestSuite() {
    delete stack_;  // Stops the services (ServiceProcess destructors).
    stack_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(stack_, nullptr);
    ASSERT_FALSE(stack_->address.empty()) << "the pipeline did not start";
  }

  struct Stack {
    // Declared first: stopped after the services using it.
    std::unique_ptr<postgres::LocalPostgres> pg;
    ServiceProcess sim, ingest, analytics, store, gateway;
    std::string address;
    // The CA of the gateway's certificate (PEM file), and the API key.
    std::string ca;
    std::string key;
  };
  static Stack* stack_;
};

ClientsTest::Stack* ClientsTest::stack_ = nullptr;

TEST_F(ClientsTest, PythonPackage) {
  const char* wheels = std::getenv("VNSTREAM_WHEELS");
  ASSERT_NE(wheels, nullptr) << "VNSTREAM_WHEELS unset: run scripts/setup.sh";
  const std::string out = RunSuite(
      "python",
      {Runfile("clients/python/tests/run_tests.sh"), Runfile("clients/python"),
       Runfile("proto"), Runfile("tools/python/requirements.txt")},
      {{"VNSTREAM_GATEWAY", stack_->address},
       {"VNSTREAM_ROOT_CA", stack_->ca},
       {"VNSTREAM_API_KEY", stack_->key},
       {"VNSTREAM_REQUIRE_GATEWAY", "1"},
       {"VNSTREAM_WHEELS", wheels}},
      absl::Minutes(8));
  EXPECT_THAT(out, HasSubstr("Success: no issues found"));  // mypy
  EXPECT_THAT(out,
              HasSubstr("test_stream_resumes_across_a_real_disconnect PASSED"));
  EXPECT_THAT(out, HasSubstr("test_history PASSED"));  // GetCandles.
  EXPECT_THAT(out, Not(HasSubstr(" failed")));
}

TEST_F(ClientsTest, GoModule) {
  const std::string out = RunSuite(
      "go", {Runfile("clients/go/run_tests.sh"), Runfile("clients/go")},
      {{"VNSTREAM_GATEWAY", stack_->address},
       {"VNSTREAM_ROOT_CA", stack_->ca},
       {"VNSTREAM_API_KEY", stack_->key},
       {"VNSTREAM_REQUIRE_GATEWAY", "1"}},
      absl::Minutes(3));
  EXPECT_THAT(
      out, HasSubstr("--- PASS: TestGatewaySubscriberResumesAfterDisconnect"));
  EXPECT_THAT(out, HasSubstr("--- PASS: TestGatewayQuotesAndListing"));
  EXPECT_THAT(out, Not(HasSubstr("--- FAIL")));
  EXPECT_THAT(out, Not(HasSubstr("--- SKIP")));
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
