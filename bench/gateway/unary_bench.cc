// Unary benchmark: GetQuotes, GetHistory and ListSymbols of vnstream-gateway
// (fed a whole market through a real local Kafka broker, serving with its
// shipped security: TLS and API keys) against bare_unary_server (the same
// responses' bytes from memory over the same TLS), driven by ghz in the same
// run, and printed as one table of gateway/bare ratios.
//
//   1. Kafka; quotes of --market_symbols symbols and the enriched daily
//      history (--history_bars bars, from data/vn30) of --history_symbols;
//   2. the gateway, TLS + a keys file, reading them; each benchmarked
//      request's response is fetched from it once;
//   3. bare_unary_server, answering each method with those bytes;
//   4. per method: ghz against each server (--concurrency, --connections,
//      --duration), --repeats times alternating which goes first, after a
//      --warmup run of each; medians.
//
//   bazel run -c opt //bench/gateway:unary_bench
//   bazel run -c opt //bench/gateway:unary_bench -- --methods=ListSymbols
//
// ghz: --ghz, else $VNSTREAM_GHZ, else ~/.cache/vnstream/bin/ghz (built by
// scripts/setup.sh).
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "bench/support/goals.h"
#include "bench/support/quote_feed.h"
#include "bench/support/synthetic_market.h"
#include "clients/cpp/market_data_client.h"
#include "grpcpp/grpcpp.h"
#include "libs/base/logging.h"
#include "libs/base/proc_stats.h"
#include "libs/base/subprocess.h"
#include "libs/indicators/indicators.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "rapidjson/document.h"
#include "tests/support/keys.h"
#include "tests/support/service_process.h"
#include "tools/kafka/local_kafka.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

ABSL_FLAG(std::vector<std::string>, methods,
          std::vector<std::string>({"GetQuotes", "GetHistory", "ListSymbols"}),
          "Methods to measure: GetQuotes, GetHistory, ListSymbols.");
ABSL_FLAG(int, market_symbols, 1600, "Symbols with a quote.");
ABSL_FLAG(int, quote_symbols, 5, "Symbols per GetQuotes request.");
ABSL_FLAG(int, history_symbols, 30, "Symbols with a daily history.");
ABSL_FLAG(int, history_bars, 260, "Daily bars per history.");
ABSL_FLAG(int, concurrency, 20, "ghz workers (requests in flight).");
ABSL_FLAG(int, connections, 1, "ghz connections (workers share them).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Each measured run.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(3),
          "An unmeasured run per method and server first.");
ABSL_FLAG(int, repeats, 3, "Measured runs per method and server.");
ABSL_FLAG(std::string, ghz, "", "The ghz binary (see the header).");

namespace vnstream::bench {
namespace {

constexpr char kService[] = "vnstream.v1.MarketDataService";

struct Environment {
  std::string work_dir;
  std::vector<std::string> market;
  testing::TestCerts certs;
  testing::TestKey key;
  std::unique_ptr<kafka::LocalKafka> kafka;
  std::unique_ptr<kafka::Publisher> publisher;
  prometheus::Registry registry;
};

// One benchmarked request.
struct Method {
  std::string name;
  std::string json;  // The request, for ghz.
  // Fetches the response from the gateway once, checks it holds what was
  // fed, and returns its serialized bytes.
  std::function<absl::StatusOr<std::string>(v1::MarketDataService::Stub&,
                                            grpc::ClientContext&)>
      fetch;
};

// A ghz run's summary.
struct Load {
  double rps = 0;
  absl::Duration p50, p99;
  int64_t count = 0;
  int64_t errors = 0;       // Calls not answered OK...
  std::string error_codes;  // ... by status code: "Unavailable:3".
  double server_cores = 0;
  double client_cores = 0;  // ghz's.
};

struct Server {
  std::string name;  // "gateway", "bare"
  testing::ServiceProcess process;
  std::string address;
};

std::string GhzBinary() {
  if (std::string flag = absl::GetFlag(FLAGS_ghz); !flag.empty()) return flag;
  if (const char* env = getenv("VNSTREAM_GHZ")) return env;
  const char* cache = getenv("VNSTREAM_CACHE");
  if (cache != nullptr) return absl::StrCat(cache, "/bin/ghz");
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "", "/.cache/vnstream/bin/ghz");
}

double CpuSeconds(pid_t pid) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats(pid);
  return stats.ok() ? stats->cpu_seconds : 0;
}

