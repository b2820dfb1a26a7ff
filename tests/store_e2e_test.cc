// The history path end to end, as it runs locally:
//   vnstock-sim -> ingest -> Kafka -> store -> PostgreSQL -> gateway
//   GetCandles -> grpcurl
// with the store's start-up backfill (years of daily bars from vnstock-sim)
// meeting the streamed bars. Checks candles of every kind against the CSV
// and against vnstock-sim's own 1-minute bars, indicators with their
// lookback, paging, and that a PostgreSQL outage makes GetCandles
// UNAVAILABLE while a live stream goes on. Security on, as in production:
// Kafka SASL_SSL with each service's own user, the gateway over TLS.
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/market_data_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "rapidjson/document.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/keys.h"
#include "tests/support/postgres_environment.h"
#include "tests/support/service_process.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream {
namespace {

using ::testing::HasSubstr;
using ::vnstream::testing::Grpcurl;
using ::vnstream::testing::HttpPost;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;
testing::TestCerts* certs = nullptr;
// The API key every client of the test's gateway sends.
testing::TestKey* key = nullptr;

// grpcurl's header with the key.
std::string Bearer() {
  return absl::StrCat("authorization: Bearer ", key->key);
}

std::vector<std::string> Args(std::vector<std::string> a,
                              const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr char kCsv[] = "data/vn30/vn30-daily-2016-2019.csv";
constexpr char kGetCandles[] = "vnstream.v1.MarketDataService/GetCandles";

// As protobuf's JSON writes a Timestamp: UTC, "Z".
std::string Rfc3339(absl::CivilMinute local) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromCivil(local, market::VietnamTime()),
                          absl::UTCTimeZone());
}
std::string Rfc3339(absl::CivilDay local) {
  return Rfc3339(absl::CivilMinute(local));
}

// A GetCandles request as grpcurl's JSON.
std::string CandlesJson(const std::string& symbol, const std::string& start,
                        const std::string& end, const std::string& interval,
                        const std::string& extra = "") {
  return absl::StrCat(R"({"symbol": ")", symbol, R"(", "start": ")", start,
                      R"(", "end": ")", end, R"(", "interval": "BAR_INTERVAL_)",
                      interval, "\"", extra, "}");
}

int64_t Units(const rapidjson::Value& decimal) {
  int64_t units = 0;
  if (decimal.HasMember("units")) {
    (void)absl::SimpleAtoi(decimal["units"].GetString(), &units);
  }
  return units;
}

int64_t Int(const rapidjson::Value& v, const char* name) {
  int64_t out = 0;
  if (v.HasMember(name)) (void)absl::SimpleAtoi(v[name].GetString(), &out);
  return out;
}

struct Stack {
  std::unique_ptr<postgres::LocalPostgres> pg;
  ServiceProcess sim, ingest, store, gateway;
  std::string sim_url;
  std::string gateway_address;
};

