#include "services/gateway/service.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpc/grpc.h"
#include "libs/base/happens_before.h"
#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "libs/market/exchange.h"
#include "prometheus/gauge.h"

namespace vnstream::gateway {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

// The call's deadline, capped at `cap` from now (gRPC's "no deadline" is a
// time point far in the future).
absl::Time CallDeadline(const grpc::ServerContextBase& context,
                        absl::Duration cap) {
  const absl::Time deadline = absl::FromChrono(context.deadline());
  return std::min(deadline, absl::Now() + cap);
}

EventPtr StatusEvent(Channel channel, const std::string& symbol,
                     v1::SymbolState state, const std::string& message) {
  auto event = std::make_shared<v1::MarketEvent>();
  event->set_channel(channel);
  v1::SymbolStatus* status = event->mutable_status();
  status->set_symbol(symbol);
  status->set_state(state);
  status->set_message(message);
  return event;
}

v1::SymbolState StateFor(const absl::Status& status) {
  return absl::IsNotFound(status) ? v1::SYMBOL_STATE_NOT_FOUND
                                  : v1::SYMBOL_STATE_UNAVAILABLE;
}

// The symbols of a request: upper-cased, de-duplicated, in request order,
// split into valid tickers and malformed ones.
struct SymbolList {
  std::vector<std::string> valid;
  std::vector<std::string> invalid;
};

SymbolList ParseSymbols(
    const google::protobuf::RepeatedPtrField<std::string>& raw) {
  SymbolList out;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& s : raw) {
    std::string symbol = market::NormalizeSymbol(s);
    if (!seen.insert(symbol).second) continue;
    (market::IsValidSymbol(symbol) ? out.valid : out.invalid)
        .push_back(std::move(symbol));
  }
  return out;
}

// A single-symbol unary request's symbol, or INVALID_ARGUMENT.
absl::StatusOr<std::string> OneSymbol(const std::string& raw) {
  std::string symbol = market::NormalizeSymbol(raw);
  if (!market::IsValidSymbol(symbol)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", raw, "' is not a ticker (3-10 of A-Z, 0-9)"));
  }
  return symbol;
}

constexpr char kNotATicker[] = "not a ticker (3-10 of A-Z, 0-9)";

// The server-streaming method of a channel: the entitlement a key needs to
// subscribe to the channel, on its own stream or on a MarketDataStream.
const char* SubscribeMethod(Channel channel) {
  switch (channel) {
    case v1::CHANNEL_QUOTES:
      return "SubscribeQuotes";
    case v1::CHANNEL_INTRADAY_BARS:
      return "SubscribeIntradayBars";
    case v1::CHANNEL_HISTORY:
      return "SubscribeHistory";
    case v1::CHANNEL_INTRADAY_ANALYTICS:
      return "SubscribeIntradayAnalytics";
    case v1::CHANNEL_MARKET:
      return "SubscribeMarket";
    case v1::CHANNEL_SIGNALS:
      return "SubscribeSignals";
    default:
      return "";
  }
}

// gRPC's name of a MarketDataService method: "/package.Service/Method".
std::string FullMethod(absl::string_view method) {
  return absl::StrCat("/", v1::MarketDataService::service_full_name(), "/",
                      method);
}

// The gRPC metrics of each kind of stream: a channel's server stream, or
// (kAnyChannel) MarketDataStream.
// The full name of the streaming method of a PerStreamKind index.
std::string StreamMethod(int kind) {
  return FullMethod(kind == kAnyChannel ? "MarketDataStream"
                                        : SubscribeMethod(ChannelAt(kind)));
}

PerStreamKind<GrpcMethodMetrics*> StreamGrpcMetrics(GrpcServerMetrics& all) {
  PerStreamKind<GrpcMethodMetrics*> by_kind;
  for (int kind = 0; kind <= kAnyChannel; ++kind) {
    by_kind[kind] = all.Method(
        StreamMethod(kind),
        kind == kAnyChannel
            ? grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING
            : grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING);
  }
  return by_kind;
}

// A fallback fetch a GetQuotes call waits for.
struct PendingFetch {
  absl::Notification done;
  absl::Status status;
};
using PendingFetches =
    absl::flat_hash_map<std::string, std::shared_ptr<PendingFetch>>;

// GetQuotes' answer, in request order: each valid symbol's quote (`held`,
// by index; for a symbol being fetched, read again once its fetch in
// `pending` is done or `deadline` passed) or why it is missing, then the
// malformed symbols.
void AnswerQuotes(MarketState& state, const SymbolList& symbols,
                  std::vector<std::optional<v1::QuoteItem>> held,
                  const PendingFetches& pending, absl::Time deadline,
                  v1::GetQuotesResponse* response) {
  for (size_t i = 0; i < symbols.valid.size(); ++i) {
    const std::string& symbol = symbols.valid[i];
    absl::Status status = absl::OkStatus();
    if (auto it = pending.find(symbol); it != pending.end()) {
      status = it->second->done.WaitForNotificationWithDeadline(deadline)
                   ? it->second->status
                   : absl::DeadlineExceededError(
                         "VNStock fallback did not answer in time");
      held[i] = state.GetQuote(symbol);
    }
    if (held[i].has_value()) {
      *response->add_items() = *std::move(held[i]);
      continue;
    }
    v1::SymbolStatus* missing = response->add_missing();
    missing->set_symbol(symbol);
    missing->set_state(status.ok() ? v1::SYMBOL_STATE_UNAVAILABLE
                                   : StateFor(status));
    missing->set_message(status.ok() ? "no quote yet"
                                     : std::string(status.message()));
  }
  for (const std::string& symbol : symbols.invalid) {
    v1::SymbolStatus* missing = response->add_missing();
    missing->set_symbol(symbol);
    missing->set_state(v1::SYMBOL_STATE_INVALID);
    missing->set_message(kNotATicker);
  }
}

