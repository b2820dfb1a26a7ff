// Gateway load generator: measures vnstream-gateway fed by a real local
// Kafka broker against bare_server (the smallest correct C++ gRPC
// server-streaming fan-out, no Kafka) in the same run, same machine, same
// client, and prints each result with the gateway/bare ratio.
//
// Scenarios (each on a freshly started server):
//   idle       --idle_streams streams (10 symbols each) open and quiet:
//              server RSS growth per stream
//   freshness  --freshness_streams streams x 10 symbols while the whole
//              market (--market_symbols) updates --updates_per_second:
//              latency from produce (meta.published_at, stamped just before
//              the Kafka produce call) to client receive, beside Kafka's
//              floor (a bare librdkafka consumer of the same records) and
//              the gateway's own share (client receipt - meta.received_at)
//   fanout     --fanout_streams streams x 10 symbols while the market
//              updates --fanout_updates_per_second, a rate both servers
//              deliver in full here: delivered messages/s, latency
//              p50/p99/p99.9, server CPU (and per delivered message) and
//              RSS
//   saturated  the same at --updates_per_second, more than this machine
//              can deliver: how each server degrades (the bare server
//              queues without bound, the gateway conflates)
//   readers    --slow_streams streams x 10 symbols, all reading: the
//              baseline of slow and paused
//   slow       the same, but --slow_fraction of them held by a hung client
//              (a second process, stopped with SIGSTOP once its streams are
//              open): the readers' latency against readers, server RSS, and
//              how many hung streams the server ended as slow consumers
//   paused     the same, but --slow_fraction of them stop reading for
//              --pause (alive, on connections of their own with small
//              HTTP/2 windows), then read again: the readers' latency
//              against readers, server RSS, how many paused streams read a
//              SLOW_CONSUMER status and ended RESOURCE_EXHAUSTED, and the
//              gateway's stall counters
// Streams are spread --streams_per_connection to an HTTP/2 connection (the
// gateway's per-connection limit is 100); stream i subscribes to symbols
// 10i .. 10i+9 (mod the market) so every symbol has the same fan-out.
//
//   bazel run -c opt //bench/gateway:loadgen -- --scenarios=fanout
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bench/support/goals.h"
#include "bench/support/latency_histogram.h"
#include "bench/support/quote_feed.h"
#include "bench/support/quote_streams.h"
#include "bench/support/synthetic_market.h"
#include "grpcpp/grpcpp.h"
#include "libs/base/logging.h"
#include "libs/base/proc_stats.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "tests/support/service_process.h"
#include "tools/kafka/local_kafka.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

ABSL_FLAG(std::vector<std::string>, servers,
          std::vector<std::string>({"bare", "gateway"}),
          "Servers to measure: bare, gateway.");
ABSL_FLAG(std::vector<std::string>, scenarios,
          std::vector<std::string>({"idle", "freshness", "fanout",
                                    "saturated"}),
          "Scenarios to run: idle, freshness, fanout, saturated, readers, "
          "slow, paused.");
ABSL_FLAG(int, market_symbols, 1600, "Symbols in the market.");
ABSL_FLAG(double, updates_per_second, 1600,
          "Quote updates per second over the whole market.");
ABSL_FLAG(int, symbols_per_stream, 10, "Symbols each stream subscribes to.");
ABSL_FLAG(int, fanout_streams, 10000,
          "Streams in the fanout and saturated scenarios.");
ABSL_FLAG(double, fanout_updates_per_second, 320,
          "Quote updates per second over the whole market in the fanout "
          "scenario: with 10,000 streams x 10 symbols over 1,600 symbols, "
          "each update goes to 62.5 streams, so 320/s asks for 20,000 "
          "deliveries/s, which both servers deliver in full on 2 cores. CPU "
          "per delivered message compares their costs only then: past it "
          "(saturated) the bare server's queues grow without bound and the "
          "gateway conflates, so the ratio counts its conflated offers "
          "against fewer deliveries.");
ABSL_FLAG(int, freshness_streams, 100, "Streams in the freshness scenario.");
ABSL_FLAG(int, idle_streams, 10000, "Streams in the idle scenario.");
ABSL_FLAG(int, slow_streams, 1000,
          "Streams in the readers, slow and paused scenarios.");
ABSL_FLAG(double, slow_fraction, 0.1,
          "Of the slow and paused scenarios' streams, the share that does not "
          "read: held by a hung client (slow: a second process that opens "
          "them, then is stopped with SIGSTOP), or paused (paused).");
