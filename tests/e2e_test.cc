// The whole pipeline, as it runs in production, on one machine, with
// security on (Kafka SASL_SSL with a user per service, gateway TLS):
//   vnstock-sim -> ingest -> Kafka -> analytics -> Kafka -> gateway -> gRPC
// and Prometheus scraping the three services. Checks exact values against
// the CSV and the indicator library, snapshot-then-live order, sequence
// continuity, delivery/source labels, the VNStock fallback, and a graceful
// gateway shutdown.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clients/cpp/market_data_client.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/indicators/indicators.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/keys.h"
#include "tests/support/service_process.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream {
namespace {

using ::vnstream::testing::HttpGet;
using ::vnstream::testing::HttpPost;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;
// The gateway serves TLS with a certificate of this test's own CA.
testing::TestCerts* certs = nullptr;
// The API key every client of the test's gateways sends.
testing::TestKey* key = nullptr;

constexpr char kCsv[] = "data/vn30/vn30-daily-2016-2019.csv";

struct Stack {
  ServiceProcess sim;
  ServiceProcess ingest;
  ServiceProcess analytics;
  ServiceProcess gateway;
  std::string sim_url;
  std::string gateway_address;
};

std::vector<std::string> Args(std::vector<std::string> a,
                              const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

absl::StatusOr<ServiceProcess> StartSim(const std::string& name) {
  return StartService(
      name, "tools/vnstock_sim/vnstock-sim",
      {absl::StrCat("--csv=", Runfile(kCsv)), "--today=2019-06-14",
       "--start_time=10:30", "--speed=0", "--port=0", "--host=127.0.0.1"},
      "listening on 127.0.0.1:(\\d+)");
}

// `args`: more flags (the Kafka login).
absl::StatusOr<ServiceProcess> StartGateway(
    const std::string& name, const std::string& brokers,
    const std::string& sim_port, std::vector<std::string> args = {}) {
  return StartService(
      name, "services/gateway/vnstream-gateway",
      Args(std::move(args),
           {absl::StrCat("--kafka_brokers=", brokers),
            absl::StrCat("--vnstock_url=http://127.0.0.1:", sim_port, "/api/"),
            "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
            "--shutdown_grace=2s",
            absl::StrCat("--tls_cert_file=", certs->gateway_cert),
            absl::StrCat("--tls_key_file=", certs->gateway_key),
            absl::StrCat("--keys_file=", key->file)}),
      "gRPC on :(\\d+), metrics on :(\\d+)");
}

// A TLS channel to the gateway, trusting the test's CA, with the key.
std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      client::MakeChannel(address, {.ca_file = certs->ca, .api_key = key->key});
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *channel : nullptr;
}

// Every call and stream has a deadline: a stuck gateway fails the test
// instead of hanging it until Bazel's timeout.
std::unique_ptr<grpc::ClientContext> Context(
    absl::Duration deadline = absl::Seconds(20)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

bool WaitServing(const std::string& address) {
  auto stub = grpc::health::v1::Health::NewStub(Channel(address));
  return PollUntil(
      [&] {
        grpc::health::v1::HealthCheckResponse response;
        return stub->Check(Context(absl::Seconds(2)).get(), {}, &response)
                   .ok() &&
               response.status() ==
                   grpc::health::v1::HealthCheckResponse::SERVING;
      },
      absl::Seconds(60), absl::Milliseconds(200));
}

class E2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack();
    absl::StatusOr<ServiceProcess> sim = StartSim("sim");
    ASSERT_TRUE(sim.ok()) << sim.status();
    stack_->sim = *std::move(sim);
    stack_->sim_url =
        absl::StrCat("http://127.0.0.1:", stack_->sim.captured[0]);
    absl::StatusOr<ServiceProcess> ingest = StartService(
        "ingest", "services/ingest/vnstream-ingest",
        Args(kafka_env->LoginFlags("ingest"),
             {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
              absl::StrCat("--vnstock_url=", stack_->sim_url, "/api/"),
              "--symbols=FPT,VCB,HPG", "--ignore_market_hours",
              "--price_interval=1s", "--intraday_interval=1s",
              "--history_interval=1s", "--history_bars=100",
              "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"}),
        "metrics :(\\d+); gRPC :(\\d+)");
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    stack_->ingest = *std::move(ingest);
    absl::StatusOr<ServiceProcess> analytics = StartService(
        "analytics", "services/analytics/vnstream-analytics",
        Args(kafka_env->LoginFlags("analytics"),
             {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
              "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"}),
        "metrics :(\\d+); gRPC :(\\d+)");
    ASSERT_TRUE(analytics.ok()) << analytics.status();
    stack_->analytics = *std::move(analytics);
    // History records exist before the gateway starts: it must catch up on
    // them before it reports SERVING.
    ASSERT_TRUE(testing::WaitForLog(stack_->ingest,
                                    "history poll ok: fetched 8, published 8",
                                    absl::Seconds(60))
                    .ok());
    absl::StatusOr<ServiceProcess> gateway =
        StartGateway("gateway", kafka_env->bootstrap_servers(),
                     stack_->sim.captured[0], kafka_env->LoginFlags("gateway"));
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    stack_->gateway = *std::move(gateway);
    stack_->gateway_address =
        absl::StrCat("127.0.0.1:", stack_->gateway.captured[0]);
    ASSERT_TRUE(WaitServing(stack_->gateway_address))
        << stack_->gateway.log_path;
  }
  static void TearDownTestSuite() {
    delete stack_;  // Each ServiceProcess terminates its process.
    stack_ = nullptr;
  }