// A single-symbol read's answer: what the state held, or NOT_FOUND.
template <typename Response>
grpc::Status AnswerOne(const std::string& symbol, std::optional<Response> held,
                       absl::string_view what, Response* response) {
  if (!held.has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat(what, symbol));
  }
  *response = *std::move(held);
  return grpc::Status::OK;
}

}  // namespace

// A validated subscribe request.
struct MarketDataServiceImpl::Subscription {
  Channel channel;
  // Valid symbols not yet subscribed on the stream, and malformed ones.
  SymbolList symbols;
  ResumeSpec resume;
  std::optional<absl::Duration> heartbeat_interval;
};

// A unary call of a raw method: the reactor and its response bytes.
class MarketDataServiceImpl::UnaryCall : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(grpc::CallbackServerContext* context, grpc::ByteBuffer* out)
      : call_(context->c_call()), out_(out) {}

  // Finishes the call with `status`, carrying the response if OK
  // (serialized on the calling thread).
  void Answer(const grpc::Status& status) {
    if (status.ok()) {
      if (grpc::Status s = Serialize(out_); !s.ok()) return Finish(s);
    }
    Finish(status);
  }

  // Finishes the call OK with a response serialized earlier (taken from
  // `bytes`).
  void AnswerBytes(grpc::ByteBuffer* bytes) {
    out_->Swap(bytes);
    Finish(grpc::Status::OK);
  }

  void OnDone() override {
    // Finish may have run on another thread (libs/base/happens_before.h).
    HappensAfter(call_);
    delete this;
  }

 protected:
  virtual grpc::Status Serialize(grpc::ByteBuffer* out) const = 0;

 private:
  grpc_call* const call_;
  // Owned by gRPC, valid until OnDone.
  grpc::ByteBuffer* const out_;
};

template <typename Request, typename Response>
class MarketDataServiceImpl::Unary final : public UnaryCall {
 public:
  using UnaryCall::UnaryCall;

  Request request;
  Response response;

 private:
  grpc::Status Serialize(grpc::ByteBuffer* out) const override {
    bool own_buffer;
    return grpc::SerializationTraits<Response>::Serialize(response, out,
                                                          &own_buffer);
  }
};

template <typename Request, typename Response>
grpc::ServerUnaryReactor* MarketDataServiceImpl::Start(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer& request,
    grpc::ByteBuffer* response,
    void (MarketDataServiceImpl::*handler)(grpc::CallbackServerContext*,
                                           Unary<Request, Response>*)) {
  auto* call = new Unary<Request, Response>(context, response);
  // Deserialize consumes its buffer; a copy shares the request's slices.
  grpc::ByteBuffer bytes(request);
  if (grpc::Status status = grpc::SerializationTraits<Request>::Deserialize(
          &bytes, &call->request);
      !status.ok()) {
    call->Finish(status);
    return call;
  }
  (this->*handler)(context, call);
  return call;
}

// What every stream shares: its Subscriber and the subscriptions it holds.
class MarketDataServiceImpl::Stream : public StreamWriter {
 public:
  // `caller`: null without authentication, or when the call was refused.
  // `context`: the call's, alive until the reactor's OnDone.
  Stream(MarketDataServiceImpl* service, int kind,
         grpc::CallbackServerContext* context, auth::CallerPtr caller)
      : service_(service),
        kind_(kind),
        context_(context),
        caller_(std::move(caller)),
        grpc_metrics_(service->stream_grpc_metrics_[kind]),
        subscriber_(std::make_shared<Subscriber>(
            kind, service->options_.subscriber, this, service->metrics_)) {
    grpc_metrics_->started->Increment();
  }

  int kind() const { return kind_; }
  const auth::CallerPtr& caller() const { return caller_; }
  const std::shared_ptr<Subscriber>& subscriber() const { return subscriber_; }

  // Holds the identity's stream slot for the stream's lifetime.
  void Hold(auth::StreamSlot slot) { slot_ = std::move(slot); }
  // Whether the keys changed since the stream last looked (then it is
  // checked against the new keys).
  bool KeysChanged(uint64_t generation) {
    return auth_generation_.exchange(generation) != generation;
  }

  // For the reactor's Write: `wire` and `suffix` as the message it sends
  // next (which must outlive the write: gRPC reads it when the write goes
  // out).
  grpc::ByteBuffer* Message(absl::string_view wire, absl::string_view suffix) {
    unflushed_sent_.fetch_add(1, std::memory_order_relaxed);
    // Copied: the slices are gRPC's to release once sent.
    grpc::Slice slices[] = {grpc::Slice(wire.data(), wire.size()),
                            grpc::Slice(suffix.data(), suffix.size())};
    message_ = grpc::ByteBuffer(slices, suffix.empty() ? 1 : 2);
    return &message_;
  }
  // The messages written since the last call go to
  // grpc_server_msg_sent_total: counted per stream, added once a heartbeat
  // tick and at the end, where a counter shared by every stream would take
  // an atomic read-modify-write on one cache line per message.
  void FlushSent() {
    if (const uint32_t n =
            unflushed_sent_.exchange(0, std::memory_order_relaxed)) {
      grpc_metrics_->sent->Increment(n);
    }
  }
  // The stream ends with `status`: grpc_server_handled_total and
  // grpc_server_handling_seconds, as the interceptor records them for the
  // unary methods.
  void Handled(const grpc::Status& status) {
    FlushSent();
    grpc_metrics_->Handled(status.error_code(), absl::Now() - started_);
  }
  // A request read on the stream (MarketDataStream).
  void Received() { grpc_metrics_->received->Increment(); }

  // The write completed: its bytes can go.
  void Written(bool ok) {
    message_.Clear();
    subscriber_->OnWriteDone(ok);
  }