// CPU time of this process's reaped children.
double ChildrenCpuSeconds() {
  struct rusage usage;
  getrusage(RUSAGE_CHILDREN, &usage);
  return absl::ToDoubleSeconds(absl::DurationFromTimeval(usage.ru_utime) +
                               absl::DurationFromTimeval(usage.ru_stime));
}

// Symbol i of the market gets series i (mod the file's) of data/vn30, its
// last `bars` days, enriched as analytics would.
absl::Status PublishHistories(Environment& env) {
  absl::StatusOr<market::DailyData> data = market::LoadDailyCsv(
      testing::Runfile("data/vn30/vn30-daily-2016-2019.csv"));
  if (!data.ok()) return data.status();
  const int bars = absl::GetFlag(FLAGS_history_bars);
  for (int i = 0; i < absl::GetFlag(FLAGS_history_symbols); ++i) {
    const market::SymbolHistory& source =
        data->symbols[i % data->symbols.size()];
    v1::DailyHistory history;
    const size_t first = source.bars.size() > static_cast<size_t>(bars)
                             ? source.bars.size() - static_cast<size_t>(bars)
                             : 0;
    for (size_t j = first; j < source.bars.size(); ++j) {
      const market::DailyBar& row = source.bars[j];
      v1::DailyBar* bar = history.add_bars();
      *bar->mutable_date() = market::ToDate(row.date);
      *bar->mutable_open() = market::MakeDecimal(row.open);
      *bar->mutable_high() = market::MakeDecimal(row.high);
      *bar->mutable_low() = market::MakeDecimal(row.low);
      *bar->mutable_close() = market::MakeDecimal(row.close);
      bar->set_volume(row.volume);
      bar->set_final(true);
    }
    v1::RecordMeta& meta = *history.mutable_meta();
    meta.set_symbol(env.market[i]);
    meta.set_seq(1);
    meta.set_source(v1::SOURCE_SIMULATOR);
    *meta.mutable_fetched_at() = market::ToTimestamp(absl::Now());
    *meta.mutable_published_at() = market::ToTimestamp(absl::Now());
    *meta.mutable_trading_date() = history.bars(history.bars_size() - 1).date();
    v1::EnrichedHistory enriched;
    if (absl::Status s =
            indicators::Enrich(history, indicators::Params(), &enriched);
        !s.ok()) {
      return s;
    }
    env.publisher->Publish(
        kafka::EncodeRecord(kafka::kAnalyticsTopic, enriched, enriched.meta()));
  }
  return absl::OkStatus();
}

absl::Status PublishMarket(Environment& env) {
  for (const std::string& symbol : env.market) {
    const v1::Quote quote = SyntheticQuote(symbol, 1, absl::Now());
    env.publisher->Publish(
        kafka::EncodeRecord(kafka::kPricesTopic, quote, quote.meta()));
  }
  if (absl::Status s = PublishHistories(env); !s.ok()) return s;
  return env.publisher->Flush(absl::Seconds(60));
}