  std::unique_ptr<v1::MarketDataService::Stub> Stub() {
    return v1::MarketDataService::NewStub(Channel(stack_->gateway_address));
  }
  static void SetSimClock(const std::string& time) {
    ASSERT_TRUE(HttpPost(stack_->sim_url + "/sim/clock",
                         absl::StrCat(R"({"time":")", time, R"("})"))
                    .ok());
  }

  static Stack* stack_;
};

Stack* E2eTest::stack_ = nullptr;

TEST_F(E2eTest, HistoryWithIndicatorsMatchesTheCsvAndTheLibrary) {
  absl::StatusOr<market::DailyData> csv = market::LoadDailyCsv(Runfile(kCsv));
  ASSERT_TRUE(csv.ok()) << csv.status();
  const market::SymbolHistory* fpt = nullptr;
  for (const market::SymbolHistory& history : csv->symbols) {
    if (history.symbol == "FPT") fpt = &history;
  }
  ASSERT_NE(fpt, nullptr);
  std::map<absl::CivilDay, int64_t> closes;
  for (const market::DailyBar& bar : fpt->bars) closes[bar.date] = bar.close;
  auto stub = Stub();
  v1::GetHistoryRequest request;
  request.set_symbol("FPT");
  v1::GetHistoryResponse response;
  // Analytics' record may trail ingest's by a moment: until it arrives the
  // history is served with its indicators PENDING.
  ASSERT_TRUE(PollUntil(
      [&] {
        return stub->GetHistory(Context().get(), request, &response).ok() &&
               response.history().bars_size() == 100 &&
               response.indicators_state() == v1::INDICATORS_STATE_ANALYTICS;
      },
      absl::Seconds(60)))
      << v1::IndicatorsState_Name(response.indicators_state());
  EXPECT_EQ(response.delivery(), v1::DELIVERY_KAFKA);
  const v1::EnrichedHistory& h = response.history();
  EXPECT_EQ(h.meta().source(), v1::SOURCE_SIMULATOR);
  EXPECT_EQ(market::ToCivilDay(h.meta().trading_date()),
            absl::CivilDay(2019, 6, 14));
  for (int i = 0; i + 1 < h.bars_size(); ++i) {
    const v1::DailyBar& bar = h.bars(i).bar();
    const absl::CivilDay day = market::ToCivilDay(bar.date());
    ASSERT_EQ(bar.close().units(), closes.at(day)) << day;
  }
  // Exactly the shared library's numbers for exactly these bars.
  v1::DailyHistory raw;
  *raw.mutable_meta() = h.meta();
  for (const v1::EnrichedBar& b : h.bars()) *raw.add_bars() = b.bar();
  v1::EnrichedHistory expected;
  ASSERT_TRUE(indicators::Enrich(raw, indicators::Params(), &expected).ok());
  for (int i = 0; i < h.bars_size(); ++i) {
    ASSERT_EQ(h.bars(i).indicators().SerializeAsString(),
              expected.bars(i).indicators().SerializeAsString())
        << "bar " << i;
  }
  EXPECT_TRUE(h.bars(99).indicators().has_sma_medium());
  EXPECT_FALSE(h.bars(99).indicators().has_sma_long()) << "100 bars < 200";
  EXPECT_TRUE(h.performance().has_sharpe_ratio());
}