class StoreE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<market::DailyData> csv = market::LoadDailyCsv(Runfile(kCsv));
    ASSERT_TRUE(csv.ok()) << csv.status();
    for (const market::SymbolHistory& h : csv->symbols) {
      if (h.symbol == "FPT") fpt_ = new market::SymbolHistory(h);
    }
    ASSERT_NE(fpt_, nullptr);
    stack_ = new Stack();
    stack_->pg = testing::StartPostgres("pg");
    ASSERT_NE(stack_->pg, nullptr);
    absl::StatusOr<ServiceProcess> sim = StartService(
        "sim", "tools/vnstock_sim/vnstock-sim",
        {absl::StrCat("--csv=", Runfile(kCsv)), "--today=2019-06-14",
         "--start_time=10:30", "--speed=0", "--port=0", "--host=127.0.0.1"},
        "listening on 127.0.0.1:(\\d+)");
    ASSERT_TRUE(sim.ok()) << sim.status();
    stack_->sim = *std::move(sim);
    stack_->sim_url =
        absl::StrCat("http://127.0.0.1:", stack_->sim.captured[0]);
    const std::string brokers =
        absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers());
    const std::string vnstock =
        absl::StrCat("--vnstock_url=", stack_->sim_url, "/api/");
    absl::StatusOr<ServiceProcess> ingest = StartService(
        "ingest", "services/ingest/vnstream-ingest",
        Args(
            {brokers, vnstock, "--symbols=FPT,VCB,HPG", "--ignore_market_hours",
             "--price_interval=1s", "--intraday_interval=1s",
             "--history_interval=1s", "--history_bars=100",
             "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
            kafka_env->LoginFlags("ingest")),
        "metrics :(\\d+); gRPC :(\\d+)");
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    stack_->ingest = *std::move(ingest);
    absl::StatusOr<ServiceProcess> store = StartService(
        "store", "services/store/vnstream-store",
        Args({brokers, vnstock, absl::StrCat("--store_dsn=", stack_->pg->dsn()),
              "--backfill_symbols=FPT,VCB,HPG", "--batch_wait=100ms",
              "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0"},
             kafka_env->LoginFlags("store")),
        "metrics :(\\d+); gRPC :(\\d+)");
    ASSERT_TRUE(store.ok()) << store.status();
    stack_->store = *std::move(store);
    absl::StatusOr<ServiceProcess> gateway = StartService(
        "gateway", "services/gateway/vnstream-gateway",
        Args({brokers, vnstock,
              absl::StrCat("--store_dsn=", stack_->pg->reader_dsn()),
              "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
              "--shutdown_grace=2s",
              absl::StrCat("--tls_cert_file=", certs->gateway_cert),
              absl::StrCat("--tls_key_file=", certs->gateway_key),
              absl::StrCat("--keys_file=", key->file), "--grpc_reflection"},
             kafka_env->LoginFlags("gateway")),
        "gRPC on :(\\d+), metrics on :(\\d+)");
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    stack_->gateway = *std::move(gateway);
    stack_->gateway_address =
        absl::StrCat("127.0.0.1:", stack_->gateway.captured[0]);
    ASSERT_TRUE(
        testing::WaitForLog(stack_->gateway, "serving", absl::Seconds(90))
            .ok());
    // The backfill has run and the stream has reached the store.
    ASSERT_TRUE(testing::WaitForLog(stack_->store,
                                    "backfill done: 3 of 3 symbols finished",
                                    absl::Seconds(120))
                    .ok());
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
    delete fpt_;
    fpt_ = nullptr;
  }

  // GetCandles through grpcurl, parsed; polls until `ready` holds (the
  // store catches up asynchronously).
  static rapidjson::Document Candles(
      const std::string& request,
      const std::function<bool(const rapidjson::Document&)>& ready) {
    rapidjson::Document doc;
    std::string out;
    PollUntil(
        [&] {
          out = Grpcurl({"-cacert", certs->ca, "-H", Bearer(), "-emit-defaults",
                         "-d", request, stack_->gateway_address, kGetCandles});
          doc.Parse(out.c_str());
          return !doc.HasParseError() && doc.IsObject() && ready(doc);
        },
        absl::Seconds(60), absl::Milliseconds(500));
    EXPECT_TRUE(!doc.HasParseError() && doc.IsObject() && ready(doc)) << out;
    if (doc.HasParseError() || !doc.IsObject()) doc.Parse("{\"candles\": []}");
    return doc;
  }

  static const market::DailyBar& Row(absl::CivilDay day) {
    for (const market::DailyBar& bar : fpt_->bars) {
      if (bar.date == day) return bar;
    }
    ADD_FAILURE() << "no CSV row for " << day;
    return fpt_->bars.front();
  }

  static Stack* stack_;
  static market::SymbolHistory* fpt_;
};

Stack* StoreE2eTest::stack_ = nullptr;
market::SymbolHistory* StoreE2eTest::fpt_ = nullptr;

auto HasCandles(int n) {
  return [n](const rapidjson::Document& d) {
    return d.HasMember("candles") &&
           d["candles"].Size() >= static_cast<size_t>(n);
  };
}

