// The gRPC MarketDataService, all on gRPC's callback API: unary reads, one
// server stream per channel and the bidirectional MarketDataStream. A unary
// read served from memory is answered on the gRPC thread that received it;
// one that must wait (for the VNStock fallback, up to the call's deadline,
// or for PostgreSQL: GetCandles) waits on the service's own threads, never
// on gRPC's. Every stream is the same machinery (a Subscriber per stream,
// one write in flight, never blocking a gRPC or Kafka thread); the server
// streams carry one subscription of their channel, MarketDataStream any
// number of any channel, added and removed while it runs.
//
// Every call is authorized first (libs/auth): its API key, the method, the
// symbols it names and the identity's quotas (unary rate, open streams,
// symbols per subscription, VNStock fallback fetches, bytes queued per
// stream). A stream whose key is revoked or replaced is ended with
// UNAUTHENTICATED within a heartbeat tick of the keys file's reload.
#ifndef VNSTREAM_SERVICES_GATEWAY_SERVICE_H_
#define VNSTREAM_SERVICES_GATEWAY_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/auth/authenticator.h"
#include "libs/base/thread_pool.h"
#include "libs/service/grpc_metrics.h"
#include "services/gateway/candles.h"
#include "services/gateway/channel.h"
#include "services/gateway/fallback.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"
#include "services/gateway/subscriber.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream::gateway {

struct ServiceOptions {
  // Symbols per subscription (per channel on a MarketDataStream) and per
  // GetQuotes call (RESOURCE_EXHAUSTED beyond), for every key (each key's
  // own max_symbols_per_subscription applies as well).
  int max_symbols_per_subscription = 100;
  int max_symbols_per_request = 200;
  // Open streams in total (per identity: the key's max_streams).
  int max_streams = 20000;
  // Per-stream queue bounds (events, bytes) and the default heartbeat
  // period.
  SubscriberOptions subscriber;
  // How long a unary call waits for the fallback when it set no deadline.
  absl::Duration unary_fallback_wait = absl::Seconds(5);
  // The threads unary calls wait on (for the fallback or the history
  // store), and how many more calls may queue for one (beyond: UNAVAILABLE).
  // Each wait ends at the call's deadline (capped: unary_fallback_wait,
  // CandlesOptions::max_wait).
  int unary_wait_threads = 16;
  size_t unary_wait_queue = 1024;
  // How long a ListSymbols answer is reused for the same filter (building
  // it sorts and serializes the whole universe: milliseconds of CPU).
  absl::Duration list_symbols_max_age = absl::Seconds(1);
};

// Every method is registered raw (requests parsed and responses serialized
// by the service). The unary methods: gRPC's typed callback handler answers
// a request that does not parse with UNIMPLEMENTED, where the synchronous
// API (and so this service) answers INTERNAL. The streams: an event goes to
// every stream subscribed to its symbol, and is serialized once for all of
// them (Prepare), not once per stream; a stream's conflated count is
// appended to those bytes, not set on a copy of the event.
using ServiceBase = v1::MarketDataService::WithRawCallbackMethod_ListSymbols<
    v1::MarketDataService::WithRawCallbackMethod_GetQuotes<
        v1::MarketDataService::WithRawCallbackMethod_GetIntradayBars<
            v1::MarketDataService::WithRawCallbackMethod_GetHistory<
                v1::MarketDataService::WithRawCallbackMethod_GetCandles<
                    v1::MarketDataService::WithRawCallbackMethod_SubscribeQuotes<
                        v1::MarketDataService::WithRawCallbackMethod_SubscribeIntradayBars<
                            v1::MarketDataService::WithRawCallbackMethod_SubscribeHistory<
                                v1::MarketDataService::WithRawCallbackMethod_SubscribeIntradayAnalytics<
                                    v1::MarketDataService::
                                        WithRawCallbackMethod_SubscribeMarket<
                                            v1::MarketDataService::
                                                WithRawCallbackMethod_SubscribeSignals<
                                                    v1::MarketDataService::
                                                        WithRawCallbackMethod_MarketDataStream<
                                                            v1::MarketDataService::
                                                                Service>>>>>>>>>>>>;