  // First thing in each reaction: gRPC runs it after the operation that
  // started it (StartWrite, StartRead, Finish, a cancel), maybe on another
  // thread, and OnDone after every other reaction; TSan is told
  // (libs/base/happens_before.h).
  void Reacting() { HappensAfter(context_->c_call()); }

  // StreamWriter.
  absl::Status OverByteBudget(const std::string& detail) override {
    if (caller_ != nullptr)
      return caller_->QuotaExceeded(auth::kQuotaStreamBytes, detail);
    return absl::ResourceExhaustedError(
        absl::StrCat("quota ", auth::kQuotaStreamBytes, ": ", detail));
  }
  // The client does not read: the write in flight, and the status queued
  // behind it, would never leave (HTTP/2 flow control), so the call is
  // cancelled (trailers and RST_STREAM, which flow control does not hold
  // back). With the status (not
  // TryCancel's CANCELLED "Cancelled on the server side"): the client sees
  // why, RESOURCE_EXHAUSTED for a slow consumer, as documented for it and
  // what its resume logic expects, not a code it would take for its own
  // cancel. TryCancel's only other work is the interceptors' cancel hook,
  // which ours (libs/service metrics) do not use.
  void Cancel(const absl::Status& status) override {
    const std::string message(status.message());
    grpc_call_cancel_with_status(context_->c_call(),
                                 static_cast<grpc_status_code>(status.code()),
                                 message.c_str(), nullptr);
  }

  bool Has(Channel channel, const std::string& symbol) {
    absl::MutexLock lock(&mu_);
    const std::vector<std::string>& held = symbols_[Index(channel)];
    return std::binary_search(held.begin(), held.end(), symbol);
  }
  size_t Count(Channel channel) {
    absl::MutexLock lock(&mu_);
    return symbols_[Index(channel)].size();
  }
  void Add(Channel channel, const std::vector<std::string>& symbols) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string>& held = symbols_[Index(channel)];
    const auto middle = held.insert(held.end(), symbols.begin(), symbols.end());
    std::sort(middle, held.end());
    std::inplace_merge(held.begin(), middle, held.end());
    held.erase(std::unique(held.begin(), held.end()), held.end());
  }
  // Removes and returns those of `symbols` that were subscribed.
  std::vector<std::string> Remove(Channel channel,
                                  const std::vector<std::string>& symbols) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string>& held = symbols_[Index(channel)];
    std::vector<std::string> removed;
    for (const std::string& s : symbols) {
      auto it = std::lower_bound(held.begin(), held.end(), s);
      if (it == held.end() || *it != s) continue;
      removed.push_back(s);
      held.erase(it);
    }
    return removed;
  }
  // Sorted, per channel.
  PerChannel<std::vector<std::string>> List() {
    absl::MutexLock lock(&mu_);
    return symbols_;
  }

 protected:
  // The reactor is done: nothing may reach it any more.
  void Close() {
    subscriber_->Detach();
    const PerChannel<std::vector<std::string>> held = List();
    for (int c = 0; c < kChannelCount; ++c)
      service_->state_.Unsubscribe(ChannelAt(c), held[c], subscriber_.get());
    service_->Unregister(this);
  }

  MarketDataServiceImpl* const service_;

 private:
  const int kind_;
  grpc::CallbackServerContext* const context_;
  const auth::CallerPtr caller_;
  // Set once by Register, before the stream is shared.
  auth::StreamSlot slot_;
  // The keys' generation the stream was last checked against (Heartbeat;
  // generations start at 1, so the first heartbeat checks the key once:
  // the keys may have changed since the call was authorized).
  std::atomic<uint64_t> auth_generation_{0};
  GrpcMethodMetrics* const grpc_metrics_;
  const absl::Time started_ = absl::Now();
  // Messages written, not yet added to grpc_metrics_->sent (FlushSent).
  std::atomic<uint32_t> unflushed_sent_{0};
  const std::shared_ptr<Subscriber> subscriber_;
  // The write in flight (one at a time: the Subscriber's).
  grpc::ByteBuffer message_;
  absl::Mutex mu_;
  // Sorted, per channel: a server stream's are fixed, a MarketDataStream
  // holds at most max_symbols_per_subscription a channel. A vector of the
  // symbols (short strings, held inline) takes 10 symbols in 320 bytes,
  // where a hash set took 512: what every idle stream holds.
  PerChannel<std::vector<std::string>> symbols_ ABSL_GUARDED_BY(mu_);
};

// A server stream: one subscription of one channel.
class MarketDataServiceImpl::ServerStream
    : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
      public Stream {
 public:
  ServerStream(MarketDataServiceImpl* service, Channel channel,
               grpc::CallbackServerContext* context, auth::CallerPtr caller)
      : Stream(service, Index(channel), context, std::move(caller)) {}

  // StreamWriter.
  void Write(absl::string_view wire, absl::string_view suffix) override {
    StartWrite(Message(wire, suffix));
  }
  void Finish(const absl::Status& status) override {
    const grpc::Status sent = ToGrpc(status);
    Handled(sent);
    grpc::ServerWriteReactor<grpc::ByteBuffer>::Finish(sent);
  }

  void OnWriteDone(bool ok) override {
    Reacting();
    Written(ok);
  }
  void OnCancel() override {
    Reacting();
    subscriber()->FinishNow(absl::CancelledError("cancelled by the client"));
  }
  void OnDone() override {
    Reacting();
    Close();
    delete this;
  }
};

