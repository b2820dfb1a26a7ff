// The chaos audit: the whole pipeline on a 3-broker KRaft cluster (topics
// replicated 3 times, min.insync.replicas=2) keeps every record exactly
// once while its parts fail, with the workload running:
//   vnstock-sim -> ingest -> Kafka -> analytics x2 -> Kafka -> gateway -> gRPC
// Faults, in turn: SIGKILL of the leader of the busiest stock-prices
// partition (restarted), SIGSTOP of another broker for 10 s, SIGKILL of
// ingest, of one analytics replica (a rebalance) and of the gateway (each
// restarted; clients resume with since_seq). Then the feed stops, the
// pipeline drains, and the audit reads every topic from the beginning
// (read_committed):
//   - ingest's topics: per symbol (intraday: per symbol and trading day)
//     the seqs are exactly 1..n, each once;
//   - analytics: exactly one output per input with one processor's numbers
//     (tests/analytics_scenario.h: ExpectExactlyOnce);
//   - every client got every seq up to Kafka's newest, or an event whose
//     `conflated` count covers the ones it skipped (resume replays and
//     back-pressure conflation), and no seq twice.
// One line on stdout sums it up ("chaos: ..."). VNSTREAM_CHAOS_ROUNDS
// (default 1) repeats the faults: scripts/chaos.sh is the long run.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "clients/cpp/market_data_client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "tests/analytics_scenario.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/keys.h"
#include "tests/support/service_process.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream {
namespace {

using ::vnstream::testing::Inputs;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;
// The gateway serves TLS with a certificate of this test's own CA.
testing::TestCerts* certs = nullptr;
// The API key the clients send.
testing::TestKey* key = nullptr;

// How many times the sequence of faults runs (VNSTREAM_CHAOS_ROUNDS).
int Rounds() {
  const char* value = std::getenv("VNSTREAM_CHAOS_ROUNDS");
  int rounds = 1;
  if (value != nullptr && !absl::SimpleAtoi(value, &rounds)) rounds = 1;
  return std::max(rounds, 1);
}

// Every wait on the pipeline is bounded by this; generous, as a Kafka
// leader election or a transaction timeout on a loaded machine is slow.
constexpr absl::Duration kStepTimeout = absl::Seconds(180);

// YYYY-MM-DD: ordered as the days are.
std::string DateKey(const v1::Date& d) {
  return absl::FormatCivilTime(market::ToCivilDay(d));
}

// A client of one channel that records what the gateway sends, before any
// client-side dedupe (unlike client::ResumingSubscription, which drops
// repeats: the audit must see them). It resumes after every stream end
// with since_seq = the last seq it got per symbol; when the gateway cannot
// resume (FAILED_PRECONDITION) it subscribes afresh and records that reset.
// Thread-safety: the public methods may be called from any thread.
class Recorder {
 public:
  // One data event; or the end of a stream (`end`: its status), after
  // which the audit starts every symbol over if it was a reset (a fresh
  // subscription after FAILED_PRECONDITION).
  struct Entry {
    std::string symbol;
    uint64_t seq = 0;
    uint32_t conflated = 0;
    bool snapshot = false;
    v1::Delivery delivery = v1::DELIVERY_UNSPECIFIED;
    std::string end;
    bool reset = false;
  };
  struct Audit {
    size_t events = 0;
    // Seqs jumped over, explained by the event's conflated count, on live
    // events and on snapshot (resume replay) events.
    uint64_t conflated_live = 0;
    uint64_t conflated_replay = 0;
    uint64_t unexplained = 0;  // Jumps beyond the conflated count: loss.
    uint64_t overcounted = 0;  // Conflated counts beyond the jump.
    uint64_t duplicated = 0;   // Seqs not above the symbol's last one.
    // Symbols whose delivery changed: the numbering starts over (before
    // ingest's first record the gateway serves the VNStock fallback, with
    // seqs of its own). Kafka -> fallback would mean Kafka data was lost.
    int to_kafka = 0;
    int from_kafka = 0;
    int resets = 0;
    std::vector<std::string> problems;  // The first few, for the message.
  };