TEST_F(StoreE2eTest, DailyWeeklyMonthlyCandlesAreTheCsv) {
  // June 3-13, 2019: 9 trading days (the 14th is today, in progress).
  rapidjson::Document days =
      Candles(CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 6, 3)),
                          Rfc3339(absl::CivilDay(2019, 6, 14)), "ONE_DAY"),
              HasCandles(9));
  ASSERT_EQ(days["candles"].Size(), 9u);
  for (const rapidjson::Value& c : days["candles"].GetArray()) {
    const absl::CivilDay day(c["trading_date"]["year"].GetInt(),
                             c["trading_date"]["month"].GetInt(),
                             c["trading_date"]["day"].GetInt());
    const market::DailyBar& row = Row(day);
    EXPECT_EQ(Units(c["open"]), row.open) << day;
    EXPECT_EQ(Units(c["high"]), row.high) << day;
    EXPECT_EQ(Units(c["low"]), row.low) << day;
    EXPECT_EQ(Units(c["close"]), row.close) << day;
    EXPECT_EQ(Int(c, "volume"), row.volume) << day;
    EXPECT_TRUE(c["final"].GetBool()) << day;
  }

  // The week of June 3 and the month of May (whose first trading day is May
  // 2: May 1 is Labour Day), from the CSV by hand.
  rapidjson::Document week =
      Candles(CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 6, 3)),
                          Rfc3339(absl::CivilDay(2019, 6, 4)), "ONE_WEEK"),
              HasCandles(1));
  rapidjson::Document month =
      Candles(CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 5, 1)),
                          Rfc3339(absl::CivilDay(2019, 6, 1)), "ONE_MONTH"),
              HasCandles(1));
  for (auto [doc, from, to] :
       {std::make_tuple(&week, absl::CivilDay(2019, 6, 3),
                        absl::CivilDay(2019, 6, 8)),
        std::make_tuple(&month, absl::CivilDay(2019, 5, 1),
                        absl::CivilDay(2019, 6, 1))}) {
    ASSERT_EQ((*doc)["candles"].Size(), 1u);
    const rapidjson::Value& c = (*doc)["candles"][0];
    int64_t high = 0, low = INT64_MAX, volume = 0, open = 0, close = 0;
    absl::CivilDay first;
    for (const market::DailyBar& row : fpt_->bars) {
      if (row.date < from || row.date >= to) continue;
      if (open == 0) {
        open = row.open;
        first = row.date;
      }
      close = row.close;
      high = std::max(high, row.high);
      low = std::min(low, row.low);
      volume += row.volume;
    }
    EXPECT_EQ(Units(c["open"]), open);
    EXPECT_EQ(Units(c["close"]), close);
    EXPECT_EQ(Units(c["high"]), high);
    EXPECT_EQ(Units(c["low"]), low);
    EXPECT_EQ(Int(c, "volume"), volume);
    EXPECT_EQ(std::string(c["start_time"].GetString()), Rfc3339(first))
        << "starts on its first trading day";
  }
}

TEST_F(StoreE2eTest, FifteenMinuteCandlesAreVnstockSimsMinutesBySession) {
  // vnstock-sim's own 1-minute bars of today (10:30, frozen).
  absl::StatusOr<std::string> raw = HttpPost(
      stack_->sim_url + "/api/chart/OHLCChart/gap-chart",
      absl::StrCat(
          R"({"timeFrame":"ONE_MINUTE","symbols":["FPT"],"to":)",
          absl::ToUnixSeconds(absl::FromCivil(
              absl::CivilMinute(2019, 6, 14, 23, 0), market::VietnamTime())),
          R"(,"countBack":1000})"));
  ASSERT_TRUE(raw.ok()) << raw.status();
  rapidjson::Document sim;
  sim.Parse(raw->c_str());
  ASSERT_TRUE(sim.IsArray() && sim.Size() == 1);
  std::map<std::string, int64_t> volume;  // quarter start -> volume
  const rapidjson::Value& s = sim[0];
  auto number = [](const rapidjson::Value& v) {
    int64_t n = 0;
    if (v.IsString()) (void)absl::SimpleAtoi(v.GetString(), &n);
    if (v.IsInt64()) n = v.GetInt64();
    return n;
  };
  for (rapidjson::SizeType i = 0; i < s["t"].Size(); ++i) {
    const absl::CivilMinute m = absl::ToCivilMinute(
        absl::FromUnixSeconds(number(s["t"][i])), market::VietnamTime());
    volume[Rfc3339(absl::CivilMinute(absl::CivilHour(m)) +
                   m.minute() / 15 * 15)] += number(s["v"][i]);
  }
  ASSERT_FALSE(volume.empty());
  // 09:15 .. 10:15 at least (09:00 has no bar on HOSE; 10:30 only if a
  // trade printed at 10:30:00).
  ASSERT_GE(volume.size(), 5u);
  rapidjson::Document quarters = Candles(
      CandlesJson("FPT", Rfc3339(absl::CivilMinute(2019, 6, 14, 9, 0)),
                  Rfc3339(absl::CivilMinute(2019, 6, 14, 11, 30)),
                  "FIFTEEN_MINUTES"),
      [&](const rapidjson::Document& d) {
        if (!d.HasMember("candles") || d["candles"].Size() != volume.size()) {
          return false;
        }
        for (const rapidjson::Value& c : d["candles"].GetArray()) {
          if (Int(c, "volume") != volume[c["start_time"].GetString()]) {
            return false;
          }
        }
        return true;
      });
  ASSERT_TRUE(quarters.HasMember("candles"));
  ASSERT_EQ(quarters["candles"].Size(), volume.size());
  for (const rapidjson::Value& c : quarters["candles"].GetArray()) {
    EXPECT_EQ(Int(c, "volume"), volume[c["start_time"].GetString()])
        << c["start_time"].GetString();
  }
  EXPECT_EQ(std::string(quarters["candles"][0]["start_time"].GetString()),
            Rfc3339(absl::CivilMinute(2019, 6, 14, 9, 15)));
}