// MarketDataStream: requests read one at a time, handled as they come.
class MarketDataServiceImpl::BidiStream
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
      public Stream {
 public:
  BidiStream(MarketDataServiceImpl* service,
             grpc::CallbackServerContext* context, auth::CallerPtr caller)
      : Stream(service, kAnyChannel, context, std::move(caller)) {}

  void Start() { StartRead(&request_); }

  // StreamWriter.
  void Write(absl::string_view wire, absl::string_view suffix) override {
    StartWrite(Message(wire, suffix));
  }
  void Finish(const absl::Status& status) override {
    const grpc::Status sent = ToGrpc(status);
    Handled(sent);
    grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>::Finish(sent);
  }

  void OnReadDone(bool ok) override {
    Reacting();
    // !ok: the client closed its side (or went away). Its subscriptions go
    // on until it cancels; there is nothing more to read. A message that
    // does not parse ends the reads too, as gRPC's typed reactor does.
    if (ok) Received();
    v1::MarketDataRequest request;
    if (!ok || !grpc::SerializationTraits<v1::MarketDataRequest>::Deserialize(
                    &request_, &request)
                    .ok()) {
      return;
    }
    service_->Handle(*this, request);
    StartRead(&request_);
  }
  void OnWriteDone(bool ok) override {
    Reacting();
    Written(ok);
  }
  void OnCancel() override {
    Reacting();
    subscriber()->FinishNow(absl::CancelledError("cancelled by the client"));
  }
  void OnDone() override {
    Reacting();
    Close();
    delete this;
  }

 private:
  // Consumed (cleared) by parsing.
  grpc::ByteBuffer request_;
};

MarketDataServiceImpl::MarketDataServiceImpl(ServiceOptions options,
                                             MarketState& state,
                                             Fallback* fallback,
                                             const auth::Authenticator* auth,
                                             GatewayMetrics* metrics,
                                             CandlesHandler* candles)
    : options_(options),
      state_(state),
      fallback_(fallback),
      auth_(auth),
      metrics_(metrics),
      grpc_metrics_(metrics->registry),
      stream_grpc_metrics_(StreamGrpcMetrics(grpc_metrics_)),
      candles_(candles),
      waiters_(options_.unary_wait_threads, options_.unary_wait_queue) {}

MarketDataServiceImpl::~MarketDataServiceImpl() {
  // gRPC's Shutdown returned after every stream's OnDone (so Unregister);
  // the lock makes that order visible to TSan too.
  absl::MutexLock lock(&mu_);
}

std::vector<std::string> MarketDataServiceImpl::SelfRecordedMethods() const {
  std::vector<std::string> methods;
  for (int kind = 0; kind <= kAnyChannel; ++kind) {
    methods.push_back(StreamMethod(kind));
  }
  return methods;
}

absl::StatusOr<auth::CallerPtr> MarketDataServiceImpl::Authorize(
    const grpc::ServerContextBase& context, absl::string_view method,
    bool unary) const {
  if (auth_ == nullptr) return auth::CallerPtr();
  return auth_->Authorize(context, method, unary);
}

Fallback::Budget MarketDataServiceImpl::FallbackBudget(
    const auth::CallerPtr& caller, std::shared_ptr<absl::Status> refused) {
  if (caller == nullptr) return nullptr;
  return [caller, refused = std::move(refused)] {
    absl::Status status = caller->TakeFallback(absl::Now());
    if (!status.ok() && refused != nullptr) *refused = status;
    return status;
  };
}

grpc::ServerUnaryReactor* MarketDataServiceImpl::ListSymbols(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Start(context, *request, response,
               &MarketDataServiceImpl::ServeListSymbols);
}

grpc::ServerUnaryReactor* MarketDataServiceImpl::GetQuotes(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Start(context, *request, response,
               &MarketDataServiceImpl::ServeGetQuotes);
}

grpc::ServerUnaryReactor* MarketDataServiceImpl::GetIntradayBars(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Start(context, *request, response,
               &MarketDataServiceImpl::ServeGetIntradayBars);
}

grpc::ServerUnaryReactor* MarketDataServiceImpl::GetHistory(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Start(context, *request, response,
               &MarketDataServiceImpl::ServeGetHistory);
}

grpc::ServerUnaryReactor* MarketDataServiceImpl::GetCandles(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Start(context, *request, response,
               &MarketDataServiceImpl::ServeGetCandles);
}

void MarketDataServiceImpl::ServeListSymbols(
    grpc::CallbackServerContext* context,
    Unary<v1::ListSymbolsRequest, v1::ListSymbolsResponse>* call) {
  const v1::ListSymbolsRequest* request = &call->request;
  v1::ListSymbolsResponse* response = &call->response;
  absl::StatusOr<auth::CallerPtr> caller =
      Authorize(*context, "ListSymbols", /*unary=*/true);
  if (!caller.ok()) return call->Answer(ToGrpc(caller.status()));
  // The listing is the same for every key: its answer is reused for a
  // filter while it is fresh.
  const std::string filter = request->SerializeAsString();
  const absl::Time now = absl::Now();
  // A copy of a ByteBuffer shares its slices; none (!Valid()): rebuild.
  grpc::ByteBuffer reused;
  {
    absl::MutexLock lock(&listings_mu_);
    if (auto it = listings_.find(filter);
        it != listings_.end() &&
        now - it->second.built < options_.list_symbols_max_age) {
      reused = it->second.bytes;
    }
  }
  if (reused.Valid()) return call->AnswerBytes(&reused);
  // Built outside the lock (concurrent misses each build their own).
  for (v1::SymbolInfo& info : state_.ListSymbols(*request))
    *response->add_symbols() = std::move(info);
  Listing listing{.built = now};
  bool own_buffer;
  if (grpc::Status s =
          grpc::SerializationTraits<v1::ListSymbolsResponse>::Serialize(
              *response, &listing.bytes, &own_buffer);
      !s.ok()) {
    return call->Answer(s);
  }
  grpc::ByteBuffer sent = listing.bytes;
  call->AnswerBytes(&sent);
  absl::MutexLock lock(&listings_mu_);
  if (listings_.size() >= kMaxListings) {
    absl::erase_if(listings_, [&](const auto& entry) {
      return now - entry.second.built >= options_.list_symbols_max_age;
    });
    // Still full of fresh answers (a client cycling filters): start over.
    if (listings_.size() >= kMaxListings) listings_.clear();
  }
  listings_.insert_or_assign(filter, std::move(listing));
}