TEST_F(E2eTest, QuoteStreamIsSnapshotThenLiveWithContinuousSequences) {
  auto channel = Channel(stack_->gateway_address);
  auto stub = v1::MarketDataService::NewStub(channel);
  auto context = Context(absl::Seconds(60));
  v1::SubscribeRequest request;
  request.add_symbols("FPT");
  request.add_symbols("VCB");
  auto reader = stub->SubscribeQuotes(context.get(), request);
  std::vector<v1::MarketEvent> events;
  v1::MarketEvent event;
  std::map<std::string, uint64_t> snapshot_seq;
  bool snapshot_done = false;
  while (reader->Read(&event)) {
    events.push_back(event);
    if (event.has_quote()) {
      EXPECT_EQ(event.snapshot(), !snapshot_done)
          << "snapshot events come before SnapshotEnd";
      EXPECT_EQ(event.delivery(), v1::DELIVERY_KAFKA);
      EXPECT_EQ(event.quote().meta().source(), v1::SOURCE_SIMULATOR);
      const std::string& symbol = event.quote().meta().symbol();
      if (event.snapshot()) {
        snapshot_seq[symbol] = event.quote().meta().seq();
      } else {
        EXPECT_EQ(event.quote().meta().seq(), snapshot_seq[symbol] + 1)
            << symbol << ": live continues the snapshot's sequence";
        snapshot_seq[symbol] = event.quote().meta().seq();
      }
    }
    if (event.has_snapshot_end()) {
      snapshot_done = true;
      ASSERT_EQ(snapshot_seq.size(), 2u);
      SetSimClock(
          "10:45");  // New prices: ingest publishes, the stream gets them.
    }
    int live = 0;
    for (const auto& e : events) live += e.has_quote() && !e.snapshot();
    if (live >= 2) break;
  }
  context->TryCancel();
  reader->Finish();
  ASSERT_TRUE(snapshot_done);
  EXPECT_EQ(events[0].status().state(), v1::SYMBOL_STATE_SUBSCRIBED);
  EXPECT_EQ(events[1].status().state(), v1::SYMBOL_STATE_SUBSCRIBED);
}

TEST_F(E2eTest, FallbackLabelsSymbolsIngestDoesNotTrack) {
  auto stub = Stub();
  v1::GetQuotesRequest request;
  request.add_symbols("MSN");  // In the sim's CSV; not ingested.
  request.add_symbols("FPT");
  request.add_symbols("ZZZZ");
  v1::GetQuotesResponse response;
  ASSERT_TRUE(stub->GetQuotes(Context().get(), request, &response).ok());
  ASSERT_EQ(response.items_size(), 2);
  std::map<std::string, v1::Delivery> delivery;
  for (const auto& item : response.items()) {
    delivery[item.quote().meta().symbol()] = item.delivery();
    EXPECT_EQ(item.quote().meta().source(), v1::SOURCE_SIMULATOR);
  }
  EXPECT_EQ(delivery["MSN"], v1::DELIVERY_VNSTOCK_FALLBACK);
  EXPECT_EQ(delivery["FPT"], v1::DELIVERY_KAFKA);
  ASSERT_EQ(response.missing_size(), 1);
  EXPECT_EQ(response.missing(0).state(), v1::SYMBOL_STATE_NOT_FOUND);
}