TEST_F(StoreE2eTest, IndicatorsHaveTheirLookbackAndPagesContinue) {
  rapidjson::Document page =
      Candles(CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 6, 3)),
                          Rfc3339(absl::CivilDay(2019, 6, 14)), "ONE_DAY",
                          R"(, "with_indicators": true, "page_size": 5)"),
              HasCandles(5));
  ASSERT_EQ(page["candles"].Size(), 5u);
  ASSERT_FALSE(std::string(page["next_page_token"].GetString()).empty());
  EXPECT_EQ(page["params"]["sma_long_period"].GetInt(), 200);
  // SMA 200 of June 3: the mean of the 200 CSV closes up to it (backfill).
  double sum = 0;
  size_t at = 0;
  while (fpt_->bars[at].date != absl::CivilDay(2019, 6, 3)) ++at;
  for (size_t i = at + 1 - 200; i <= at; ++i) sum += fpt_->bars[i].close;
  const rapidjson::Value& first = page["candles"][0]["indicators"];
  ASSERT_TRUE(first.HasMember("sma_long")) << "no blank first candle";
  EXPECT_NEAR(first["sma_long"].GetDouble(), sum / 200, 1e-6);
  EXPECT_TRUE(first.HasMember("rsi"));
  // The next page continues on June 10.
  const std::string token = page["next_page_token"].GetString();
  rapidjson::Document next = Candles(
      CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 6, 3)),
                  Rfc3339(absl::CivilDay(2019, 6, 14)), "ONE_DAY",
                  absl::StrCat(R"(, "with_indicators": true, "page_size": 5,)",
                               R"( "page_token": ")", token, "\"")),
      HasCandles(4));
  ASSERT_EQ(next["candles"].Size(), 4u);
  EXPECT_EQ(std::string(next["candles"][0]["start_time"].GetString()),
            Rfc3339(absl::CivilDay(2019, 6, 10)));
  EXPECT_EQ(std::string(next["next_page_token"].GetString()), "");
  // A token with another request, and a page too large: clear statuses.
  EXPECT_THAT(
      Grpcurl({"-cacert", certs->ca, "-H", Bearer(), "-d",
               CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 6, 3)),
                           Rfc3339(absl::CivilDay(2019, 6, 13)), "ONE_DAY",
                           absl::StrCat(R"(, "page_token": ")", token, "\"")),
               stack_->gateway_address, kGetCandles}),
      HasSubstr("Code: InvalidArgument"));
  EXPECT_THAT(Grpcurl({"-cacert", certs->ca, "-H", Bearer(), "-d",
                       CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 6, 3)),
                                   Rfc3339(absl::CivilDay(2019, 6, 13)),
                                   "ONE_DAY", R"(, "page_size": 50001)"),
                       stack_->gateway_address, kGetCandles}),
              HasSubstr("Code: InvalidArgument"));
}

TEST_F(StoreE2eTest, PostgresDownIsUnavailableAndLiveStreamsGoOn) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = client::MakeChannel(
      stack_->gateway_address, {.ca_file = certs->ca, .api_key = key->key});
  ASSERT_TRUE(channel.ok()) << channel.status();
  auto stub = v1::MarketDataService::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(90)));
  v1::SubscribeRequest subscribe;
  subscribe.add_symbols("FPT");
  auto reader = stub->SubscribeQuotes(&context, subscribe);
  v1::MarketEvent event;
  while (reader->Read(&event) && !event.has_snapshot_end()) {
  }
  ASSERT_TRUE(event.has_snapshot_end());

  ASSERT_TRUE(stack_->pg->Kill().ok());
  const std::string request =
      CandlesJson("FPT", Rfc3339(absl::CivilDay(2019, 6, 3)),
                  Rfc3339(absl::CivilDay(2019, 6, 14)), "ONE_DAY");
  const absl::Time asked = absl::Now();
  EXPECT_THAT(Grpcurl({"-cacert", certs->ca, "-H", Bearer(), "-d", request,
                       stack_->gateway_address, kGetCandles}),
              HasSubstr("Code: Unavailable"));
  EXPECT_LT(absl::Now() - asked, absl::Seconds(20));
  // New prices (the sim's clock moves): the live stream carries them.
  ASSERT_TRUE(
      HttpPost(stack_->sim_url + "/sim/clock", R"({"time":"10:45"})").ok());
  bool live = false;
  while (!live && reader->Read(&event)) live = event.has_quote();
  EXPECT_TRUE(live) << "the quote stream went on without PostgreSQL";
  context.TryCancel();
  reader->Finish();

  ASSERT_TRUE(stack_->pg->Restart().ok());
  rapidjson::Document back = Candles(request, HasCandles(9));
  EXPECT_EQ(back["candles"].Size(), 9u);
}

}  // namespace
}  // namespace vnstream

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