void MarketDataServiceImpl::ServeGetQuotes(
    grpc::CallbackServerContext* context,
    Unary<v1::GetQuotesRequest, v1::GetQuotesResponse>* call) {
  const v1::GetQuotesRequest* request = &call->request;
  v1::GetQuotesResponse* response = &call->response;
  absl::StatusOr<auth::CallerPtr> caller =
      Authorize(*context, "GetQuotes", /*unary=*/true);
  if (!caller.ok()) return call->Answer(ToGrpc(caller.status()));
  if (request->symbols().empty()) {
    return call->Answer(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                     "no symbols requested"));
  }
  if (request->symbols_size() > options_.max_symbols_per_request) {
    return call->Answer(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(request->symbols_size(), " symbols requested, at most ",
                     options_.max_symbols_per_request, " per call")));
  }
  SymbolList symbols = ParseSymbols(request->symbols());
  if (*caller != nullptr) {
    if (absl::Status s = (*caller)->CheckSymbols(symbols.valid); !s.ok())
      return call->Answer(ToGrpc(s));
  }
  const absl::Time deadline =
      CallDeadline(*context, options_.unary_fallback_wait);
  // Set when the caller's fallback quota refused a fetch.
  auto refused = std::make_shared<absl::Status>();
  const Fallback::Budget budget = FallbackBudget(*caller, refused);
  // Ask the fallback for every missing symbol at once, then wait for all.
  std::vector<std::optional<v1::QuoteItem>> held(symbols.valid.size());
  PendingFetches pending;
  for (size_t i = 0; i < symbols.valid.size(); ++i) {
    const std::string& symbol = symbols.valid[i];
    held[i] = state_.GetQuote(symbol);
    if (fallback_ == nullptr || held[i].has_value()) continue;
    auto p = std::make_shared<PendingFetch>();
    pending[symbol] = p;
    fallback_->RefreshAsync(
        v1::CHANNEL_QUOTES, symbol,
        [p](const absl::Status& s) {
          p->status = s;
          p->done.Notify();
        },
        budget);
    // The fetches already started go on (they serve everyone).
    if (!refused->ok()) return call->Answer(ToGrpc(*refused));
  }
  if (pending.empty()) {
    AnswerQuotes(state_, symbols, std::move(held), pending, deadline, response);
    return call->Answer(grpc::Status::OK);
  }
  AnswerAfterWait(call, [this, symbols = std::move(symbols),
                         held = std::move(held), pending = std::move(pending),
                         deadline, response]() mutable {
    AnswerQuotes(state_, symbols, std::move(held), pending, deadline, response);
    return grpc::Status::OK;
  });
}

void MarketDataServiceImpl::ServeGetIntradayBars(
    grpc::CallbackServerContext* context,
    Unary<v1::GetIntradayBarsRequest, v1::GetIntradayBarsResponse>* call) {
  const v1::GetIntradayBarsRequest* request = &call->request;
  v1::GetIntradayBarsResponse* response = &call->response;
  absl::StatusOr<auth::CallerPtr> caller =
      Authorize(*context, "GetIntradayBars", /*unary=*/true);
  if (!caller.ok()) return call->Answer(ToGrpc(caller.status()));
  absl::StatusOr<std::string> symbol = OneSymbol(request->symbol());
  if (!symbol.ok()) return call->Answer(ToGrpc(symbol.status()));
  if (*caller != nullptr) {
    if (absl::Status s = (*caller)->CheckSymbols({*symbol}); !s.ok())
      return call->Answer(ToGrpc(s));
  }
  const std::optional<absl::Time> since =
      request->has_since_time()
          ? std::optional(market::FromTimestamp(request->since_time()))
          : std::nullopt;
  std::optional<v1::GetIntradayBarsResponse> bars =
      state_.GetBars(*symbol, since);
  if (bars.has_value() || fallback_ == nullptr) {
    return call->Answer(
        AnswerOne(*symbol, std::move(bars), "no intraday bars for ", response));
  }
  AnswerAfterWait(
      call, [this, symbol = *std::move(symbol), since,
             deadline = CallDeadline(*context, options_.unary_fallback_wait),
             budget = FallbackBudget(*caller), response] {
        const absl::Status status = fallback_->Refresh(
            v1::CHANNEL_INTRADAY_BARS, symbol, deadline, budget);
        if (!status.ok()) return ToGrpc(status);
        return AnswerOne(symbol, state_.GetBars(symbol, since),
                         "no intraday bars for ", response);
      });
}

void MarketDataServiceImpl::ServeGetCandles(
    grpc::CallbackServerContext* context,
    Unary<v1::GetCandlesRequest, v1::GetCandlesResponse>* call) {
  const v1::GetCandlesRequest* request = &call->request;
  v1::GetCandlesResponse* response = &call->response;
  absl::StatusOr<auth::CallerPtr> caller =
      Authorize(*context, "GetCandles", /*unary=*/true);
  if (!caller.ok()) return call->Answer(ToGrpc(caller.status()));
  if (*caller != nullptr) {
    // A malformed symbol is the handler's INVALID_ARGUMENT; any other must
    // be entitled.
    const std::string symbol = market::NormalizeSymbol(request->symbol());
    if (absl::Status s = (*caller)->CheckSymbols({symbol});
        !s.ok() && market::IsValidSymbol(symbol)) {
      return call->Answer(ToGrpc(s));
    }
  }
  if (candles_ == nullptr) {
    return call->Answer(
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                     "GetCandles needs the history store (store_dsn)"));
  }
  // The store is PostgreSQL: every call waits for it.
  AnswerAfterWait(call, [this, context, request, response] {
    return candles_->GetCandles(context, request, response);
  });
}

