// bare_server: the baseline of the gateway load generator. The smallest
// correct C++ gRPC server-streaming fan-out of the same API: it generates
// quotes itself (no Kafka, no cache, no conflation, no limits, no metrics)
// and writes each to every stream subscribed to its symbol with the
// callback API, one write in flight per stream and an unbounded queue.
// Whatever the gateway costs beyond this is Kafka + the gateway's logic.
//
//   bare_server --port=0 --symbols=1600 --updates_per_second=1600
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bench/support/quote_feed.h"
#include "bench/support/synthetic_market.h"
#include "grpcpp/grpcpp.h"
#include "libs/base/logging.h"
#include "libs/base/signals.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

ABSL_FLAG(int, port, 0, "Port on 127.0.0.1 (0 = a free one).");
ABSL_FLAG(int, symbols, 1600, "Symbols in the market (SyntheticSymbols).");
ABSL_FLAG(double, updates_per_second, 1600,
          "Quote updates per second over the whole market, round-robin.");

namespace vnstream::bench {
namespace {

using Event = std::shared_ptr<const v1::MarketEvent>;

class Stream;

// Which streams want which symbol. Thread-safety: internally locked; the
// lock also keeps a Stream alive while an update is being queued on it.
class Subscriptions {
 public:
  void Add(Stream* stream, const std::vector<std::string>& symbols) {
    absl::MutexLock lock(&mu_);
    for (const std::string& symbol : symbols)
      streams_[symbol].push_back(stream);
  }
  void Remove(Stream* stream, const std::vector<std::string>& symbols) {
    absl::MutexLock lock(&mu_);
    for (const std::string& symbol : symbols) {
      std::vector<Stream*>& list = streams_[symbol];
      list.erase(std::remove(list.begin(), list.end(), stream), list.end());
    }
  }
  void Publish(const std::string& symbol, const Event& event);

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<Stream*>> streams_
      ABSL_GUARDED_BY(mu_);
};

class Stream : public grpc::ServerWriteReactor<v1::MarketEvent> {
 public:
  Stream(Subscriptions& subscriptions, std::vector<std::string> symbols)
      : subscriptions_(subscriptions), symbols_(std::move(symbols)) {
    auto end = std::make_shared<v1::MarketEvent>();
    end->mutable_snapshot_end();
    subscriptions_.Add(this, symbols_);
    Enqueue(std::move(end));
  }

  void Enqueue(Event event) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    queue_.push_back(std::move(event));
    if (!writing_) WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    in_flight_.reset();
    if (!ok || cancelled_) {
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    if (!queue_.empty()) WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (!writing_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    subscriptions_.Remove(this, symbols_);
    delete this;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    StartWrite(in_flight_.get());
  }
  void FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    queue_.clear();
    Finish(status);
  }

  Subscriptions& subscriptions_;
  const std::vector<std::string> symbols_;
  absl::Mutex mu_;
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  Event in_flight_ ABSL_GUARDED_BY(mu_);  // Alive until OnWriteDone.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

void Subscriptions::Publish(const std::string& symbol, const Event& event) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(symbol);
  if (it == streams_.end()) return;
  for (Stream* stream : it->second) stream->Enqueue(event);
}

class BareService : public v1::MarketDataService::CallbackService {
 public:
  explicit BareService(Subscriptions& subscriptions)
      : subscriptions_(subscriptions) {}

  grpc::ServerWriteReactor<v1::MarketEvent>* SubscribeQuotes(
      grpc::CallbackServerContext*,
      const v1::SubscribeRequest* request) override {
    return new Stream(subscriptions_,
                      {request->symbols().begin(), request->symbols().end()});
  }

 private:
  Subscriptions& subscriptions_;
};

// Updates round-robin over `symbols` at `per_second`, as the load
// generator produces them for the gateway.
void Generate(const std::vector<std::string>& symbols, double per_second,
              Subscriptions& subscriptions, absl::Notification& stop) {
  std::vector<uint64_t> seq(symbols.size(), 0);
  RunPaced(per_second, stop, [&](uint64_t n) {
    const size_t i = n % symbols.size();
    auto event = std::make_shared<v1::MarketEvent>();
    *event->mutable_quote() = SyntheticQuote(symbols[i], ++seq[i], absl::Now());
    event->set_delivery(v1::DELIVERY_KAFKA);
    subscriptions.Publish(symbols[i], event);
  });
}

int Main(int argc, char** argv) {
  // As the services run (libs/service/service_main.cc).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BlockShutdownSignals();
  absl::ParseCommandLine(argc, argv);
  InitLogging("bare-server");
  Subscriptions subscriptions;
  BareService service(subscriptions);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(
      absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)),
      grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen");
    return 1;
  }
  spdlog::info("bare server on :{}", port);
  absl::Notification stop;
  NotifyOnShutdownSignal(&stop);
  std::thread generator(Generate,
                        SyntheticSymbols(absl::GetFlag(FLAGS_symbols)),
                        absl::GetFlag(FLAGS_updates_per_second),
                        std::ref(subscriptions), std::ref(stop));
  stop.WaitForNotification();
  generator.join();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  return 0;
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) { return vnstream::bench::Main(argc, argv); }