  Recorder(std::string name, v1::Channel channel,
           std::vector<std::string> symbols,
           std::shared_ptr<grpc::Channel> grpc_channel)
      : name_(std::move(name)),
        channel_(channel),
        symbols_(std::move(symbols)),
        stub_(v1::MarketDataService::NewStub(std::move(grpc_channel))),
        thread_([this] { Run(); }) {}

  ~Recorder() { Stop(); }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    stopped_.Notify();
    if (thread_.joinable()) thread_.join();
  }

  const std::string& name() const { return name_; }

  size_t events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  int streams() const {
    absl::MutexLock lock(&mu_);
    return streams_;
  }
  // Per symbol, the newest seq received (and its trading date).
  std::map<std::string, std::pair<std::string, uint64_t>> Last() const {
    absl::MutexLock lock(&mu_);
    return last_;
  }

  // The log, one line per entry, into `path`.
  void Dump(const std::string& path) const {
    absl::MutexLock lock(&mu_);
    std::ofstream out(path);
    for (const Entry& e : log_) {
      if (!e.end.empty()) {
        out << e.end << "\n";
      } else {
        out << e.symbol << " " << e.seq << " conflated " << e.conflated
            << (e.snapshot ? " snapshot " : " ")
            << v1::Delivery_Name(e.delivery) << "\n";
      }
    }
  }

  Audit Check() const {
    absl::MutexLock lock(&mu_);
    Audit audit;
    std::map<std::string, std::pair<v1::Delivery, uint64_t>> previous;
    for (const Entry& e : log_) {
      if (!e.end.empty()) {
        if (e.reset) {
          previous.clear();
          ++audit.resets;
        }
        continue;
      }
      ++audit.events;
      auto& [delivery, prev] = previous[e.symbol];
      auto problem = [&](auto&&... parts) {
        if (audit.problems.size() < 10) {
          audit.problems.push_back(
              absl::StrCat(name_, " ", e.symbol, ": ", parts...));
        }
      };
      if (e.delivery != delivery) {
        if (delivery == v1::DELIVERY_KAFKA) {
          ++audit.from_kafka;
          problem("Kafka -> ", v1::Delivery_Name(e.delivery));
        } else if (e.delivery == v1::DELIVERY_KAFKA) {
          ++audit.to_kafka;
        }
        delivery = e.delivery;
        prev = 0;
      }
      if (e.seq <= prev) {
        ++audit.duplicated;
        problem("seq ", e.seq, " after ", prev);
        continue;
      }
      const uint64_t skipped = e.seq - prev - 1;
      (e.snapshot ? audit.conflated_replay : audit.conflated_live) +=
          std::min<uint64_t>(skipped, e.conflated);
      if (skipped > e.conflated) {
        audit.unexplained += skipped - e.conflated;
        problem(prev, " -> ", e.seq, " with conflated ", e.conflated);
      } else if (skipped < e.conflated) {
        audit.overcounted += e.conflated - skipped;
        problem(prev, " -> ", e.seq, " says conflated ", e.conflated);
      }
      prev = e.seq;
    }
    return audit;
  }

 private:
  static const v1::RecordMeta* MetaOf(const v1::MarketEvent& event) {
    if (event.has_quote()) return &event.quote().meta();
    if (event.has_bar()) return &event.bar().meta();
    if (event.has_intraday_analytics()) {
      return &event.intraday_analytics().meta();
    }
    return nullptr;
  }