void MarketDataServiceImpl::ServeGetHistory(
    grpc::CallbackServerContext* context,
    Unary<v1::GetHistoryRequest, v1::GetHistoryResponse>* call) {
  const v1::GetHistoryRequest* request = &call->request;
  v1::GetHistoryResponse* response = &call->response;
  absl::StatusOr<auth::CallerPtr> caller =
      Authorize(*context, "GetHistory", /*unary=*/true);
  if (!caller.ok()) return call->Answer(ToGrpc(caller.status()));
  absl::StatusOr<std::string> symbol = OneSymbol(request->symbol());
  if (!symbol.ok()) return call->Answer(ToGrpc(symbol.status()));
  if (*caller != nullptr) {
    if (absl::Status s = (*caller)->CheckSymbols({*symbol}); !s.ok())
      return call->Answer(ToGrpc(s));
  }
  if (request->limit() < 0) {
    return call->Answer(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "limit must be >= 0"));
  }
  const int limit = request->limit();
  if (std::optional<MarketState::HeldHistory> held =
          state_.GetHeldHistory(*symbol);
      held.has_value()) {
    return AnswerHistory(call, std::make_pair(*std::move(symbol), limit),
                         *std::move(held));
  }
  if (fallback_ == nullptr) {
    return call->Answer(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                     absl::StrCat("no history for ", *symbol)));
  }
  AnswerAfterWait(
      call, [this, symbol = *std::move(symbol), limit,
             deadline = CallDeadline(*context, options_.unary_fallback_wait),
             budget = FallbackBudget(*caller), response] {
        const absl::Status status =
            fallback_->Refresh(v1::CHANNEL_HISTORY, symbol, deadline, budget);
        if (!status.ok()) return ToGrpc(status);
        return AnswerOne(symbol, state_.GetHistory(symbol, limit),
                         "no history for ", response);
      });
}

void MarketDataServiceImpl::AnswerHistory(
    Unary<v1::GetHistoryRequest, v1::GetHistoryResponse>* call,
    std::pair<std::string, int> key, MarketState::HeldHistory held) {
  // A copy of a ByteBuffer shares its slices; none (!Valid()): build.
  grpc::ByteBuffer reused;
  {
    absl::MutexLock lock(&histories_mu_);
    if (auto it = histories_.find(key);
        it != histories_.end() && it->second.held.view == held.view &&
        it->second.held.delivery == held.delivery &&
        it->second.held.indicators_state == held.indicators_state) {
      reused = it->second.bytes;
    }
  }
  if (reused.Valid()) return call->AnswerBytes(&reused);
  // Built outside the lock (concurrent misses each build their own).
  call->response = MarketState::HistoryResponse(held, key.second);
  History history{.held = std::move(held)};
  bool own_buffer;
  if (grpc::Status s =
          grpc::SerializationTraits<v1::GetHistoryResponse>::Serialize(
              call->response, &history.bytes, &own_buffer);
      !s.ok()) {
    return call->Answer(s);
  }
  grpc::ByteBuffer sent = history.bytes;
  call->AnswerBytes(&sent);
  absl::MutexLock lock(&histories_mu_);
  // Full (a client walking many symbols or limits): start over.
  if (histories_.size() >= kMaxHistories) histories_.clear();
  histories_.insert_or_assign(std::move(key), std::move(history));
}

void MarketDataServiceImpl::AnswerAfterWait(
    UnaryCall* call, std::function<grpc::Status()> wait) {
  if (!waiters_.TrySubmit(
          [call, wait = std::move(wait)] { call->Answer(wait()); })) {
    call->Answer(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        "too many calls are waiting for VNStock or the history store; retry "
        "with backoff"));
  }
}