ABSL_FLAG(absl::Duration, pause, absl::Seconds(15),
          "paused: how long its paused streams stop reading, from the start "
          "of the measured period. Between --stall_timeout (the gateway then "
          "ends them as slow consumers) and twice it (they then read the "
          "SLOW_CONSUMER status and the end, rather than being cancelled).");
ABSL_FLAG(int, paused_stream_window, 1024,
          "paused: the HTTP/2 stream window (bytes) its paused streams' "
          "connections advertise, BDP probing off: what a stream that stops "
          "reading takes in before the server's writes to it stop "
          "completing.");
ABSL_FLAG(std::string, hung_client_of, "",
          "Internal, set by the slow scenario: run as its hung client, with "
          "--hung_streams streams to this address.");
ABSL_FLAG(int, hung_streams, 0, "Internal: the hung client's streams.");
ABSL_FLAG(int, hung_first_stream, 0,
          "Internal: the hung client's first stream number (symbols).");
ABSL_FLAG(absl::Duration, stall_timeout, absl::Seconds(10),
          "The gateway's --stream_stall_timeout: a non-reading stream is "
          "ended once a write to it has waited this long, and its call "
          "cancelled this long after.");
ABSL_FLAG(int, streams_per_connection, 100, "Streams per HTTP/2 connection.");
ABSL_FLAG(std::string, kafka_config, "",
          "Experiments only (the numbers to report use none): librdkafka "
          "settings key=value,... on top of the shipped ones, for the "
          "producer, the gateway's consumer and the floor's consumer.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(10),
          "Load before measuring starts.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(30), "Measured period.");

namespace vnstream::bench {
namespace {

// Produces quote updates to stock-prices for the gateway, round-robin over
// the market at a steady rate, on its own thread.
class Producer {
 public:
  Producer(kafka::Publisher& publisher, const std::vector<std::string>& market)
      : publisher_(publisher), market_(market), seq_(market.size(), 0) {
    // Sequence numbers above anything an earlier scenario produced.
    const uint64_t base =
        static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
    std::fill(seq_.begin(), seq_.end(), base);
  }
  ~Producer() { Stop(); }

  // One update of every symbol, now.
  void PublishRound() {
    for (size_t i = 0; i < market_.size(); ++i) PublishOne(i);
  }

  void Start(double per_second) {
    thread_ = std::thread([this, per_second] {
      RunPaced(per_second, stop_,
               [this](uint64_t n) { PublishOne(n % market_.size()); });
    });
  }

  void Stop() {
    if (!thread_.joinable()) return;
    stop_.Notify();
    thread_.join();
  }

 private:
  void PublishOne(size_t i) {
    const v1::Quote quote = SyntheticQuote(market_[i], ++seq_[i], absl::Now());
    publisher_.Publish(
        kafka::EncodeRecord(kafka::kPricesTopic, quote, quote.meta()));
  }

  kafka::Publisher& publisher_;
  const std::vector<std::string>& market_;
  std::vector<uint64_t> seq_;
  absl::Notification stop_;
  std::thread thread_;
};

// Kafka's floor: a bare librdkafka consumer of stock-prices, with the
// gateway's consumer settings, in this process, recording produce (meta.
// published_at) -> consume of the same records the gateway receives.
class FloorConsumer {
 public:
  static absl::StatusOr<std::unique_ptr<FloorConsumer>> Start(
      const std::string& bootstrap_servers, const kafka::ConfigMap& overrides) {
    absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
        kafka::MakeConf(kafka::Merge({{"bootstrap.servers", bootstrap_servers},
                                      {"group.id", "gateway-loadgen-floor"},
                                      {"enable.auto.commit", "false"},
                                      {"isolation.level", "read_committed"}},
                                     overrides));
    if (!conf.ok()) return conf.status();
    std::string error;
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(
        RdKafka::KafkaConsumer::create(conf->get(), error));
    if (consumer == nullptr) return absl::InternalError(error);
    std::vector<RdKafka::TopicPartition*> assignment;
    for (const kafka::TopicSpec& topic : kafka::DefaultTopics()) {
      if (topic.name != kafka::kPricesTopic) continue;
      for (int p = 0; p < topic.partitions; ++p) {
        assignment.push_back(RdKafka::TopicPartition::create(
            topic.name, p, RdKafka::Topic::OFFSET_END));
      }
    }
    const RdKafka::ErrorCode err = consumer->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    if (err != RdKafka::ERR_NO_ERROR) {
      return absl::InternalError(RdKafka::err2str(err));
    }
    return std::unique_ptr<FloorConsumer>(
        new FloorConsumer(std::move(consumer)));
  }
  ~FloorConsumer() {
    stop_.Notify();
    thread_.join();
    consumer_->close();
  }
  LatencyHistogram& latency() { return latency_; }

 private:
  explicit FloorConsumer(std::unique_ptr<RdKafka::KafkaConsumer> consumer)
      : consumer_(std::move(consumer)), thread_([this] { Loop(); }) {}

  void Loop() {
    v1::Quote quote;
    while (!stop_.HasBeenNotified()) {
      std::unique_ptr<RdKafka::Message> message(consumer_->consume(100));
      if (message->err() != RdKafka::ERR_NO_ERROR) continue;
      const absl::Time now = absl::Now();
      if (kafka::DecodeRecord(*message, quote).ok()) {
        latency_.Record(now -
                        market::FromTimestamp(quote.meta().published_at()));
      }
    }
  }

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  LatencyHistogram latency_;
  absl::Notification stop_;
  std::thread thread_;
};

struct Result {
  std::string server;
  std::string scenario;
  int streams = 0;
  double messages_per_second = 0;
  double expected_per_second = 0;
  absl::Duration p50, p99, p999, max;
  // Gateway runs: Kafka's floor over the same period (FloorConsumer), and
  // the gateway's own share (client receipt - meta.received_at).
  absl::Duration floor_p50, floor_p99, added_p50, added_p99;
  double server_cores = 0;  // Server CPU seconds per second.
  double server_rss_mib = 0;
  double client_cores = 0;  // This process (clients + producer).
  double broker_cores = 0;  // Kafka, gateway runs only.
  double idle_kib_per_stream = 0;
  int64_t failed_streams = 0;
  double rss_growth_mib = 0;        // Over the measured period.
  int slow_streams = 0;             // Streams of the hung client (slow)
                                    // or paused (paused)...
  int64_t slow_ended = 0;           // ... those the server ended...
  int64_t slow_consumers = 0;       // ... of them as slow consumers...
  absl::Duration slow_ended_after;  // ... (slow) counted this long after
                                    // the hang.
  // paused: what the paused streams read and how they ended...
  int64_t slow_consumer_statuses = 0;
  int64_t resource_exhausted = 0;
  int64_t cancelled = 0;
  // ... and the gateway's counts of stalled streams and of ended ones
  // cancelled as undrained.
  int64_t stalls = 0;
  int64_t undrained_cancels = 0;
};

struct Environment {
  std::string work_dir;
  std::vector<std::string> market;
  std::unique_ptr<kafka::LocalKafka> kafka;
  std::unique_ptr<kafka::Publisher> publisher;
  kafka::ConfigMap kafka_config;  // --kafka_config.
  prometheus::Registry registry;
};

double CpuSeconds(pid_t pid) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats(pid);
  return stats.ok() ? stats->cpu_seconds : 0;
}
double RssMib(pid_t pid) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats(pid);
  return stats.ok() ? stats->rss_bytes / (1 << 20) : 0;
}

// The gateway's quote-stream metrics `names`, from one scrape of its
// /metrics; -1 each if they could not be read.
std::vector<int64_t> QuoteMetrics(const testing::ServiceProcess& gateway,
                                  const std::vector<std::string>& names) {
  std::vector<int64_t> values(names.size(), -1);
  absl::StatusOr<std::string> text = testing::HttpGet(
      absl::StrCat("http://127.0.0.1:", gateway.captured[1], "/metrics"));
  if (!text.ok()) return values;
  for (size_t i = 0; i < names.size(); ++i) {
    values[i] = static_cast<int64_t>(
        testing::MetricValue(*text, names[i], {{"channel", "quotes"}})
            .value_or(-1));
  }
  return values;
}

absl::StatusOr<testing::ServiceProcess> StartServer(const std::string& server,
                                                    double updates_per_second,
                                                    Environment& env) {
  if (server == "bare") {
    return testing::StartService(
        "bare-server", "bench/gateway/bare_server",
        {"--port=0", absl::StrCat("--symbols=", env.market.size()),
         absl::StrCat("--updates_per_second=", updates_per_second)},
        "bare server on :(\\d+)");
  }
  absl::StatusOr<testing::ServiceProcess> gateway = testing::StartService(
      "gateway", "services/gateway/vnstream-gateway",
      {absl::StrCat("--kafka_brokers=", env.kafka->bootstrap_servers()),
       "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
       "--fallback=false", "--max_streams=50000", "--shutdown_grace=2s",
       absl::StrCat("--stream_stall_timeout=",
                    absl::FormatDuration(absl::GetFlag(FLAGS_stall_timeout))),
       // The bare server is plaintext and keyless too: the same transport
       // and no per-call key check, for both.
       "--insecure_plaintext", "--insecure_no_auth",
       absl::StrCat("--kafka_config=", absl::GetFlag(FLAGS_kafka_config))},
      "gRPC on :(\\d+), metrics on :(\\d+)");
  if (!gateway.ok()) return gateway;
  // Ready once its cache holds what the topics held.
  absl::StatusOr<std::vector<std::string>> serving =
      testing::WaitForLog(*gateway, "serving", absl::Seconds(120));
  if (!serving.ok()) return serving.status();
  return gateway;
}

absl::StatusOr<Result> Run(const std::string& server,
                           const std::string& scenario, Environment& env) {
  const bool idle = scenario == "idle";
  const bool slow = scenario == "slow";
  const bool paused = scenario == "paused";
  const double rate = idle ? 0
                      : scenario == "fanout"
                          ? absl::GetFlag(FLAGS_fanout_updates_per_second)
                          : absl::GetFlag(FLAGS_updates_per_second);
  const int streams = idle ? absl::GetFlag(FLAGS_idle_streams)
                      : scenario == "fanout" || scenario == "saturated"
                          ? absl::GetFlag(FLAGS_fanout_streams)
                      : slow || paused || scenario == "readers"
                          ? absl::GetFlag(FLAGS_slow_streams)
                          : absl::GetFlag(FLAGS_freshness_streams);
  Result result{.server = server, .scenario = scenario, .streams = streams};
  const bool gateway = server == "gateway";
  std::unique_ptr<Producer> producer;
  if (gateway) {
    // Every symbol has a quote before the gateway starts (a snapshot).
    producer = std::make_unique<Producer>(*env.publisher, env.market);
    producer->PublishRound();
    if (absl::Status s = env.publisher->Flush(absl::Seconds(60)); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<testing::ServiceProcess> process =
      StartServer(server, rate, env);
  if (!process.ok()) return process.status();
  const pid_t pid = process->process->pid();
  const std::string address = absl::StrCat("127.0.0.1:", process->captured[0]);

  // Settle: the server's start-up allocations are not per-stream costs.
  absl::SleepFor(absl::Seconds(2));
  const double rss_before = RssMib(pid);
  // The slow and paused scenarios' last streams do not read. The slow
  // scenario's are a hung client's: a process of its own, stopped once they
  // are established, so its connections stop being read (the kernel's and
  // gRPC's buffers fill, then the server's writes stop completing), as
  // those of a client that hung. The paused scenario's are this process's,
  // on connections of their own whose windows stay small: alive clients
  // that stop reading, for --pause of the measured period.
  const int not_reading =
      slow || paused
          ? static_cast<int>(streams * absl::GetFlag(FLAGS_slow_fraction) + 0.5)
          : 0;
  const int reading = streams - not_reading;
  auto clients = std::make_unique<QuoteStreams>(
      QuoteStreamsOptions{
          .address = address,
          .streams = reading,
          .symbols_per_stream = absl::GetFlag(FLAGS_symbols_per_stream),
          .streams_per_connection =
              absl::GetFlag(FLAGS_streams_per_connection)},
      env.market);
  std::unique_ptr<QuoteStreams> paused_streams;
  if (paused && not_reading > 0) {
    paused_streams = std::make_unique<QuoteStreams>(
        QuoteStreamsOptions{
            .address = address,
            .streams = not_reading,
            .symbols_per_stream = absl::GetFlag(FLAGS_symbols_per_stream),
            .streams_per_connection =
                absl::GetFlag(FLAGS_streams_per_connection),
            .first_stream = reading,
            .stream_window_bytes = absl::GetFlag(FLAGS_paused_stream_window)},
        env.market);
  }
  for (QuoteStreams* group : {clients.get(), paused_streams.get()}) {
    if (group == nullptr || group->WaitEstablished(absl::Seconds(180))) {
      continue;
    }
    return absl::DeadlineExceededError(absl::StrCat(
        server, "/", scenario, ": ", group->stats().established.load(), " of ",
        group == clients.get() ? reading : not_reading,
        " streams established, ", group->stats().done.load(), " ended"));
  }
  std::optional<testing::ServiceProcess> hung_client;
  absl::Time hung_at;
  if (slow && not_reading > 0) {
    absl::StatusOr<testing::ServiceProcess> started = testing::StartService(
        "hung-client", "bench/gateway/loadgen",
        {absl::StrCat("--hung_client_of=", address),
         absl::StrCat("--hung_streams=", not_reading),
         absl::StrCat("--hung_first_stream=", reading),
         absl::StrCat("--market_symbols=", env.market.size()),
         absl::StrCat("--symbols_per_stream=",
                      absl::GetFlag(FLAGS_symbols_per_stream)),
         absl::StrCat("--streams_per_connection=",
                      absl::GetFlag(FLAGS_streams_per_connection))},
        "hung client: (\\d+) streams open", absl::Seconds(240));
    if (!started.ok()) return started.status();
    hung_client = *std::move(started);
    if (absl::Status s = hung_client->process->Signal(SIGSTOP); !s.ok()) {
      return s;
    }
    hung_at = absl::Now();
  }
  if (idle) {
    absl::SleepFor(absl::Seconds(2));
    result.server_rss_mib = RssMib(pid);
    result.idle_kib_per_stream =
        (result.server_rss_mib - rss_before) * 1024 / streams;
  } else {
    std::unique_ptr<FloorConsumer> floor;
    if (gateway) {
      absl::StatusOr<std::unique_ptr<FloorConsumer>> started =
          FloorConsumer::Start(env.kafka->bootstrap_servers(),
                               env.kafka_config);
      if (!started.ok()) return started.status();
      floor = *std::move(started);
    }
    if (producer != nullptr) producer->Start(rate);
    absl::SleepFor(absl::GetFlag(FLAGS_warmup));
    StreamStats& stats = clients->stats();
    stats.latency.Reset();
    stats.added_latency.Reset();
    if (floor != nullptr) floor->latency().Reset();
    stats.messages.store(0);
    const double server_cpu = CpuSeconds(pid);
    const double client_cpu = CpuSeconds(0);
    const double broker_cpu = gateway ? CpuSeconds(env.kafka->pid()) : 0;
    const double rss_start = RssMib(pid);
    const absl::Time start = absl::Now();
    if (paused_streams != nullptr) {
      paused_streams->PauseReading();
      absl::SleepFor(
          std::min(absl::GetFlag(FLAGS_pause), absl::GetFlag(FLAGS_duration)));
      paused_streams->ResumeReading();
    }
    absl::SleepFor(start + absl::GetFlag(FLAGS_duration) - absl::Now());
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    result.messages_per_second =
        static_cast<double>(stats.messages.load()) / seconds;
    result.server_cores = (CpuSeconds(pid) - server_cpu) / seconds;
    result.client_cores = (CpuSeconds(0) - client_cpu) / seconds;
    if (gateway) {
      result.broker_cores =
          (CpuSeconds(env.kafka->pid()) - broker_cpu) / seconds;
    }
    result.server_rss_mib = RssMib(pid);
    result.rss_growth_mib = result.server_rss_mib - rss_start;
    result.p50 = stats.latency.Percentile(0.5);
    result.p99 = stats.latency.Percentile(0.99);
    result.p999 = stats.latency.Percentile(0.999);
    result.max = stats.latency.max();
    if (floor != nullptr) {
      result.floor_p50 = floor->latency().Percentile(0.5);
      result.floor_p99 = floor->latency().Percentile(0.99);
      result.added_p50 = stats.added_latency.Percentile(0.5);
      result.added_p99 = stats.added_latency.Percentile(0.99);
    }
    if (producer != nullptr) producer->Stop();
  }
  if (hung_client.has_value()) {
    // The gateway's own counts (the bare server has no limits: its queues
    // grow): a hung client's streams end once its connection is found dead
    // (an HTTP/2 ping or SETTINGS it does not acknowledge), or as slow
    // consumers when their writes stop completing first.
    if (gateway) {
      // Bounded, if the measured period was too short for it.
      int64_t active = -1;  // The gateway's open quote streams, last seen.
      PollUntil(
          [&] {
            active =
                QuoteMetrics(*process, {"vnstream_gateway_active_streams"})[0];
            return active >= 0 && active <= reading;
          },
          absl::Seconds(60) + 2 * absl::GetFlag(FLAGS_stall_timeout),
          absl::Milliseconds(200));
      result.slow_ended_after = absl::Now() - hung_at;
      // The readers' own ends are counted in failed_streams.
      if (active >= 0) {
        result.slow_ended = std::min<int64_t>(not_reading, streams - active);
      }
      result.slow_consumers = QuoteMetrics(
          *process, {"vnstream_gateway_slow_consumer_disconnects_total"})[0];
    }
    (void)hung_client->process->Signal(SIGKILL);
  }
  if (paused_streams != nullptr) {
    StreamStats& stats = paused_streams->stats();
    // The gateway ends them (SLOW_CONSUMER, then RESOURCE_EXHAUSTED; or
    // cancelled, if they resumed too late) within two stall timeouts of the
    // pause; the bare server has no limit and ends none.
    if (gateway) {
      PollUntil([&] { return stats.done.load() == not_reading; },
                absl::Seconds(10) + 2 * absl::GetFlag(FLAGS_stall_timeout),
                absl::Milliseconds(200));
      const std::vector<int64_t> counts = QuoteMetrics(
          *process, {"vnstream_gateway_slow_consumer_disconnects_total",
                     "vnstream_gateway_stream_stalls_total",
                     "vnstream_gateway_undrained_streams_cancelled_total"});
      result.slow_consumers = counts[0];
      result.stalls = counts[1];
      result.undrained_cancels = counts[2];
    }
    result.slow_ended = stats.done.load();
    result.slow_consumer_statuses = stats.slow_consumer_statuses.load();
    result.resource_exhausted =
        stats.ended_with[grpc::StatusCode::RESOURCE_EXHAUSTED].load();
    result.cancelled = stats.ended_with[grpc::StatusCode::CANCELLED].load();
  }
  // Every update reaches the reading streams subscribed to its symbol.
  result.expected_per_second = rate * reading *
                               absl::GetFlag(FLAGS_symbols_per_stream) /
                               static_cast<double>(env.market.size());
  result.failed_streams = clients->stats().failed.load();
  result.slow_streams = not_reading;
  clients.reset();
  paused_streams.reset();
  process->process.reset();  // SIGTERM, then reaped.
  return result;
}

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.2f", absl::ToDoubleMilliseconds(d));
}

void Print(const std::vector<Result>& results) {
  absl::PrintF(
      "\n%-9s %-8s %7s %11s %11s %8s %8s %8s %8s %6s %8s %6s %6s %9s %6s\n",
      "scenario", "server", "streams", "msgs/s", "expected", "p50 ms", "p99 ms",
      "p99.9 ms", "max ms", "cores", "RSS MiB", "client", "kafka", "KiB/strm",
      "failed");
  for (const Result& r : results) {
    absl::PrintF(
        "%-9s %-8s %7d %11.0f %11.0f %8s %8s %8s %8s %6.2f %8.1f %6.2f %6.2f "
        "%9.1f %6d\n",
        r.scenario, r.server, r.streams, r.messages_per_second,
        r.expected_per_second, Ms(r.p50), Ms(r.p99), Ms(r.p999), Ms(r.max),
        r.server_cores, r.server_rss_mib, r.client_cores, r.broker_cores,
        r.idle_kib_per_stream, r.failed_streams);
  }
  // Slow readers: each server against itself without them, same run.
  for (const Result& s : results) {
    const bool slow = s.scenario == "slow";
    if (!slow && s.scenario != "paused") continue;
    absl::PrintF(
        "\n%s with %d of %d streams %s:\n", s.server, s.slow_streams, s.streams,
        slow ? "held by a hung client"
             : absl::StrCat("paused for ",
                            absl::FormatDuration(absl::GetFlag(FLAGS_pause)),
                            " (", absl::GetFlag(FLAGS_paused_stream_window),
                            "-byte HTTP/2 stream windows)"));
    const auto readers =
        std::find_if(results.begin(), results.end(), [&](const Result& r) {
          return r.scenario == "readers" && r.server == s.server;
        });
    if (readers == results.end()) {
      absl::PrintF(
          "  server RSS %.1f MiB, growth over the measured %s: %+.1f "
          "MiB (run readers too to compare)\n",
          s.server_rss_mib, absl::FormatDuration(absl::GetFlag(FLAGS_duration)),
          s.rss_growth_mib);
    } else {
      const Result& r = *readers;
      absl::PrintF(
          "  against all reading: readers' p50 %s  p99 %s  msgs/s %s of "
          "expected %.0f vs %.0f\n"
          "  server RSS %.1f vs %.1f MiB, growth over the measured %s: "
          "%+.1f vs %+.1f MiB\n",
          RatioText(absl::ToDoubleMicroseconds(s.p50),
                    absl::ToDoubleMicroseconds(r.p50)),
          RatioText(absl::ToDoubleMicroseconds(s.p99),
                    absl::ToDoubleMicroseconds(r.p99)),
          RatioText(s.messages_per_second / s.expected_per_second,
                    r.messages_per_second / r.expected_per_second),
          s.expected_per_second, r.expected_per_second, s.server_rss_mib,
          r.server_rss_mib, absl::FormatDuration(absl::GetFlag(FLAGS_duration)),
          s.rss_growth_mib, r.rss_growth_mib);
    }
    if (slow) {
      absl::PrintF(
          "  hung streams the server had ended %s after the hang: %d of %d "
          "(%d as slow consumers; stream_stall_timeout %s)\n",
          absl::FormatDuration(
              absl::Trunc(s.slow_ended_after, absl::Seconds(1))),
          s.slow_ended, s.slow_streams, s.slow_consumers,
          absl::FormatDuration(absl::GetFlag(FLAGS_stall_timeout)));
    } else {
      absl::PrintF(
          "  paused streams: %d of %d read a SLOW_CONSUMER status; ended: "
          "%d, %d with RESOURCE_EXHAUSTED, %d CANCELLED\n",
          s.slow_consumer_statuses, s.slow_streams, s.slow_ended,
          s.resource_exhausted, s.cancelled);
      // The bare server has no stall limit (and no metrics).
      if (s.server == "gateway") {
        absl::PrintF(
            "  gateway's counts (quote streams): %d stalled, %d slow "
            "consumer disconnects, %d undrained streams cancelled "
            "(stream_stall_timeout %s)\n",
            s.stalls, s.slow_consumers, s.undrained_cancels,
            absl::FormatDuration(absl::GetFlag(FLAGS_stall_timeout)));
      }
    }
  }
  // Freshness: the gateway against the Kafka floor under it.
  for (const Result& g : results) {
    if (g.server != "gateway" || g.floor_p50 == absl::ZeroDuration()) continue;
    absl::PrintF(
        "\n%s, gateway: produce -> client p50 %s ms, p99 %s ms; Kafka floor "
        "(bare librdkafka produce -> consume, same records) p50 %s ms, p99 %s "
        "ms (%s, %s); the gateway's own share (receipt from Kafka -> client) "
        "p50 %s ms, p99 %s ms\n",
        g.scenario, Ms(g.p50), Ms(g.p99), Ms(g.floor_p50), Ms(g.floor_p99),
        RatioText(absl::ToDoubleMicroseconds(g.p50),
                  absl::ToDoubleMicroseconds(g.floor_p50)),
        RatioText(absl::ToDoubleMicroseconds(g.p99),
                  absl::ToDoubleMicroseconds(g.floor_p99)),
        Ms(g.added_p50), Ms(g.added_p99));
  }
  absl::PrintF("\ngateway / bare:\n");
  for (const Result& g : results) {
    if (g.server != "gateway") continue;
    for (const Result& b : results) {
      if (b.server != "bare" || b.scenario != g.scenario) continue;
      if (g.scenario == "idle") {
        absl::PrintF("  idle       memory per stream %s\n",
                     RatioText(g.idle_kib_per_stream, b.idle_kib_per_stream));
        continue;
      }
      absl::PrintF(
          "  %-10s msgs/s %s  p50 %s  p99 %s  p99.9 %s  server CPU %s  RSS "
          "%s\n",
          g.scenario, RatioText(g.messages_per_second, b.messages_per_second),
          RatioText(absl::ToDoubleMicroseconds(g.p50),
                    absl::ToDoubleMicroseconds(b.p50)),
          RatioText(absl::ToDoubleMicroseconds(g.p99),
                    absl::ToDoubleMicroseconds(b.p99)),
          RatioText(absl::ToDoubleMicroseconds(g.p999),
                    absl::ToDoubleMicroseconds(b.p999)),
          RatioText(g.server_cores, b.server_cores),
          RatioText(g.server_rss_mib, b.server_rss_mib));
    }
  }
  // Issue 17's goals (scripts/perf.sh gathers these lines into one table).
  for (const Result& g : results) {
    if (g.server != "gateway") continue;
    if (g.scenario == "freshness") {
      const std::string floor =
          absl::StrCat(" (Kafka floor ", Ms(g.floor_p50), " / ",
                       Ms(g.floor_p99), " ms, gateway's share ",
                       Ms(g.added_p50), " / ", Ms(g.added_p99), " ms)");
      const std::string streams = absl::StrCat(g.streams, " streams");
      PrintGoal(absl::StrCat("freshness p50, produce -> client, ", streams),
                absl::StrCat(Ms(g.p50), " ms", floor), "<= 2 ms",
                g.p50 <= absl::Milliseconds(2));
      PrintGoal(absl::StrCat("freshness p99, produce -> client, ", streams),
                absl::StrCat(Ms(g.p99), " ms"), "<= 10 ms",
                g.p99 <= absl::Milliseconds(10));
    }
    for (const Result& b : results) {
      if (b.server != "bare" || b.scenario != g.scenario) continue;
      if (g.scenario == "idle") {
        PrintRatioGoal(absl::StrCat("memory per idle stream, gateway / bare, ",
                                    g.streams, " streams"),
                       g.idle_kib_per_stream, b.idle_kib_per_stream,
                       /*at_most=*/true, 1.05);
      } else if (g.scenario == "fanout" && g.messages_per_second > 0 &&
                 b.messages_per_second > 0) {
        PrintRatioGoal(
            absl::StrCat("CPU per delivered message, gateway / bare, ",
                         g.streams, " streams"),
            g.server_cores / g.messages_per_second,
            b.server_cores / b.messages_per_second, /*at_most=*/true, 1.0);
      }
    }
  }
}

// The slow scenario's hung client: opens its streams, says so, and waits
// for the load generator to stop it (SIGSTOP) and later kill it.
int HungClient() {
  const int streams = absl::GetFlag(FLAGS_hung_streams);
  QuoteStreams clients(
      {.address = absl::GetFlag(FLAGS_hung_client_of),
       .streams = streams,
       .symbols_per_stream = absl::GetFlag(FLAGS_symbols_per_stream),
       .streams_per_connection = absl::GetFlag(FLAGS_streams_per_connection),
       .first_stream = absl::GetFlag(FLAGS_hung_first_stream)},
      SyntheticSymbols(absl::GetFlag(FLAGS_market_symbols)));
  if (!clients.WaitEstablished(absl::Seconds(180))) {
    spdlog::error("hung client: {} of {} streams established",
                  clients.stats().established.load(), streams);
    return 1;
  }
  spdlog::info("hung client: {} streams open", streams);
  absl::SleepFor(absl::InfiniteDuration());
  return 0;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  InitLogging("gateway-loadgen");
  if (!absl::GetFlag(FLAGS_hung_client_of).empty()) return HungClient();
  Environment env;
  char dir_template[] = "/tmp/vnstream-loadgen-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  env.work_dir = dir_template;
  env.market = SyntheticSymbols(absl::GetFlag(FLAGS_market_symbols));
  const std::vector<std::string> servers = absl::GetFlag(FLAGS_servers);
  absl::StatusOr<kafka::ConfigMap> kafka_config =
      kafka::ParseConfigList(absl::GetFlag(FLAGS_kafka_config));
  if (!kafka_config.ok()) {
    spdlog::error("--kafka_config: {}", kafka_config.status());
    return 1;
  }
  env.kafka_config = *std::move(kafka_config);
  if (std::find(servers.begin(), servers.end(), "gateway") != servers.end()) {
    absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> kafka =
        kafka::LocalKafka::Start({.work_dir = env.work_dir + "/kafka"});
    if (!kafka.ok()) {
      spdlog::error("{}", kafka.status());
      return 1;
    }
    env.kafka = *std::move(kafka);
    absl::StatusOr<std::unique_ptr<kafka::Publisher>> publisher =
        kafka::Publisher::Create(
            {.bootstrap_servers = env.kafka->bootstrap_servers(),
             .client_id = "gateway-loadgen",
             .overrides = env.kafka_config},
            env.registry, "loadgen");
    if (!publisher.ok()) {
      spdlog::error("{}", publisher.status());
      return 1;
    }
    env.publisher = *std::move(publisher);
  }
  std::vector<Result> results;
  int failures = 0;
  for (const std::string& scenario : absl::GetFlag(FLAGS_scenarios)) {
    for (const std::string& server : servers) {
      spdlog::info("{} / {} ...", scenario, server);
      absl::StatusOr<Result> result = Run(server, scenario, env);
      if (!result.ok()) {
        spdlog::error("{} / {}: {}", scenario, server, result.status());
        ++failures;
        continue;
      }
      results.push_back(*result);
    }
  }
  Print(results);
  env.publisher.reset();
  env.kafka.reset();
  std::filesystem::remove_all(env.work_dir);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) { return vnstream::bench::Main(argc, argv); }