  void Run() {
    while (true) {
      v1::SubscribeRequest request;
      for (const std::string& s : symbols_) request.add_symbols(s);
      grpc::ClientContext context;
      // A gateway being restarted: the call waits for it (Stop() cancels).
      context.set_wait_for_ready(true);
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        for (const auto& [symbol, last] : last_) {
          (*request.mutable_since_seq())[symbol] = last.second;
        }
        context_ = &context;
        ++streams_;
      }
      std::unique_ptr<grpc::ClientReader<v1::MarketEvent>> reader =
          channel_ == v1::CHANNEL_QUOTES
              ? stub_->SubscribeQuotes(&context, request)
          : channel_ == v1::CHANNEL_INTRADAY_BARS
              ? stub_->SubscribeIntradayBars(&context, request)
              : stub_->SubscribeIntradayAnalytics(&context, request);
      v1::MarketEvent event;
      while (reader->Read(&event)) {
        const v1::RecordMeta* meta = MetaOf(event);
        if (meta == nullptr) continue;
        absl::MutexLock lock(&mu_);
        ++events_;
        log_.push_back({.symbol = meta->symbol(),
                        .seq = meta->seq(),
                        .conflated = event.conflated(),
                        .snapshot = event.snapshot(),
                        .delivery = event.delivery()});
        auto& last = last_[meta->symbol()];
        const std::string day = DateKey(meta->trading_date());
        if (day != last.first || meta->seq() > last.second) {
          last = {day, meta->seq()};
        }
      }
      const grpc::Status status = reader->Finish();
      {
        absl::MutexLock lock(&mu_);
        context_ = nullptr;
        if (stopping_) return;
        const bool reset =
            status.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
        log_.push_back(
            {.end = absl::StrCat("stream ended: ", status.error_code(), " ",
                                 status.error_message()),
             .reset = reset});
        if (reset) last_.clear();
      }
      // A short pause before resuming, cut short by Stop().
      stopped_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
    }
  }

  const std::string name_;
  const v1::Channel channel_;
  const std::vector<std::string> symbols_;
  const std::unique_ptr<v1::MarketDataService::Stub> stub_;
  absl::Notification stopped_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t events_ ABSL_GUARDED_BY(mu_) = 0;
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Entry> log_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::pair<std::string, uint64_t>> last_
      ABSL_GUARDED_BY(mu_);
  // Last member: started once the rest is initialised.
  std::thread thread_;
};

// The seqs of one topic, per key: (symbol) or (symbol, trading date).
struct TopicAudit {
  size_t records = 0;
  size_t keys = 0;
  uint64_t lost = 0;        // Seqs of 1..max missing.
  uint64_t duplicated = 0;  // Copies beyond the first.
  // Per symbol, the newest seq (of the newest trading date).
  std::map<std::string, std::pair<std::string, uint64_t>> newest;
  std::vector<std::string> problems;
};

template <typename Record>
TopicAudit AuditSeqs(const std::vector<Record>& records, bool per_day) {
  TopicAudit audit;
  std::map<std::pair<std::string, std::string>, std::map<uint64_t, int>> seqs;
  for (const Record& r : records) {
    const std::string day =
        per_day ? DateKey(r.meta().trading_date()) : std::string();
    ++seqs[{r.meta().symbol(), day}][r.meta().seq()];
    ++audit.records;
  }
  audit.keys = seqs.size();
  for (const auto& [key, copies] : seqs) {
    uint64_t expected = 1;
    for (const auto& [seq, n] : copies) {
      if (seq > expected) {
        audit.lost += seq - expected;
        if (audit.problems.size() < 10) {
          audit.problems.push_back(absl::StrCat(key.first, " ", key.second,
                                                ": seqs ", expected, "..",
                                                seq - 1, " missing"));
        }
      }
      if (n > 1) {
        audit.duplicated += n - 1;
        if (audit.problems.size() < 10) {
          audit.problems.push_back(
              absl::StrCat(key.first, " ", key.second, ": seq ", seq, " x", n));
        }
      }
      expected = seq + 1;
    }
    auto& newest = audit.newest[key.first];
    if (key.second >= newest.first) newest = {key.second, expected - 1};
  }
  return audit;
}

// A TLS channel to the gateway, trusting the test's CA, with the key.
std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      client::MakeChannel(address, {.ca_file = certs->ca, .api_key = key->key});
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *channel : nullptr;
}

