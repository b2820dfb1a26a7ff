// The gRPC MarketDataService: unary reads (synchronous handlers; they may
// wait for the VNStock fallback up to the call's deadline) and the three
// subscriptions (callback API: a ServerWriteReactor per stream, one write
// in flight, never blocking a gRPC or Kafka thread).
#ifndef VNSTREAM_SERVICES_GATEWAY_SERVICE_H_
#define VNSTREAM_SERVICES_GATEWAY_SERVICE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/fallback.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"
#include "services/gateway/subscriber.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream::gateway {

struct ServiceOptions {
  // Symbols per subscription / per GetQuotes call (RESOURCE_EXHAUSTED).
  int max_symbols_per_subscription = 100;
  int max_symbols_per_request = 200;
  // Open subscriptions per client connection and in total.
  int max_streams_per_connection = 100;
  int max_streams = 20000;
  // Per-stream queue bound and the default heartbeat period.
  SubscriberOptions subscriber;
  // How long a unary call waits for the fallback when it set no deadline.
  absl::Duration unary_fallback_wait = absl::Seconds(5);
};

using ServiceBase = v1::MarketDataService::WithCallbackMethod_SubscribeQuotes<
    v1::MarketDataService::WithCallbackMethod_SubscribeIntradayBars<
        v1::MarketDataService::WithCallbackMethod_SubscribeHistory<
            v1::MarketDataService::Service>>>;

// Thread-safe.
class MarketDataServiceImpl final : public ServiceBase {
 public:
  // `fallback` may be null (fallback disabled).
  MarketDataServiceImpl(ServiceOptions options, MarketState& state,
                        Fallback* fallback, GatewayMetrics* metrics);
  ~MarketDataServiceImpl() override;

  grpc::Status ListSymbols(grpc::ServerContext* context,
                           const v1::ListSymbolsRequest* request,
                           v1::ListSymbolsResponse* response) override;
  grpc::Status GetQuotes(grpc::ServerContext* context,
                         const v1::GetQuotesRequest* request,
                         v1::GetQuotesResponse* response) override;
  grpc::Status GetIntradayBars(grpc::ServerContext* context,
                               const v1::GetIntradayBarsRequest* request,
                               v1::GetIntradayBarsResponse* response) override;
  grpc::Status GetHistory(grpc::ServerContext* context,
                          const v1::GetHistoryRequest* request,
                          v1::GetHistoryResponse* response) override;

  grpc::ServerWriteReactor<v1::MarketEvent>* SubscribeQuotes(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;
  grpc::ServerWriteReactor<v1::MarketEvent>* SubscribeIntradayBars(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;
  grpc::ServerWriteReactor<v1::MarketEvent>* SubscribeHistory(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;

  // Sends heartbeats on streams idle longer than their interval. Call every
  // second or so.
  void Heartbeat(absl::Time now);
  // Refreshes, through the fallback, symbols that have subscribers but no
  // Kafka data. Call at the cadence of the data (quotes: ~10 s).
  void PollFallback(Channel channel);
  // Shutdown: refuses new subscriptions and ends every stream with
  // UNAVAILABLE.
  void FinishAllStreams();
  int active_streams();

 private:
  class Reactor;
  friend class Reactor;

  grpc::ServerWriteReactor<v1::MarketEvent>* Subscribe(
      Channel channel, grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request);
  // Admits and registers a new stream under one lock (so concurrent streams
  // cannot both pass the limits); the error to finish with if not admitted.
  absl::Status Register(Reactor* reactor);
  void Unregister(Reactor* reactor);
  // A symbol without Kafka data: fetch it, and tell the stream if VNStock
  // does not know it or cannot be reached.
  void StartFallback(Channel channel, const std::string& symbol,
                     std::shared_ptr<Subscriber> subscriber);

  const ServiceOptions options_;
  MarketState& state_;
  Fallback* const fallback_;
  GatewayMetrics* const metrics_;
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<Reactor*> reactors_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> streams_per_peer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_SERVICE_H_
