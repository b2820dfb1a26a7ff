// grpcurl (built from the Go module proxy by scripts/setup.sh) against a
// running gateway over mutual TLS with an API key: reflection (list,
// describe), health (open without a key), a short stream subscription with
// the key and a call without one (Unauthenticated), and a client
// certificate from another CA (refused), checking what it prints (Kafka is
// empty in the first test, so the data comes from the VNStock fallback,
// vnstock-sim); then the universe ingest discovers, listed and filtered
// with ListSymbols.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/keys.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::testing::HasSubstr;
using ::vnstream::testing::Grpcurl;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;

TEST(GrpcurlTest, ListDescribeHealthAndStreamWithAKeyOverMutualTls) {
  absl::StatusOr<testing::TestCerts> certs =
      testing::MakeTestCerts(testing::TestTempPath("certs"));
  ASSERT_TRUE(certs.ok()) << certs.status();
  absl::StatusOr<testing::TestKey> key =
      testing::MakeTestKey(testing::TestTempPath("keys"));
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<ServiceProcess> sim = StartService(
      "sim", "tools/vnstock_sim/vnstock-sim",
      {absl::StrCat("--csv=", Runfile("data/vn30/vn30-daily-2016-2019.csv")),
       "--today=2019-06-14", "--start_time=10:30", "--speed=0", "--port=0"},
      "listening on 127.0.0.1:(\\d+)");
  ASSERT_TRUE(sim.ok()) << sim.status();
  absl::StatusOr<ServiceProcess> gateway = StartService(
      "gateway", "services/gateway/vnstream-gateway",
      {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
       absl::StrCat("--vnstock_url=http://127.0.0.1:", sim->captured[0],
                    "/api/"),
       "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
       absl::StrCat("--tls_cert_file=", certs->gateway_cert),
       absl::StrCat("--tls_key_file=", certs->gateway_key),
       absl::StrCat("--tls_client_ca_file=", certs->ca),
       absl::StrCat("--keys_file=", key->file), "--grpc_reflection"},
      "gRPC on :(\\d+), metrics on :(\\d+)");
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  ASSERT_TRUE(testing::WaitForLog(*gateway, "serving", absl::Seconds(60)).ok());
  const std::string address = absl::StrCat("127.0.0.1:", gateway->captured[0]);
  // Every grpcurl line: the test CA, the client certificate (mutual TLS);
  // `bearer` adds the API key.
  const std::vector<std::string> tls = {"-cacert", certs->ca,
                                        "-cert",   certs->client_cert,
                                        "-key",    certs->client_key};
  const std::vector<std::string> bearer = {
      "-H", absl::StrCat("authorization: Bearer ", key->key)};
  auto grpcurl = [&](std::vector<std::string> with,
                     const std::vector<std::string>& args) {
    with.insert(with.end(), args.begin(), args.end());
    return Grpcurl(with);
  };
  std::vector<std::string> keyed = tls;
  keyed.insert(keyed.end(), bearer.begin(), bearer.end());

  const std::string list = grpcurl(tls, {address, "list"});
  EXPECT_THAT(list, HasSubstr("vnstream.v1.MarketDataService"));
  EXPECT_THAT(list, HasSubstr("grpc.health.v1.Health"));
  EXPECT_THAT(list, HasSubstr("grpc.reflection.v1alpha.ServerReflection"));

  const std::string describe =
      grpcurl(tls, {address, "describe", "vnstream.v1.MarketDataService"});
  EXPECT_THAT(describe,
              HasSubstr("rpc SubscribeQuotes ( .vnstream.v1.SubscribeRequest ) "
                        "returns ( stream .vnstream.v1.MarketEvent );"));
  EXPECT_THAT(describe, HasSubstr("rpc GetHistory"));
  const std::string message =
      grpcurl(tls, {address, "describe", "vnstream.v1.Decimal"});
  EXPECT_THAT(message, HasSubstr("int64 units = 1;"));

  // Health is open: no key.
  EXPECT_THAT(grpcurl(tls, {address, "grpc.health.v1.Health/Check"}),
              HasSubstr("\"status\": \"SERVING\""));

  // A short subscription with the key: statuses, the fallback snapshot,
  // its end.
  const std::string stream = grpcurl(
      keyed, {"-max-time", "5", "-d", R"({"symbols": ["VIC", "FPT"]})", address,
              "vnstream.v1.MarketDataService/SubscribeQuotes"});
  EXPECT_THAT(stream, HasSubstr("\"state\": \"SYMBOL_STATE_SUBSCRIBED\""));
  EXPECT_THAT(stream, HasSubstr("\"snapshot_end\": {}"));
  EXPECT_THAT(stream, HasSubstr("\"delivery\": \"DELIVERY_VNSTOCK_FALLBACK\""));
  EXPECT_THAT(stream, HasSubstr("\"symbol\": \"VIC\""));
  EXPECT_THAT(stream, HasSubstr("\"source\": \"SOURCE_SIMULATOR\""));

  const std::string bad =
      grpcurl(keyed, {"-d", R"({"symbol": "???"})", address,
                      "vnstream.v1.MarketDataService/GetHistory"});
  EXPECT_THAT(bad, HasSubstr("Code: InvalidArgument"));

  // Without the key, or with one the gateway does not know.
  const std::string no_key =
      grpcurl(tls, {"-d", R"({"symbols": ["VIC"]})", address,
                    "vnstream.v1.MarketDataService/GetQuotes"});
  EXPECT_THAT(no_key, HasSubstr("Code: Unauthenticated"));
  EXPECT_THAT(no_key, HasSubstr("no API key"));
  absl::StatusOr<testing::TestKey> other =
      testing::MakeTestKey(testing::TestTempPath("other-keys"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_THAT(
      grpcurl(tls, {"-H", absl::StrCat("authorization: Bearer ", other->key),
                    "-d", R"({"symbols": ["VIC"]})", address,
                    "vnstream.v1.MarketDataService/GetQuotes"}),
      HasSubstr("Code: Unauthenticated"));

  // Mutual TLS: a client certificate from another CA fails the handshake,
  // key or not; so does none at all.
  absl::StatusOr<testing::TestCerts> stranger = testing::MakeTestCerts(
      testing::TestTempPath("certs-stranger"), "stranger CA");
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  std::vector<std::string> foreign = {"-cacert", certs->ca,
                                      "-cert",   stranger->client_cert,
                                      "-key",    stranger->client_key};
  foreign.insert(foreign.end(), bearer.begin(), bearer.end());
  for (const std::vector<std::string>& refused :
       {foreign, std::vector<std::string>{"-cacert", certs->ca}}) {
    const std::string out = grpcurl(
        refused, {"-max-time", "10", address, "grpc.health.v1.Health/Check"});
    EXPECT_THAT(out, ::testing::Not(HasSubstr("SERVING"))) << out;
    EXPECT_THAT(
        out, ::testing::AnyOf(HasSubstr("Failed to dial"),
                              HasSubstr("handshake"), HasSubstr("certificate")))
        << out;
  }
}

// The whole flow of the universe: vnstock-sim's listing -> ingest's
// discovery (no --symbols) -> stock-instruments and the indices' records
// -> the gateway -> grpcurl. ListSymbols filters by type, exchange and
// group; an index's history is in points, typed INDEX.
TEST(GrpcurlTest, ListSymbolsFiltersTheDiscoveredUniverse) {
  absl::StatusOr<testing::TestCerts> certs =
      testing::MakeTestCerts(testing::TestTempPath("certs-universe"));
  ASSERT_TRUE(certs.ok()) << certs.status();
  absl::StatusOr<testing::TestKey> key =
      testing::MakeTestKey(testing::TestTempPath("keys-universe"));
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string bearer = absl::StrCat("authorization: Bearer ", key->key);
  absl::StatusOr<ServiceProcess> sim = StartService(
      "sim-universe", "tools/vnstock_sim/vnstock-sim",
      {absl::StrCat("--csv=", Runfile("data/vn30/vn30-daily-2016-2019.csv")),
       "--today=2019-06-14", "--start_time=10:30", "--speed=0", "--port=0",
       "--host=127.0.0.1"},
      "listening on 127.0.0.1:(\\d+)");
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::string sim_api = absl::StrCat(
      "--vnstock_url=http://127.0.0.1:", sim->captured[0], "/api/");
  absl::StatusOr<ServiceProcess> ingest = StartService(
      "ingest-universe", "services/ingest/vnstream-ingest",
      {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
       sim_api, "--ignore_market_hours", "--price_interval=1s",
       "--intraday_interval=1h", "--history_interval=1h",
       "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
      "metrics :(\\d+); gRPC :(\\d+)");
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  ASSERT_TRUE(testing::WaitForLog(*ingest,
                                  "polling 22 securities and 5 indices",
                                  absl::Seconds(60))
                  .ok());
  absl::StatusOr<ServiceProcess> gateway = StartService(
      "gateway-universe", "services/gateway/vnstream-gateway",
      {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
       sim_api, "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
       absl::StrCat("--tls_cert_file=", certs->gateway_cert),
       absl::StrCat("--tls_key_file=", certs->gateway_key),
       absl::StrCat("--keys_file=", key->file), "--grpc_reflection"},
      "gRPC on :(\\d+), metrics on :(\\d+)");
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  ASSERT_TRUE(testing::WaitForLog(*gateway, "serving", absl::Seconds(60)).ok());
  const std::string address = absl::StrCat("127.0.0.1:", gateway->captured[0]);
  auto list = [&](const std::string& filter) {
    return Grpcurl({"-cacert", certs->ca, "-H", bearer, "-d", filter, address,
                    "vnstream.v1.MarketDataService/ListSymbols"});
  };
  auto count = [](const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  };

  // The indices, once their history (which their quotes need) is in.
  std::string indices;
  ASSERT_TRUE(PollUntil(
      [&] {
        indices = list(R"({"types": ["INSTRUMENT_TYPE_INDEX"]})");
        return count(indices, "\"has_history\": true") == 5;
      },
      absl::Seconds(90)))
      << indices;
  for (const char* index :
       {"VNINDEX", "VN30", "HNXINDEX", "HNX30", "UPCOMINDEX"}) {
    EXPECT_THAT(indices,
                HasSubstr(absl::StrCat("\"symbol\": \"", index, "\"")));
  }
  EXPECT_EQ(count(indices, "\"instrument_type\": \"INSTRUMENT_TYPE_INDEX\""),
            5);
  EXPECT_EQ(count(indices, "(simulated)"), 5);
  EXPECT_EQ(count(indices, "\"symbol\": "), 5) << "no stock among them";

  // By exchange: HNX has the two HNX indices (the sim lists stocks on HOSE).
  const std::string hnx = list(R"({"exchanges": ["EXCHANGE_HNX"]})");
  EXPECT_EQ(count(hnx, "\"symbol\": "), 2) << hnx;
  EXPECT_THAT(hnx, HasSubstr("\"symbol\": \"HNX30\""));
  EXPECT_THAT(hnx, HasSubstr("\"symbol\": \"HNXINDEX\""));

  // By group and type: the CSV's 22 stocks, all VN30 members, with the
  // listing's names.
  std::string vn30;
  ASSERT_TRUE(PollUntil(
      [&] {
        vn30 =
            list(R"({"groups": ["vn30"], "types": ["INSTRUMENT_TYPE_STOCK"]})");
        return count(vn30, "\"symbol\": ") == 22;
      },
      absl::Seconds(60)))
      << vn30;
  EXPECT_THAT(vn30, HasSubstr("\"name\": \"Cotec Construction JSC\""));
  EXPECT_EQ(count(vn30, "\"exchange\": \"EXCHANGE_HOSE\""), 22);
  EXPECT_EQ(count(vn30, "INDEX"), 0);

  // An index's daily history: points with decimals, typed INDEX.
  const std::string history =
      Grpcurl({"-cacert", certs->ca, "-H", bearer, "-d",
               R"({"symbol": "VNINDEX", "limit": 2})", address,
               "vnstream.v1.MarketDataService/GetHistory"});
  EXPECT_THAT(history,
              HasSubstr("\"instrument_type\": \"INSTRUMENT_TYPE_INDEX\""));
  EXPECT_THAT(history, HasSubstr("\"nanos\": "));
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