bool WaitServing(const std::string& address) {
  auto stub = grpc::health::v1::Health::NewStub(Channel(address));
  return PollUntil(
      [&] {
        grpc::ClientContext context;
        context.set_deadline(
            absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
        grpc::health::v1::HealthCheckResponse response;
        return stub->Check(&context, {}, &response).ok() &&
               response.status() ==
                   grpc::health::v1::HealthCheckResponse::SERVING;
      },
      kStepTimeout, absl::Milliseconds(200));
}

class ChaosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = kafka_env->bootstrap_servers();
    absl::StatusOr<ServiceProcess> sim = StartService(
        "sim", "tools/vnstock_sim/vnstock-sim",
        {absl::StrCat("--csv=", Runfile("data/vn30/vn30-daily-2016-2019.csv")),
         // Twice real time from the start of the morning session: 65 min of
         // trading (the long run stays within it), trades every few seconds.
         "--today=2019-06-14", "--start_time=09:20", "--speed=2", "--port=0",
         "--host=127.0.0.1"},
        "listening on 127.0.0.1:(\\d+)");
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    StartIngest();
    if (HasFatalFailure()) return;
    for (const char* id : {"analytics-a", "analytics-b"}) {
      StartAnalytics(id);
      if (HasFatalFailure()) return;
    }
    StartGateway("127.0.0.1:0");
  }

  void TearDown() override {
    // Clients first (they would wait for a gateway), then the services.
    recorders_.clear();
  }

  void StartIngest() {
    absl::StatusOr<ServiceProcess> ingest = StartService(
        "ingest", "services/ingest/vnstream-ingest",
        {absl::StrCat("--kafka_brokers=", brokers_),
         absl::StrCat("--vnstock_url=http://127.0.0.1:", sim_.captured[0],
                      "/api/"),
         absl::StrCat("--symbols=",
                      absl::StrJoin(testing::GroupSymbols(), ",")),
         "--indices=", "--ignore_market_hours", "--price_interval=1s",
         "--intraday_interval=1s", "--history_interval=2s",
         "--history_bars=100", "--metrics_address=127.0.0.1:0",
         "--grpc_address=127.0.0.1:0"},
        "metrics :(\\d+); gRPC :(\\d+)", kStepTimeout);
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    ingest_ = *std::move(ingest);
  }

  void StartAnalytics(const std::string& id) {
    // A killed replica's open transaction holds its partitions back until
    // it times out: 10 s keeps the rebalance short.
    absl::StatusOr<ServiceProcess> analytics = testing::StartAnalytics(
        brokers_, id, id, {"--batch_size=20", "--transaction_timeout=10s"});
    ASSERT_TRUE(analytics.ok()) << analytics.status();
    analytics_[id] = *std::move(analytics);
  }

  void StartGateway(const std::string& address) {
    absl::StatusOr<ServiceProcess> gateway = StartService(
        "gateway", "services/gateway/vnstream-gateway",
        {absl::StrCat("--kafka_brokers=", brokers_),
         absl::StrCat("--vnstock_url=http://127.0.0.1:", sim_.captured[0],
                      "/api/"),
         absl::StrCat("--grpc_address=", address),
         "--metrics_address=127.0.0.1:0", "--shutdown_grace=2s",
         absl::StrCat("--tls_cert_file=", certs->gateway_cert),
         absl::StrCat("--tls_key_file=", certs->gateway_key),
         absl::StrCat("--keys_file=", key->file)},
        "gRPC on :(\\d+), metrics on :(\\d+)", kStepTimeout);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    gateway_address_ = absl::StrCat("127.0.0.1:", gateway_.captured[0]);
    ASSERT_TRUE(WaitServing(gateway_address_)) << gateway_.log_path;
  }

  // What Kubernetes does (restartPolicy: Always): a service that exited by
  // itself is started again. analytics exits on a fatal producer error
  // (e.g. "rewound sequence number" after a leader change): only a new
  // producer may write, and the restart makes one. Counted per service.
  void Supervise() {
    if (!feed_stopped_ && !ingest_.process->Running()) {
      ++crash_restarts_["ingest"];
      StartIngest();
    }
    for (auto& [id, analytics] : analytics_) {
      if (!analytics.process->Running()) {
        ++crash_restarts_[id];
        StartAnalytics(id);
      }
    }
    if (!gateway_.process->Running()) {
      ++crash_restarts_["gateway"];
      StartGateway(gateway_address_);
    }
  }

  // The workload goes on: every client gets `events` more data events.
  void ExpectFlowing(const std::string& after, size_t events = 5) {
    std::vector<size_t> base;
    for (const auto& r : recorders_) base.push_back(r->events());
    const bool flowing = PollUntil(
        [&] {
          Supervise();
          for (size_t i = 0; i < recorders_.size(); ++i) {
            if (recorders_[i]->events() < base[i] + events) return false;
          }
          return true;
        },
        kStepTimeout, absl::Milliseconds(200));
    std::string counts;
    for (size_t i = 0; i < recorders_.size(); ++i) {
      absl::StrAppend(&counts, " ", recorders_[i]->name(), " ", base[i], "->",
                      recorders_[i]->events());
    }
    ASSERT_TRUE(flowing) << "no events after " << after << ":" << counts;
  }

  // The partition of stock-prices with the most records so far.
  int BusiestPricesPartition() {
    std::map<int32_t, size_t> counts;
    for (const testing::Committed& c :
         testing::ReadCommitted(brokers_, kafka::kPricesTopic)) {
      ++counts[c.partition];
    }
    int busiest = 0;
    for (const auto& [partition, n] : counts) {
      if (n > counts[busiest]) busiest = partition;
    }
    return busiest;
  }

  void KillService(ServiceProcess& service) {
    ASSERT_TRUE(service.process->Signal(SIGKILL).ok());
    ASSERT_TRUE(service.process->Wait(absl::Seconds(30)).ok());
  }

  std::string brokers_;
  ServiceProcess sim_;
  ServiceProcess ingest_;
  std::map<std::string, ServiceProcess> analytics_;
  ServiceProcess gateway_;
  std::string gateway_address_;
  std::vector<std::unique_ptr<Recorder>> recorders_;
  std::map<std::string, int> crash_restarts_;
  bool feed_stopped_ = false;  // ingest stopped for the audit.
};