std::vector<Method> Methods(const Environment& env) {
  const int n = absl::GetFlag(FLAGS_quote_symbols);
  std::vector<std::string> quoted;  // Spread over the market.
  for (int i = 0; i < n; ++i)
    quoted.push_back(env.market[i * env.market.size() / n]);
  const std::string history_symbol = env.market[0];
  const int bars = absl::GetFlag(FLAGS_history_bars);
  const int listed = static_cast<int>(env.market.size());
  return {
      {.name = "GetQuotes",
       .json = absl::StrCat(R"({"symbols":[")", absl::StrJoin(quoted, R"(",")"),
                            R"("]})"),
       .fetch = [quoted](v1::MarketDataService::Stub& stub,
                         grpc::ClientContext& context)
           -> absl::StatusOr<std::string> {
         v1::GetQuotesRequest request;
         for (const std::string& s : quoted) request.add_symbols(s);
         v1::GetQuotesResponse response;
         grpc::Status status = stub.GetQuotes(&context, request, &response);
         if (!status.ok())
           return absl::UnavailableError(status.error_message());
         if (response.items_size() != static_cast<int>(quoted.size())) {
           return absl::InternalError(absl::StrCat(
               response.items_size(), " quotes of ", quoted.size()));
         }
         return response.SerializeAsString();
       }},
      {.name = "GetHistory",
       .json = absl::StrCat(R"({"symbol":")", history_symbol, R"("})"),
       .fetch = [history_symbol, bars](v1::MarketDataService::Stub& stub,
                                       grpc::ClientContext& context)
           -> absl::StatusOr<std::string> {
         v1::GetHistoryRequest request;
         request.set_symbol(history_symbol);
         v1::GetHistoryResponse response;
         grpc::Status status = stub.GetHistory(&context, request, &response);
         if (!status.ok())
           return absl::UnavailableError(status.error_message());
         if (response.history().bars_size() != bars ||
             response.indicators_state() != v1::INDICATORS_STATE_ANALYTICS) {
           return absl::InternalError(
               absl::StrCat(response.history().bars_size(), " bars of ", bars,
                            ", indicators ", response.indicators_state()));
         }
         return response.SerializeAsString();
       }},
      {.name = "ListSymbols",
       .json = "{}",
       .fetch = [listed](v1::MarketDataService::Stub& stub,
                         grpc::ClientContext& context)
           -> absl::StatusOr<std::string> {
         v1::ListSymbolsResponse response;
         grpc::Status status =
             stub.ListSymbols(&context, v1::ListSymbolsRequest(), &response);
         if (!status.ok())
           return absl::UnavailableError(status.error_message());
         if (response.symbols_size() != listed) {
           return absl::InternalError(
               absl::StrCat(response.symbols_size(), " symbols of ", listed));
         }
         return response.SerializeAsString();
       }},
  };
}

absl::StatusOr<Server> StartGateway(const Environment& env) {
  absl::StatusOr<testing::ServiceProcess> gateway = testing::StartService(
      "gateway", "services/gateway/vnstream-gateway",
      {absl::StrCat("--kafka_brokers=", env.kafka->bootstrap_servers()),
       "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
       "--fallback=false", "--shutdown_grace=2s",
       absl::StrCat("--tls_cert_file=", env.certs.gateway_cert),
       absl::StrCat("--tls_key_file=", env.certs.gateway_key),
       absl::StrCat("--keys_file=", env.key.file)},
      "gRPC on :(\\d+), metrics on :(\\d+)");
  if (!gateway.ok()) return gateway.status();
  // Ready once its cache holds what the topics held.
  if (absl::StatusOr<std::vector<std::string>> serving =
          testing::WaitForLog(*gateway, "serving", absl::Seconds(120));
      !serving.ok()) {
    return serving.status();
  }
  const std::string address = absl::StrCat("127.0.0.1:", gateway->captured[0]);
  return Server{
      .name = "gateway", .process = *std::move(gateway), .address = address};
}

// Each method's response from the gateway, written to `dir`/<method>.
absl::Status FetchResponses(const Environment& env, const Server& gateway,
                            const std::vector<Method>& methods,
                            const std::string& dir) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = client::MakeChannel(
      gateway.address, {.ca_file = env.certs.ca, .api_key = env.key.key});
  if (!channel.ok()) return channel.status();
  auto stub = v1::MarketDataService::NewStub(*channel);
  std::filesystem::create_directories(dir);
  for (const Method& method : methods) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    absl::StatusOr<std::string> bytes = method.fetch(*stub, context);
    if (!bytes.ok()) {
      return absl::Status(
          bytes.status().code(),
          absl::StrCat(method.name, ": ", bytes.status().message()));
    }
    spdlog::info("{}: {} {} bytes", method.name, method.json, bytes->size());
    std::ofstream(absl::StrCat(dir, "/", method.name), std::ios::binary)
        << *bytes;
  }
  return absl::OkStatus();
}