TEST_F(E2eTest, PrometheusScrapesEveryService) {
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok());
  const std::string dir = testing::TestTempPath("prometheus");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n"
      << "scrape_configs:\n"
      << "  - job_name: ingest\n    static_configs: [{targets: ['127.0.0.1:"
      << stack_->ingest.captured[0] << "']}]\n"
      << "  - job_name: analytics\n    static_configs: [{targets: ['127.0.0.1:"
      << stack_->analytics.captured[0] << "']}]\n"
      << "  - job_name: gateway\n    static_configs: [{targets: ['127.0.0.1:"
      << stack_->gateway.captured[1] << "']}]\n";
  absl::StatusOr<std::unique_ptr<Subprocess>> prometheus = Subprocess::Start(
      {.argv = {"prometheus",
                absl::StrCat("--config.file=", dir, "/prometheus.yml"),
                absl::StrCat("--storage.tsdb.path=", dir, "/data"),
                absl::StrCat("--web.listen-address=127.0.0.1:", *port)},
       .log_path = dir + "/prometheus.log"});
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  const std::string api =
      absl::StrCat("http://127.0.0.1:", *port, "/api/v1/query?query=");
  auto query = [&](const std::string& promql) {
    absl::StatusOr<std::string> body = HttpGet(api + promql);
    return body.ok() ? *body : std::string();
  };
  EXPECT_TRUE(PollUntil(
      [&] { return query("sum(up)").find("\"3\"") != std::string::npos; },
      absl::Seconds(60)))
      << query("up");
  EXPECT_TRUE(PollUntil(
      [&] {
        return query("sum(vnstream_ingest_records_produced_total)")
                       .find("\"value\"") != std::string::npos &&
               query("sum(vnstream_analytics_records_out_total)>0")
                       .find("\"value\"") != std::string::npos &&
               query("sum(grpc_server_handled_total)").find("\"value\"") !=
                   std::string::npos;
      },
      absl::Seconds(60)));
}

// Runs last (gtest runs tests in order of definition): restarts the
// gateway. SIGTERM ends open streams with UNAVAILABLE and the process exits
// cleanly; a resuming client reconnects to the new gateway (which rebuilt
// its cache from Kafka) with since_seq and gets every bar version exactly
// once, with no gap.
TEST_F(E2eTest, ZGatewayRestartGracefulShutdownAndResume) {
  client::ResumingSubscription subscription(
      Channel(stack_->gateway_address),
      {.channel = v1::CHANNEL_INTRADAY_BARS,
       .symbols = {"HPG"},
       .initial_backoff = absl::Milliseconds(100),
       .max_backoff = absl::Milliseconds(500)});
  absl::Mutex mu;
  std::map<std::pair<int64_t, uint32_t>, int> versions;
  std::vector<uint64_t> seqs;
  int snapshot_ends = 0;
  std::thread runner([&] {
    (void)subscription.Run([&](const v1::MarketEvent& e) {
      absl::MutexLock lock(&mu);
      if (e.has_bar()) {
        ++versions[{e.bar().start_time().seconds(), e.bar().revision()}];
        seqs.push_back(e.bar().meta().seq());
      }
      if (e.has_snapshot_end()) ++snapshot_ends;
    });
  });
  auto ends = [&] {
    absl::MutexLock lock(&mu);
    return snapshot_ends;
  };
  ASSERT_TRUE(PollUntil([&] { return ends() >= 1; }, absl::Seconds(30)));

  // A plain stream sees the shutdown as UNAVAILABLE.
  auto stub = Stub();
  auto context = Context(absl::Seconds(60));
  v1::SubscribeRequest request;
  request.add_symbols("FPT");
  auto reader = stub->SubscribeQuotes(context.get(), request);
  v1::MarketEvent event;
  while (reader->Read(&event) && !event.has_snapshot_end()) {
  }
  ASSERT_TRUE(stack_->gateway.process->Signal(SIGTERM).ok());
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  absl::StatusOr<int> status = stack_->gateway.process->Wait(absl::Seconds(15));
  ASSERT_TRUE(status.ok()) << "the gateway did not exit";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);

  // New prices while no gateway runs; then a new gateway on the same port.
  SetSimClock("11:00");
  absl::StatusOr<ServiceProcess> gateway = StartService(
      "gateway-2", "services/gateway/vnstream-gateway",
      Args(kafka_env->LoginFlags("gateway"),
           {absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
            absl::StrCat("--vnstock_url=", stack_->sim_url, "/api/"),
            absl::StrCat("--grpc_address=", stack_->gateway_address),
            "--metrics_address=127.0.0.1:0",
            absl::StrCat("--tls_cert_file=", certs->gateway_cert),
            absl::StrCat("--tls_key_file=", certs->gateway_key),
            absl::StrCat("--keys_file=", key->file)}),
      "gRPC on :(\\d+), metrics on :(\\d+)");
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  stack_->gateway = *std::move(gateway);
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::MutexLock lock(&mu);
        return versions.size() >= 75 + 30;  // 09:15 .. 10:59 at least.
      },
      absl::Seconds(90)));
  subscription.Cancel();
  runner.join();
  EXPECT_GE(subscription.reconnects(), 1);
  absl::MutexLock lock(&mu);
  for (const auto& [version, count] : versions) {
    EXPECT_EQ(count, 1) << "bar " << version.first << " revision "
                        << version.second;
  }
  for (size_t i = 1; i < seqs.size(); ++i) {
    EXPECT_EQ(seqs[i], seqs[i - 1] + 1) << "a gap or a repeat at #" << i;
  }
}