TEST_F(ChaosTest, FaultsLoseAndDuplicateNothing) {
  const absl::Time started = absl::Now();
  kafka::LocalKafka& cluster = kafka_env->broker();
  ASSERT_EQ(cluster.broker_count(), 3);
  const std::vector<std::string>& symbols = testing::GroupSymbols();
  const std::vector<std::string> half(symbols.begin(), symbols.begin() + 3);
  auto channel = Channel(gateway_address_);
  recorders_.push_back(std::make_unique<Recorder>("quotes", v1::CHANNEL_QUOTES,
                                                  symbols, channel));
  recorders_.push_back(std::make_unique<Recorder>(
      "quotes-half", v1::CHANNEL_QUOTES, half, Channel(gateway_address_)));
  recorders_.push_back(std::make_unique<Recorder>(
      "bars", v1::CHANNEL_INTRADAY_BARS, symbols, channel));
  recorders_.push_back(std::make_unique<Recorder>(
      "intraday-analytics", v1::CHANNEL_INTRADAY_ANALYTICS, symbols, channel));
  ASSERT_NO_FATAL_FAILURE(ExpectFlowing("the start", 20));

  std::vector<std::string> faults;
  const int rounds = Rounds();
  for (int round = 1; round <= rounds; ++round) {
    // 1. The leader of the busiest partition dies; the cluster goes on
    //    with two brokers (min.insync.replicas=2), then it comes back.
    const int partition = BusiestPricesPartition();
    absl::StatusOr<int> leader = kafka::PartitionLeader(
        brokers_, kafka::kPricesTopic, partition, absl::Seconds(30));
    ASSERT_TRUE(leader.ok()) << leader.status();
    ASSERT_TRUE(cluster.KillBroker(*leader).ok());
    faults.push_back(absl::StrCat("SIGKILL broker ", *leader, " (leader of ",
                                  kafka::kPricesTopic, "/", partition, ")"));
    ASSERT_NO_FATAL_FAILURE(ExpectFlowing(faults.back()));
    ASSERT_TRUE(cluster.RestartBroker(*leader, kStepTimeout).ok());
    ASSERT_TRUE(cluster.WaitUntilFullyReplicated(kStepTimeout).ok());

    // 2. Another broker hangs for 10 s (its connections stay open).
    const int paused = *leader % 3 + 1;
    ASSERT_TRUE(cluster.PauseBroker(paused).ok());
    faults.push_back(absl::StrCat("SIGSTOP broker ", paused, " 10 s"));
    absl::SleepFor(absl::Seconds(10));  // The fault itself.
    ASSERT_TRUE(cluster.ResumeBroker(paused).ok());
    ASSERT_TRUE(cluster.WaitUntilFullyReplicated(kStepTimeout).ok());
    ASSERT_NO_FATAL_FAILURE(ExpectFlowing(faults.back()));

    // 3. ingest dies with records in flight; the new one numbers on from
    //    what Kafka holds.
    ASSERT_NO_FATAL_FAILURE(KillService(ingest_));
    faults.push_back("SIGKILL ingest");
    ASSERT_NO_FATAL_FAILURE(StartIngest());
    ASSERT_NO_FATAL_FAILURE(ExpectFlowing(faults.back()));

    // 4. One analytics replica dies mid-transaction: the other takes its
    //    partitions, then they are split again when it is back.
    const std::string victim = round % 2 == 1 ? "analytics-a" : "analytics-b";
    ASSERT_NO_FATAL_FAILURE(KillService(analytics_[victim]));
    faults.push_back(absl::StrCat("SIGKILL ", victim));
    ASSERT_NO_FATAL_FAILURE(ExpectFlowing(faults.back()));
    ASSERT_NO_FATAL_FAILURE(StartAnalytics(victim));
    ASSERT_TRUE(testing::WaitForLog(analytics_[victim], "\\] assigned stock",
                                    kStepTimeout)
                    .ok());

    // 5. The gateway dies; a new one on the same port rebuilds its caches
    //    from Kafka and the clients resume with since_seq.
    ASSERT_NO_FATAL_FAILURE(KillService(gateway_));
    faults.push_back("SIGKILL gateway");
    ASSERT_NO_FATAL_FAILURE(StartGateway(gateway_address_));
    ASSERT_NO_FATAL_FAILURE(ExpectFlowing(faults.back()));
  }

  // The feed stops (ingest flushes what it has); everything drains.
  feed_stopped_ = true;
  ASSERT_TRUE(ingest_.process->Terminate(absl::Seconds(30)).ok());
  absl::StatusOr<Inputs> inputs = testing::ReadInputs(brokers_);
  ASSERT_TRUE(inputs.ok()) << inputs.status();

  // ingest's topics: every seq once.
  const TopicAudit prices = AuditSeqs(inputs->quotes, false);
  const TopicAudit intraday = AuditSeqs(inputs->bars, true);
  const TopicAudit history = AuditSeqs(inputs->histories, false);
  for (const auto& [topic, audit] :
       {std::pair{kafka::kPricesTopic, &prices},
        std::pair{kafka::kIntradayTopic, &intraday},
        std::pair{kafka::kHistoricalTopic, &history}}) {
    EXPECT_EQ(audit->lost, 0u)
        << topic << ": " << absl::StrJoin(audit->problems, "; ");
    EXPECT_EQ(audit->duplicated, 0u)
        << topic << ": " << absl::StrJoin(audit->problems, "; ");
    // Every symbol (on one trading day).
    EXPECT_EQ(audit->keys, symbols.size()) << topic;
  }
  EXPECT_GT(prices.records, 100u);

  // analytics: one output per input, the same numbers, across the kills
  // and rebalances.
  const testing::OutputCounts out =
      testing::ExpectExactlyOnce(brokers_, *inputs, kStepTimeout);

  // The clients: up to Kafka's newest seq of each symbol.
  auto caught_up = [&](const Recorder& r) {
    const auto& wanted =
        r.name().starts_with("quotes") ? prices.newest : intraday.newest;
    const auto last = r.Last();
    for (const auto& [symbol, newest] : wanted) {
      if (r.name() == "quotes-half" &&
          std::find(half.begin(), half.end(), symbol) == half.end()) {
        continue;
      }
      auto it = last.find(symbol);
      if (it == last.end() || it->second.second != newest.second ||
          (!newest.first.empty() && it->second.first != newest.first)) {
        return false;
      }
    }
    return true;
  };
  for (const auto& r : recorders_) {
    EXPECT_TRUE(PollUntil(
        [&] {
          Supervise();
          return caught_up(*r);
        },
        kStepTimeout, absl::Milliseconds(200)))
        << r->name() << " did not get the newest records";
  }
  uint64_t events = 0, conflated_live = 0, conflated_replay = 0;
  int streams = 0, resets = 0, to_kafka = 0;
  for (const auto& r : recorders_) {
    r->Stop();
    if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      r->Dump(absl::StrCat(dir, "/client-", r->name(), ".txt"));
    }
    const Recorder::Audit audit = r->Check();
    EXPECT_EQ(audit.unexplained, 0u) << absl::StrJoin(audit.problems, "; ");
    EXPECT_EQ(audit.duplicated, 0u) << absl::StrJoin(audit.problems, "; ");
    EXPECT_EQ(audit.overcounted, 0u) << absl::StrJoin(audit.problems, "; ");
    EXPECT_EQ(audit.from_kafka, 0) << absl::StrJoin(audit.problems, "; ");
    // A restarted gateway refuses streams until it caught up, so every
    // resume point is still held: no client had to start over.
    EXPECT_EQ(audit.resets, 0) << r->name();
    EXPECT_GT(audit.events, 0u) << r->name();
    // Each gateway kill ended every stream: one resume per round at least.
    EXPECT_GE(r->streams(), 1 + rounds) << r->name();
    events += audit.events;
    conflated_live += audit.conflated_live;
    conflated_replay += audit.conflated_replay;
    streams += r->streams();
    resets += audit.resets;
    to_kafka += audit.to_kafka;
  }

  std::cout
      << "chaos: " << rounds << " round(s), " << faults.size() << " faults ["
      << absl::StrJoin(faults, ", ") << "]; audited " << kafka::kPricesTopic
      << " " << prices.records << ", " << kafka::kIntradayTopic << " "
      << intraday.records << ", " << kafka::kHistoricalTopic << " "
      << history.records << " (" << prices.lost + intraday.lost + history.lost
      << " lost, "
      << prices.duplicated + intraday.duplicated + history.duplicated
      << " duplicated); analytics out " << kafka::kAnalyticsTopic << " "
      << out.analytics << ", " << kafka::kIntradayAnalyticsTopic << " "
      << out.intraday << ", " << kafka::kSignalsTopic << " " << out.signals
      << ", " << kafka::kMarketTopic << " " << out.market
      << " (exactly once); clients " << recorders_.size() << ": " << events
      << " events over " << streams << " streams, " << conflated_replay
      << " seqs skipped by resume replays and " << conflated_live
      << " by live conflation (all in `conflated`), " << resets << " resets, "
      << to_kafka
      << " fallback-to-Kafka renumberings; services restarted after exiting by "
      << "themselves: "
      << (crash_restarts_.empty()
              ? "none"
              : absl::StrJoin(crash_restarts_, " ", absl::PairFormatter(" x")))
      << "; " << absl::ToInt64Seconds(absl::Now() - started) << " s"
      << std::endl;
}

}  // namespace
}  // namespace vnstream

// Plaintext Kafka (the cluster's faults are the subject, not its
// security); the gateway serves TLS as it must.
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
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install(3);
  return RUN_ALL_TESTS();
}