absl::StatusOr<Server> StartBare(const Environment& env,
                                 const std::string& responses_dir) {
  absl::StatusOr<testing::ServiceProcess> bare = testing::StartService(
      "bare-unary-server", "bench/gateway/bare_unary_server",
      {"--port=0", absl::StrCat("--responses_dir=", responses_dir),
       absl::StrCat("--tls_cert_file=", env.certs.gateway_cert),
       absl::StrCat("--tls_key_file=", env.certs.gateway_key)},
      "bare unary server on :(\\d+)");
  if (!bare.ok()) return bare.status();
  const std::string address = absl::StrCat("127.0.0.1:", bare->captured[0]);
  return Server{
      .name = "bare", .process = *std::move(bare), .address = address};
}

// ghz's --format=json summary.
absl::StatusOr<Load> ParseGhz(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("rps")) {
    return absl::InternalError(
        absl::StrCat("ghz printed no summary: ", json.substr(0, 500)));
  }
  Load load;
  load.rps = doc["rps"].GetDouble();
  load.count = doc["count"].GetInt64();
  if (doc.HasMember("statusCodeDistribution")) {
    for (const auto& code : doc["statusCodeDistribution"].GetObject()) {
      const std::string name = code.name.GetString();
      if (name == "OK") continue;
      load.errors += code.value.GetInt64();
      absl::StrAppend(&load.error_codes, load.error_codes.empty() ? "" : " ",
                      name, ":", code.value.GetInt64());
    }
  }
  if (doc.HasMember("latencyDistribution") &&
      doc["latencyDistribution"].IsArray()) {
    for (const auto& p : doc["latencyDistribution"].GetArray()) {
      const int percentage = p["percentage"].GetInt();
      const absl::Duration latency = absl::Nanoseconds(p["latency"].GetInt64());
      if (percentage == 50) load.p50 = latency;
      if (percentage == 99) load.p99 = latency;
    }
  }
  return load;
}

absl::StatusOr<Load> RunGhz(const Environment& env, const Method& method,
                            const Server& server, absl::Duration duration) {
  const std::string output = absl::StrCat(env.work_dir, "/ghz.json");
  std::filesystem::remove(output);
  const std::string proto_root = testing::Runfile("proto");
  absl::StatusOr<std::unique_ptr<Subprocess>> ghz = Subprocess::Start(
      {.argv =
           {GhzBinary(),
            absl::StrCat("--proto=", proto_root,
                         "/vnstream/v1/market_data_service.proto"),
            absl::StrCat("--import-paths=", proto_root),
            absl::StrCat("--call=", kService, ".", method.name),
            absl::StrCat("--data=", method.json),
            absl::StrCat(R"(--metadata={"authorization":"Bearer )", env.key.key,
                         R"("})"),
            absl::StrCat("--cacert=", env.certs.ca),
            absl::StrCat("--concurrency=", absl::GetFlag(FLAGS_concurrency)),
            absl::StrCat("--connections=", absl::GetFlag(FLAGS_connections)),
            absl::StrCat("--duration=", absl::ToInt64Milliseconds(duration),
                         "ms"),
            "--format=json", absl::StrCat("--output=", output), server.address},
       .log_path = absl::StrCat(env.work_dir, "/ghz.log")});
  if (!ghz.ok()) return ghz.status();
  const pid_t pid = server.process.process->pid();
  const double cpu_before = CpuSeconds(pid);
  const double client_before = ChildrenCpuSeconds();
  const absl::Time start = absl::Now();
  absl::StatusOr<int> exit = (*ghz)->Wait(duration + absl::Seconds(60));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double cpu = CpuSeconds(pid) - cpu_before;
  // ghz is the only child reaped meanwhile.
  const double client_cpu = ChildrenCpuSeconds() - client_before;
  if (!exit.ok()) return exit.status();
  if (*exit != 0) {
    return absl::InternalError(absl::StrCat(
        "ghz failed: ",
        testing::ReadTextFile(absl::StrCat(env.work_dir, "/ghz.log"))));
  }
  absl::StatusOr<Load> load = ParseGhz(testing::ReadTextFile(output));
  if (load.ok()) {
    load->server_cores = cpu / seconds;
    load->client_cores = client_cpu / seconds;
  }
  return load;
}