// Kafka has nothing at all (a fresh broker): everything comes from VNStock.
TEST(E2eFallbackTest, EmptyKafkaServesEverythingFromVnstock) {
  absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> empty =
      kafka::LocalKafka::Start(
          {.work_dir = testing::TestTempPath("empty-kafka")});
  ASSERT_TRUE(empty.ok()) << empty.status();
  absl::StatusOr<ServiceProcess> sim = StartSim("sim-fallback");
  ASSERT_TRUE(sim.ok()) << sim.status();
  absl::StatusOr<ServiceProcess> gateway = StartGateway(
      "gateway-fallback", (*empty)->bootstrap_servers(), sim->captured[0]);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const std::string address = absl::StrCat("127.0.0.1:", gateway->captured[0]);
  ASSERT_TRUE(WaitServing(address));
  auto stub = v1::MarketDataService::NewStub(Channel(address));

  v1::GetHistoryRequest history;
  history.set_symbol("VIC");
  v1::GetHistoryResponse history_response;
  ASSERT_TRUE(
      stub->GetHistory(Context().get(), history, &history_response).ok());
  EXPECT_EQ(history_response.delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
  EXPECT_EQ(history_response.indicators_state(), v1::INDICATORS_STATE_GATEWAY);
  EXPECT_GT(history_response.history().bars_size(), 200);
  EXPECT_TRUE(
      history_response.history().bars().rbegin()->indicators().has_sma_long());

  auto stream_context = Context(absl::Seconds(60));
  v1::SubscribeRequest request;
  request.add_symbols("VIC");
  request.add_symbols("NOPE");
  auto reader = stub->SubscribeQuotes(stream_context.get(), request);
  v1::MarketEvent event;
  bool got_quote = false;
  bool got_not_found = false;
  while ((!got_quote || !got_not_found) && reader->Read(&event)) {
    if (event.has_quote()) {
      EXPECT_EQ(event.delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
      EXPECT_EQ(event.quote().meta().source(), v1::SOURCE_SIMULATOR);
      got_quote = true;
    }
    if (event.has_status() && event.status().symbol() == "NOPE" &&
        event.status().state() == v1::SYMBOL_STATE_NOT_FOUND) {
      got_not_found = true;
    }
  }
  stream_context->TryCancel();
  reader->Finish();
  EXPECT_TRUE(got_quote);
  EXPECT_TRUE(got_not_found);
}

}  // namespace
}  // namespace vnstream

// Security on, as in production: Kafka SASL_SSL with each service's own
// user, the gateway over TLS.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  absl::StatusOr<vnstream::testing::TestCredentials> credentials =
      vnstream::testing::MakeTestCredentials(
          vnstream::testing::TestTempPath("certs"),
          vnstream::testing::TestTempPath("keys"));
  if (!credentials.ok()) {
    std::fprintf(stderr, "%s\n", credentials.status().ToString().c_str());
    return 1;
  }
  vnstream::certs = new vnstream::testing::TestCerts(credentials->certs);
  vnstream::key = new vnstream::testing::TestKey(credentials->key);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install(
      1, vnstream::kafka::KafkaSecurity{
             .keystore_file = credentials->certs.kafka_keystore,
             .ca_file = credentials->certs.ca});
  return RUN_ALL_TESTS();
}