// Thread-safe. Records the go-grpc-prometheus metrics of its streams itself
// (GrpcSelfRecordingService): their messages are counted per stream and
// added to grpc_server_msg_sent_total once a heartbeat tick (and when the
// stream ends), instead of by an interceptor on every message.
class MarketDataServiceImpl final : public ServiceBase,
                                    public GrpcSelfRecordingService {
 public:
  // `fallback` may be null (fallback disabled). `auth` authorizes every
  // call; null only when the gateway runs without authentication
  // (insecure_no_auth: every call allowed, no per-identity quotas). Not
  // owned; must outlive the service. GetCandles is answered by `candles`
  // (not owned; null: UNIMPLEMENTED).
  MarketDataServiceImpl(ServiceOptions options, MarketState& state,
                        Fallback* fallback, const auth::Authenticator* auth,
                        GatewayMetrics* metrics,
                        CandlesHandler* candles = nullptr);
  ~MarketDataServiceImpl() override;

  // GrpcSelfRecordingService: the streaming methods.
  std::vector<std::string> SelfRecordedMethods() const override;

  grpc::ServerUnaryReactor* ListSymbols(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetQuotes(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetIntradayBars(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetHistory(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetCandles(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeQuotes(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeIntradayBars(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeHistory(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeIntradayAnalytics(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeMarket(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeSignals(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* MarketDataStream(
      grpc::CallbackServerContext* context) override;

  // Sends heartbeats on streams idle longer than their interval, and ends
  // the streams whose key is no longer valid once the keys changed. Call
  // every second or so.
  void Heartbeat(absl::Time now);
  // Refreshes, through the fallback, symbols that have subscribers but no
  // Kafka data. Call at the cadence of the channel's data.
  void PollFallback(Channel channel);
  // Shutdown: refuses new streams and ends every stream with UNAVAILABLE.
  void FinishAllStreams();
  // New streams are refused with UNAVAILABLE (retry) until this is called,
  // once the state holds what Kafka held at start-up. Before that a
  // client's resume point looks evicted (FAILED_PRECONDITION: it starts
  // over), and the records being caught up on would reach new streams as
  // live events: old values, after a fallback snapshot numbered otherwise.
  void SetReady();

 private:
  class UnaryCall;
  template <typename Request, typename Response>
  class Unary;
  class Stream;
  class ServerStream;
  class BidiStream;
  struct Subscription;

  // The unary methods, each answering `call` at once from memory or, when
  // it must wait, from waiters_.
  void ServeListSymbols(
      grpc::CallbackServerContext* context,
      Unary<v1::ListSymbolsRequest, v1::ListSymbolsResponse>* call);
  void ServeGetQuotes(grpc::CallbackServerContext* context,
                      Unary<v1::GetQuotesRequest, v1::GetQuotesResponse>* call);
  void ServeGetIntradayBars(
      grpc::CallbackServerContext* context,
      Unary<v1::GetIntradayBarsRequest, v1::GetIntradayBarsResponse>* call);
  void ServeGetHistory(
      grpc::CallbackServerContext* context,
      Unary<v1::GetHistoryRequest, v1::GetHistoryResponse>* call);
  void ServeGetCandles(
      grpc::CallbackServerContext* context,
      Unary<v1::GetCandlesRequest, v1::GetCandlesResponse>* call);
  // Parses a raw unary request (INTERNAL if it does not parse) and runs
  // `handler` on it.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Start(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer& request,
      grpc::ByteBuffer* response,
      void (MarketDataServiceImpl::*handler)(grpc::CallbackServerContext*,
                                             Unary<Request, Response>*));
  // The caller of a call, or OK with null when there is no authentication.
  absl::StatusOr<auth::CallerPtr> Authorize(
      const grpc::ServerContextBase& context, absl::string_view method,
      bool unary) const;
  // The caller's fallback quota, paid per VNStock fetch made for it (null
  // without a caller: free). `refused`, when given, keeps the refusal.
  static Fallback::Budget FallbackBudget(
      const auth::CallerPtr& caller,
      std::shared_ptr<absl::Status> refused = nullptr);
  // A server stream of `channel`: authorize, validate, admit, subscribe.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Serve(
      Channel channel, grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request);
  // Validates a subscribe request against what `stream` already holds and
  // what the stream's key is entitled to.
  absl::StatusOr<Subscription> Parse(Stream& stream, Channel channel,
                                     const v1::SubscribeRequest& request);
  // Registers the subscription with the state (statuses, snapshot,
  // SnapshotEnd carrying `request_id`) and starts the fallback for symbols
  // Kafka has nothing for.
  absl::Status Attach(Stream& stream, Subscription subscription,
                      const std::string& request_id);
  // A MarketDataStream request.
  void Handle(BidiStream& stream, const v1::MarketDataRequest& request);
  // Admits the stream for its identity (the key's max_streams, over all its
  // connections) and registers it under one lock (so concurrent streams
  // cannot both pass the total limit); the error to finish with if not
  // admitted.
  absl::Status Register(Stream* stream);
  void Unregister(Stream* stream);
  // A symbol without Kafka data: fetch it, and tell the stream if VNStock
  // does not know it or cannot be reached.
  // The fetch is charged to `caller` (null: free).
  void StartFallback(Channel channel, const std::string& symbol,
                     std::shared_ptr<Subscriber> subscriber,
                     const auth::CallerPtr& caller);
  // Answers a GetHistory call for `key` (symbol, limit) from `held`: the
  // bytes sent before for the same held history, else built anew.
  void AnswerHistory(Unary<v1::GetHistoryRequest, v1::GetHistoryResponse>* call,
                     std::pair<std::string, int> key,
                     MarketState::HeldHistory held);
  // Runs `wait` (a unary call's work that may block until the call's
  // deadline) on waiters_, then answers `call` with its status; answers
  // UNAVAILABLE at once if too many calls are queued already.
  void AnswerAfterWait(UnaryCall* call, std::function<grpc::Status()> wait);

  const ServiceOptions options_;
  MarketState& state_;
  Fallback* const fallback_;
  const auth::Authenticator* const auth_;
  GatewayMetrics* const metrics_;
  // The streams' gRPC metrics, by stream kind (Stream::kind()).
  GrpcServerMetrics grpc_metrics_;
  const PerStreamKind<GrpcMethodMetrics*> stream_grpc_metrics_;
  CandlesHandler* const candles_;
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  // ListSymbols' recent answers (serialized), by filter (the request's
  // bytes); at most kMaxListings of them.
  struct Listing {
    absl::Time built;
    grpc::ByteBuffer bytes;
  };
  static constexpr size_t kMaxListings = 64;
  absl::Mutex listings_mu_;
  absl::flat_hash_map<std::string, Listing> listings_
      ABSL_GUARDED_BY(listings_mu_);
  // GetHistory's answers (serialized), by symbol and limit, each for the
  // held history it was built from (reused while that is still the one
  // held); at most kMaxHistories of them.
  struct History {
    MarketState::HeldHistory held;
    grpc::ByteBuffer bytes;
  };
  static constexpr size_t kMaxHistories = 256;
  absl::Mutex histories_mu_;
  absl::flat_hash_map<std::pair<std::string, int>, History> histories_
      ABSL_GUARDED_BY(histories_mu_);
  // Declared last: destroyed (its queue run, its threads joined) first,
  // while what the waiting calls use is alive.
  ThreadPool waiters_;
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_SERVICE_H_