template <typename T, typename F>
double Median(const std::vector<T>& runs, F value) {
  std::vector<double> values;
  for (const T& r : runs) values.push_back(value(r));
  std::sort(values.begin(), values.end());
  if (values.empty()) return 0;
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Row {
  std::string method;
  size_t response_bytes = 0;
  std::vector<Load> gateway, bare;
};

void Print(const std::vector<Row>& rows) {
  absl::PrintF(
      "\nmedians of %d runs of %s each, ghz --concurrency=%d "
      "--connections=%d; gateway: TLS + API key, bare: TLS\n",
      absl::GetFlag(FLAGS_repeats),
      absl::FormatDuration(absl::GetFlag(FLAGS_duration)),
      absl::GetFlag(FLAGS_concurrency), absl::GetFlag(FLAGS_connections));
  absl::PrintF(
      "%-11s %6s | %7s %7s %6s | %8s %8s %6s | %7s %7s %6s | %5s %6s\n",
      "method", "bytes", "rps gw", "bare", "ratio", "p99 gw", "bare", "ratio",
      "us/call", "bare", "ratio", "ghz", "errors");
  const auto rps = [](const Load& l) { return l.rps; };
  const auto p99 = [](const Load& l) {
    return absl::ToDoubleMilliseconds(l.p99);
  };
  // Server CPU per call.
  const auto cost = [](const Load& l) {
    return l.rps > 0 ? l.server_cores / l.rps * 1e6 : 0;
  };
  const auto client = [](const Load& l) { return l.client_cores; };
  for (const Row& r : rows) {
    int64_t errors = 0;
    for (const auto* runs : {&r.gateway, &r.bare}) {
      for (const Load& l : *runs) errors += l.errors;
    }
    const double rps_g = Median(r.gateway, rps), rps_b = Median(r.bare, rps);
    const double p99_g = Median(r.gateway, p99), p99_b = Median(r.bare, p99);
    const double cost_g = Median(r.gateway, cost),
                 cost_b = Median(r.bare, cost);
    absl::PrintF(
        "%-11s %6d | %7.0f %7.0f %5.2fx | %6.1fms %6.1fms %5.2fx | %7.0f %7.0f "
        "%5.2fx | %5.2f %6d  %s\n",
        r.method, r.response_bytes, rps_g, rps_b, rps_g / rps_b, p99_g, p99_b,
        p99_g / p99_b, cost_g, cost_b, cost_g / cost_b,
        (Median(r.gateway, client) + Median(r.bare, client)) / 2, errors,
        rps_g >= 0.8 * rps_b && p99_g <= p99_b ? "ok" : "BELOW TARGET");
  }
  absl::PrintF(
      "target: gateway >= 0.8x bare's requests/s at p99 <= bare's. us/call: "
      "server CPU per call; ghz: the client's cores (on the same machine)\n");
  // Issue 17's goals (scripts/perf.sh gathers these lines into one table).
  for (const Row& r : rows) {
    PrintRatioGoal(absl::StrCat(r.method, " requests/s, gateway / bare"),
                   Median(r.gateway, rps), Median(r.bare, rps),
                   /*at_most=*/false, 0.8);
    PrintRatioGoal(absl::StrCat(r.method, " p99, gateway / bare"),
                   Median(r.gateway, p99), Median(r.bare, p99),
                   /*at_most=*/true, 1.0);
  }
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  InitLogging("unary-bench");
  Environment env;
  char dir_template[] = "/tmp/vnstream-unary-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  env.work_dir = dir_template;
  // The servers' logs (testing::StartService) go to the work directory,
  // kept when the benchmark fails.
  if (getenv("TEST_UNDECLARED_OUTPUTS_DIR") == nullptr)
    setenv("TEST_UNDECLARED_OUTPUTS_DIR", dir_template, 1);
  env.market = SyntheticSymbols(absl::GetFlag(FLAGS_market_symbols));
  auto fail = [&](const absl::Status& status) {
    spdlog::error("{} (logs in {})", status, env.work_dir);
    env.publisher.reset();
    env.kafka.reset();
    return 1;
  };
  absl::StatusOr<testing::TestCerts> certs =
      testing::MakeTestCerts(env.work_dir + "/certs");
  if (!certs.ok()) return fail(certs.status());
  env.certs = *std::move(certs);
  // The shipped checks (key, method, symbols, rate) all run; the rate is
  // one the benchmark does not reach.
  auth::Entitlements entitlements = testing::Unlimited();
  entitlements.unary_per_second = 1e9;
  absl::StatusOr<testing::TestKey> key =
      testing::MakeTestKey(env.work_dir + "/keys", "bench", entitlements);
  if (!key.ok()) return fail(key.status());
  env.key = *std::move(key);
  if (!std::filesystem::exists(GhzBinary())) {
    return fail(absl::NotFoundError(absl::StrCat(
        GhzBinary(), " not found: run scripts/setup.sh or pass --ghz")));
  }

  absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> kafka =
      kafka::LocalKafka::Start({.work_dir = env.work_dir + "/kafka"});
  if (!kafka.ok()) return fail(kafka.status());
  env.kafka = *std::move(kafka);
  absl::StatusOr<std::unique_ptr<kafka::Publisher>> publisher =
      kafka::Publisher::Create(
          {.bootstrap_servers = env.kafka->bootstrap_servers(),
           .client_id = "unary-bench"},
          env.registry, "unary_bench");
  if (!publisher.ok()) return fail(publisher.status());
  env.publisher = *std::move(publisher);
  if (absl::Status s = PublishMarket(env); !s.ok()) return fail(s);

  std::vector<Method> methods;
  for (Method& m : Methods(env)) {
    const std::vector<std::string> wanted = absl::GetFlag(FLAGS_methods);
    if (std::find(wanted.begin(), wanted.end(), m.name) != wanted.end())
      methods.push_back(std::move(m));
  }
  absl::StatusOr<Server> gateway = StartGateway(env);
  if (!gateway.ok()) return fail(gateway.status());
  const std::string responses = env.work_dir + "/responses";
  if (absl::Status s = FetchResponses(env, *gateway, methods, responses);
      !s.ok()) {
    return fail(s);
  }
  absl::StatusOr<Server> bare = StartBare(env, responses);
  if (!bare.ok()) return fail(bare.status());

  std::vector<Row> rows;
  int failures = 0;
  for (const Method& method : methods) {
    Row row{.method = method.name,
            .response_bytes = std::filesystem::file_size(
                absl::StrCat(responses, "/", method.name))};
    for (const Server* server : {&*gateway, &*bare}) {
      if (absl::StatusOr<Load> warm =
              RunGhz(env, method, *server, absl::GetFlag(FLAGS_warmup));
          !warm.ok()) {
        spdlog::error("{} / {} warm-up: {}", method.name, server->name,
                      warm.status());
        ++failures;
      }
    }
    for (int i = 0; i < absl::GetFlag(FLAGS_repeats); ++i) {
      // Alternating which server goes first.
      const Server* order[2] = {&*gateway, &*bare};
      if (i % 2 == 1) std::swap(order[0], order[1]);
      for (const Server* server : order) {
        absl::StatusOr<Load> load =
            RunGhz(env, method, *server, absl::GetFlag(FLAGS_duration));
        if (!load.ok()) {
          spdlog::error("{} / {}: {}", method.name, server->name,
                        load.status());
          ++failures;
          continue;
        }
        spdlog::info(
            "{} / {}: {:.0f} rps, p50 {:.2f} ms, p99 {:.2f} ms, {} calls, {} "
            "errors {}, server {:.2f} cores, ghz {:.2f} cores",
            method.name, server->name, load->rps,
            absl::ToDoubleMilliseconds(load->p50),
            absl::ToDoubleMilliseconds(load->p99), load->count, load->errors,
            load->error_codes, load->server_cores, load->client_cores);
        (server == &*gateway ? row.gateway : row.bare).push_back(*load);
      }
    }
    rows.push_back(std::move(row));
  }
  Print(rows);
  gateway->process.process.reset();  // SIGTERM, then reaped.
  bare->process.process.reset();
  env.publisher.reset();
  env.kafka.reset();
  if (failures > 0) {
    spdlog::error("{} runs failed (logs in {})", failures, env.work_dir);
    return 1;
  }
  std::filesystem::remove_all(env.work_dir);
  return 0;
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) { return vnstream::bench::Main(argc, argv); }