grpc::ServerWriteReactor<grpc::ByteBuffer>*
MarketDataServiceImpl::SubscribeQuotes(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request) {
  return Serve(v1::CHANNEL_QUOTES, context, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>*
MarketDataServiceImpl::SubscribeIntradayBars(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return Serve(v1::CHANNEL_INTRADAY_BARS, context, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>*
MarketDataServiceImpl::SubscribeHistory(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request) {
  return Serve(v1::CHANNEL_HISTORY, context, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>*
MarketDataServiceImpl::SubscribeIntradayAnalytics(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return Serve(v1::CHANNEL_INTRADAY_ANALYTICS, context, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>*
MarketDataServiceImpl::SubscribeMarket(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request) {
  return Serve(v1::CHANNEL_MARKET, context, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>*
MarketDataServiceImpl::SubscribeSignals(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request) {
  return Serve(v1::CHANNEL_SIGNALS, context, request);
}

absl::Status MarketDataServiceImpl::Register(Stream* stream) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_)
    return absl::UnavailableError("the gateway is shutting down");
  if (!ready_) {
    return absl::UnavailableError(
        "the gateway is catching up with Kafka; retry shortly");
  }
  if (static_cast<int>(streams_.size()) >= options_.max_streams) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the gateway serves its maximum of ", options_.max_streams,
                     " streams"));
  }
  if (stream->caller() != nullptr) {
    absl::StatusOr<auth::StreamSlot> slot = stream->caller()->AdmitStream();
    if (!slot.ok()) return slot.status();
    stream->Hold(*std::move(slot));
  }
  streams_.insert(stream);
  metrics_->active_streams[stream->kind()]->Increment();
  return absl::OkStatus();
}

void MarketDataServiceImpl::Unregister(Stream* stream) {
  absl::MutexLock lock(&mu_);
  if (!streams_.erase(stream)) return;
  metrics_->active_streams[stream->kind()]->Decrement();
}

absl::StatusOr<MarketDataServiceImpl::Subscription>
MarketDataServiceImpl::Parse(Stream& stream, Channel channel,
                             const v1::SubscribeRequest& request) {
  Subscription out{.channel = channel};
  SymbolList parsed = ParseSymbols(request.symbols());
  if (parsed.valid.empty()) {
    return absl::InvalidArgumentError(parsed.invalid.empty()
                                          ? "no symbols requested"
                                          : "no valid ticker requested");
  }
  out.symbols.invalid = std::move(parsed.invalid);
  for (std::string& symbol : parsed.valid) {
    // Already subscribed on this stream (MarketDataStream): kept as it is.
    if (!stream.Has(channel, symbol))
      out.symbols.valid.push_back(std::move(symbol));
  }
  const size_t total = stream.Count(channel) + out.symbols.valid.size();
  if (total > static_cast<size_t>(options_.max_symbols_per_subscription)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        total, " symbols requested, at most ",
        options_.max_symbols_per_subscription, " per subscription"));
  }
  if (const auth::CallerPtr& caller = stream.caller(); caller != nullptr) {
    if (!caller->AllowsMethod(SubscribeMethod(channel))) {
      return absl::PermissionDeniedError(
          absl::StrCat("key '", caller->name(), "' may not call ",
                       SubscribeMethod(channel)));
    }
    // The subscription as it would be: what the stream holds and the new.
    std::vector<std::string> subscription = stream.List()[Index(channel)];
    subscription.insert(subscription.end(), out.symbols.valid.begin(),
                        out.symbols.valid.end());
    if (absl::Status s = caller->CheckSymbols(subscription); !s.ok()) return s;
  }
  for (const auto& [raw, seq] : request.since_seq()) {
    const std::string symbol = market::NormalizeSymbol(raw);
    if (std::find(out.symbols.valid.begin(), out.symbols.valid.end(), symbol) ==
        out.symbols.valid.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "since_seq names ", raw, ", which this request does not subscribe"));
    }
    out.resume.since_seq[symbol] = seq;
  }
  if (request.has_since_time())
    out.resume.since_time = market::FromTimestamp(request.since_time());
  if (request.has_heartbeat_interval()) {
    out.heartbeat_interval =
        std::clamp(absl::Seconds(request.heartbeat_interval().seconds()) +
                       absl::Nanoseconds(request.heartbeat_interval().nanos()),
                   absl::Seconds(1), absl::Seconds(120));
  }
  return out;
}

absl::Status MarketDataServiceImpl::Attach(Stream& stream,
                                           Subscription subscription,
                                           const std::string& request_id) {
  const Channel channel = subscription.channel;
  const std::shared_ptr<Subscriber>& subscriber = stream.subscriber();
  if (subscription.heartbeat_interval.has_value())
    subscriber->SetHeartbeatInterval(*subscription.heartbeat_interval);
  std::vector<EventPtr> preamble;
  for (const std::string& symbol : subscription.symbols.invalid) {
    preamble.push_back(
        StatusEvent(channel, symbol, v1::SYMBOL_STATE_INVALID, kNotATicker));
  }
  for (const std::string& symbol : subscription.symbols.valid) {
    preamble.push_back(
        StatusEvent(channel, symbol, v1::SYMBOL_STATE_SUBSCRIBED, ""));
  }
  auto end = std::make_shared<v1::MarketEvent>();
  end->set_channel(channel);
  end->mutable_snapshot_end()->set_request_id(request_id);
  const std::vector<std::string>& symbols = subscription.symbols.valid;
  if (absl::Status s =
          state_.Subscribe(channel, symbols, subscription.resume,
                           std::move(preamble), std::move(end), subscriber);
      !s.ok()) {
    return s;
  }
  stream.Add(channel, symbols);
  if (fallback_ != nullptr && Fallback::Serves(channel)) {
    for (const std::string& symbol : symbols) {
      if (!state_.HasKafkaData(channel, symbol))
        StartFallback(channel, symbol, subscriber, stream.caller());
    }
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* MarketDataServiceImpl::Serve(
    Channel channel, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* raw) {
  v1::SubscribeRequest request;
  // Parsed from the request's own buffer, which parsing consumes (frees):
  // gRPC would otherwise hold it (a grpc_byte_buffer of ~320 bytes and its
  // slices) until the call ends, hours for a stream. The buffer is the
  // call's: gRPC's handler allocates it non-const in the call's arena and
  // only destroys it once the call is done (a no-op once cleared); the
  // method's signature makes it const.
  if (!grpc::SerializationTraits<v1::SubscribeRequest>::Deserialize(
           const_cast<grpc::ByteBuffer*>(raw), &request)
           .ok()) {
    // As gRPC's typed handler answers it (before any authorization).
    auto* stream = new ServerStream(this, channel, context, nullptr);
    stream->subscriber()->FinishNow(absl::UnimplementedError(""));
    return stream;
  }
  absl::StatusOr<auth::CallerPtr> caller =
      Authorize(*context, SubscribeMethod(channel), /*unary=*/false);
  auto* stream =
      new ServerStream(this, channel, context, caller.ok() ? *caller : nullptr);
  if (!caller.ok()) {
    stream->subscriber()->FinishNow(caller.status());
    return stream;
  }
  // The request is validated before the stream is registered: a refused
  // stream never counts against the limits (not even while its OnDone is
  // pending), and its OnDone unregisters nothing.
  absl::StatusOr<Subscription> subscription = Parse(*stream, channel, request);
  absl::Status status = subscription.status();
  if (status.ok()) status = Register(stream);
  if (status.ok()) status = Attach(*stream, *std::move(subscription), "");
  if (!status.ok()) stream->subscriber()->FinishNow(status);
  return stream;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
MarketDataServiceImpl::MarketDataStream(grpc::CallbackServerContext* context) {
  absl::StatusOr<auth::CallerPtr> caller =
      Authorize(*context, "MarketDataStream", /*unary=*/false);
  auto* stream = new BidiStream(this, context, caller.ok() ? *caller : nullptr);
  if (!caller.ok()) {
    stream->subscriber()->FinishNow(caller.status());
    return stream;
  }
  if (absl::Status admitted = Register(stream); !admitted.ok()) {
    stream->subscriber()->FinishNow(admitted);
    return stream;
  }
  stream->Start();
  return stream;
}

void MarketDataServiceImpl::Handle(BidiStream& stream,
                                   const v1::MarketDataRequest& request) {
  const std::string& id = request.request_id();
  auto reply = std::make_shared<v1::MarketEvent>();
  auto result = [&](const absl::Status& status) {
    v1::ActionResult* r = reply->mutable_action_result();
    r->set_request_id(id);
    r->set_code(static_cast<int>(status.code()));
    r->set_message(std::string(status.message()));
  };
  switch (request.action_case()) {
    case v1::MarketDataRequest::kSubscribe: {
      const v1::ChannelSubscription& sub = request.subscribe();
      reply->set_channel(sub.channel());
      if (!v1::Channel_IsValid(sub.channel()) ||
          sub.channel() == v1::CHANNEL_UNSPECIFIED) {
        result(absl::InvalidArgumentError("subscribe: no valid channel"));
        break;
      }
      absl::StatusOr<Subscription> subscription =
          Parse(stream, sub.channel(), sub.request());
      absl::Status status = subscription.status();
      if (status.ok()) status = Attach(stream, *std::move(subscription), id);
      // Success is answered by the subscription's SnapshotEnd.
      if (status.ok()) return;
      result(status);
      break;
    }
    case v1::MarketDataRequest::kUnsubscribe: {
      const v1::ChannelSubscription& sub = request.unsubscribe();
      reply->set_channel(sub.channel());
      if (!v1::Channel_IsValid(sub.channel()) ||
          sub.channel() == v1::CHANNEL_UNSPECIFIED) {
        result(absl::InvalidArgumentError("unsubscribe: no valid channel"));
        break;
      }
      const SymbolList symbols = ParseSymbols(sub.request().symbols());
      const std::vector<std::string> removed =
          stream.Remove(sub.channel(), symbols.valid);
      state_.Unsubscribe(sub.channel(), removed, stream.subscriber().get());
      result(absl::OkStatus());
      reply->mutable_action_result()->set_message(
          absl::StrCat("unsubscribed ", removed.size(), " of ",
                       sub.request().symbols_size(), " symbols"));
      break;
    }
    case v1::MarketDataRequest::kListSubscriptions: {
      v1::SubscriptionList* list = reply->mutable_subscriptions();
      list->set_request_id(id);
      const PerChannel<std::vector<std::string>> held = stream.List();
      for (int c = 0; c < kChannelCount; ++c) {
        if (held[c].empty()) continue;
        v1::ChannelSubscription* sub = list->add_subscriptions();
        sub->set_channel(ChannelAt(c));
        for (const std::string& s : held[c])
          sub->mutable_request()->add_symbols(s);
      }
      break;
    }
    case v1::MarketDataRequest::kPing: {
      v1::Pong* pong = reply->mutable_pong();
      pong->set_request_id(id);
      *pong->mutable_server_time() = market::ToTimestamp(absl::Now());
      break;
    }
    case v1::MarketDataRequest::ACTION_NOT_SET:
      result(absl::InvalidArgumentError(
          "a request needs one of subscribe, unsubscribe, "
          "list_subscriptions, ping"));
      break;
  }
  stream.subscriber()->Reply(std::move(reply));
}

void MarketDataServiceImpl::StartFallback(
    Channel channel, const std::string& symbol,
    std::shared_ptr<Subscriber> subscriber, const auth::CallerPtr& caller) {
  fallback_->RefreshAsync(
      channel, symbol,
      [this, channel, symbol, subscriber](const absl::Status& status) {
        if (status.ok())
          return;  // The data reached the subscriber via the state.
        subscriber->Offer(StatusEvent(channel, symbol, StateFor(status),
                                      std::string(status.message())));
        if (absl::IsNotFound(status) && !state_.HasKafkaData(channel, symbol)) {
          // Nobody knows the symbol: stop holding the subscription for it.
          state_.Unsubscribe(channel, {symbol}, subscriber.get());
        }
      },
      FallbackBudget(caller));
}

void MarketDataServiceImpl::Heartbeat(absl::Time now) {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  std::vector<std::shared_ptr<Subscriber>> revoked;
  {
    absl::MutexLock lock(&mu_);
    const uint64_t generation = auth_ == nullptr ? 0 : auth_->generation();
    for (Stream* s : streams_) {
      s->FlushSent();
      // Only after the keys changed: a stream's key is looked up again.
      if (s->caller() != nullptr && s->KeysChanged(generation) &&
          !auth_->StillValid(*s->caller())) {
        revoked.push_back(s->subscriber());
      } else {
        subscribers.push_back(s->subscriber());
      }
    }
  }
  for (const auto& s : revoked) {
    s->FinishNow(absl::UnauthenticatedError(
        "the stream's API key was revoked or replaced"));
  }
  for (const auto& s : subscribers) s->MaybeHeartbeat(now);
}

void MarketDataServiceImpl::PollFallback(Channel channel) {
  if (fallback_ == nullptr || !Fallback::Serves(channel)) return;
  // The gateway's own refreshes of symbols already subscribed: not charged
  // to anyone (the subscription's first fetch was).
  for (const std::string& symbol : state_.SubscribedWithoutKafkaData(channel)) {
    fallback_->RefreshAsync(channel, symbol, [](const absl::Status&) {});
  }
}

void MarketDataServiceImpl::SetReady() {
  absl::MutexLock lock(&mu_);
  ready_ = true;
}

void MarketDataServiceImpl::FinishAllStreams() {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (Stream* s : streams_) subscribers.push_back(s->subscriber());
  }
  for (const auto& s : subscribers) {
    s->FinishNow(
        absl::UnavailableError("the gateway is shutting down; reconnect"));
  }
}

}  // namespace vnstream::gateway
