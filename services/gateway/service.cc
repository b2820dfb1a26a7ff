#include "services/gateway/service.h"

#include <chrono>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "libs/market/exchange.h"

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

EventPtr StatusEvent(const std::string& symbol, v1::SymbolState state,
                     const std::string& message) {
  auto event = std::make_shared<v1::MarketEvent>();
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

}  // namespace

// One subscription stream: the gRPC side of a Subscriber.
class MarketDataServiceImpl::Reactor
    : public grpc::ServerWriteReactor<v1::MarketEvent>,
      public StreamWriter {
 public:
  Reactor(MarketDataServiceImpl* service, Channel channel, std::string peer,
          SubscriberOptions options)
      : service_(service),
        channel_(channel),
        peer_(std::move(peer)),
        subscriber_(std::make_shared<Subscriber>(channel, options, this,
                                                 service->metrics_)) {}

  // StreamWriter.
  void Write(const v1::MarketEvent* event) override { StartWrite(event); }
  void Finish(const absl::Status& status) override {
    grpc::ServerWriteReactor<v1::MarketEvent>::Finish(ToGrpc(status));
  }

  void OnWriteDone(bool ok) override { subscriber_->OnWriteDone(ok); }
  void OnCancel() override {
    subscriber_->FinishNow(absl::CancelledError("cancelled by the client"));
  }
  void OnDone() override {
    subscriber_->Detach();
    service_->state_.Unsubscribe(channel_, symbols_, subscriber_.get());
    service_->Unregister(this);
    delete this;
  }

  Channel channel() const { return channel_; }
  const std::string& peer() const { return peer_; }
  const std::shared_ptr<Subscriber>& subscriber() const { return subscriber_; }
  void set_symbols(std::vector<std::string> symbols) {
    symbols_ = std::move(symbols);
  }

 private:
  MarketDataServiceImpl* const service_;
  const Channel channel_;
  const std::string peer_;
  const std::shared_ptr<Subscriber> subscriber_;
  std::vector<std::string> symbols_;  // Registered with the state.
};

MarketDataServiceImpl::MarketDataServiceImpl(ServiceOptions options,
                                             MarketState& state,
                                             Fallback* fallback,
                                             GatewayMetrics* metrics)
    : options_(options),
      state_(state),
      fallback_(fallback),
      metrics_(metrics) {}

MarketDataServiceImpl::~MarketDataServiceImpl() = default;

grpc::Status MarketDataServiceImpl::ListSymbols(
    grpc::ServerContext*, const v1::ListSymbolsRequest*,
    v1::ListSymbolsResponse* response) {
  for (v1::SymbolInfo& info : state_.ListSymbols())
    *response->add_symbols() = std::move(info);
  return grpc::Status::OK;
}

grpc::Status MarketDataServiceImpl::GetQuotes(
    grpc::ServerContext* context, const v1::GetQuotesRequest* request,
    v1::GetQuotesResponse* response) {
  if (request->symbols().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "no symbols requested");
  }
  if (request->symbols_size() > options_.max_symbols_per_request) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(request->symbols_size(), " symbols requested, at most ",
                     options_.max_symbols_per_request, " per call"));
  }
  const SymbolList symbols = ParseSymbols(request->symbols());
  const absl::Time deadline =
      CallDeadline(*context, options_.unary_fallback_wait);
  // Ask the fallback for every missing symbol at once, then wait for all.
  struct Pending {
    absl::Notification done;
    absl::Status status;
  };
  absl::flat_hash_map<std::string, std::shared_ptr<Pending>> pending;
  for (const std::string& symbol : symbols.valid) {
    if (fallback_ == nullptr || state_.GetQuote(symbol).has_value()) continue;
    auto p = std::make_shared<Pending>();
    pending[symbol] = p;
    fallback_->RefreshAsync(Channel::kQuotes, symbol,
                            [p](const absl::Status& s) {
                              p->status = s;
                              p->done.Notify();
                            });
  }
  for (const std::string& symbol : symbols.valid) {
    absl::Status status = absl::OkStatus();
    if (auto it = pending.find(symbol); it != pending.end()) {
      status = it->second->done.WaitForNotificationWithDeadline(deadline)
                   ? it->second->status
                   : absl::DeadlineExceededError(
                         "VNStock fallback did not answer in time");
    }
    if (std::optional<v1::QuoteItem> item = state_.GetQuote(symbol);
        item.has_value()) {
      *response->add_items() = *std::move(item);
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
    missing->set_message("not a ticker (3-10 of A-Z, 0-9)");
  }
  return grpc::Status::OK;
}

grpc::Status MarketDataServiceImpl::GetIntradayBars(
    grpc::ServerContext* context, const v1::GetIntradayBarsRequest* request,
    v1::GetIntradayBarsResponse* response) {
  absl::StatusOr<std::string> symbol = OneSymbol(request->symbol());
  if (!symbol.ok()) return ToGrpc(symbol.status());
  const std::optional<absl::Time> since =
      request->has_since_time()
          ? std::optional(market::FromTimestamp(request->since_time()))
          : std::nullopt;
  std::optional<v1::GetIntradayBarsResponse> bars =
      state_.GetBars(*symbol, since);
  if (!bars.has_value() && fallback_ != nullptr) {
    const absl::Status status = fallback_->Refresh(
        Channel::kBars, *symbol,
        CallDeadline(*context, options_.unary_fallback_wait));
    if (!status.ok()) return ToGrpc(status);
    bars = state_.GetBars(*symbol, since);
  }
  if (!bars.has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no intraday bars for ", *symbol));
  }
  *response = *std::move(bars);
  return grpc::Status::OK;
}

grpc::Status MarketDataServiceImpl::GetHistory(
    grpc::ServerContext* context, const v1::GetHistoryRequest* request,
    v1::GetHistoryResponse* response) {
  absl::StatusOr<std::string> symbol = OneSymbol(request->symbol());
  if (!symbol.ok()) return ToGrpc(symbol.status());
  if (request->limit() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "limit must be >= 0");
  }
  std::optional<v1::GetHistoryResponse> history =
      state_.GetHistory(*symbol, request->limit());
  if (!history.has_value() && fallback_ != nullptr) {
    const absl::Status status = fallback_->Refresh(
        Channel::kHistory, *symbol,
        CallDeadline(*context, options_.unary_fallback_wait));
    if (!status.ok()) return ToGrpc(status);
    history = state_.GetHistory(*symbol, request->limit());
  }
  if (!history.has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no history for ", *symbol));
  }
  *response = *std::move(history);
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::MarketEvent>*
MarketDataServiceImpl::SubscribeQuotes(grpc::CallbackServerContext* context,
                                       const v1::SubscribeRequest* request) {
  return Subscribe(Channel::kQuotes, context, request);
}

grpc::ServerWriteReactor<v1::MarketEvent>*
MarketDataServiceImpl::SubscribeIntradayBars(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  return Subscribe(Channel::kBars, context, request);
}

grpc::ServerWriteReactor<v1::MarketEvent>*
MarketDataServiceImpl::SubscribeHistory(grpc::CallbackServerContext* context,
                                        const v1::SubscribeRequest* request) {
  return Subscribe(Channel::kHistory, context, request);
}

absl::Status MarketDataServiceImpl::Register(Reactor* reactor) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_)
    return absl::UnavailableError("the gateway is shutting down");
  if (static_cast<int>(reactors_.size()) >= options_.max_streams) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the gateway serves its maximum of ", options_.max_streams,
                     " streams"));
  }
  int& peer_streams = streams_per_peer_[reactor->peer()];
  if (peer_streams >= options_.max_streams_per_connection) {
    return absl::ResourceExhaustedError(
        absl::StrCat("at most ", options_.max_streams_per_connection,
                     " streams per connection"));
  }
  ++peer_streams;
  reactors_.insert(reactor);
  metrics_->active_streams[static_cast<int>(reactor->channel())]->Increment();
  return absl::OkStatus();
}

void MarketDataServiceImpl::Unregister(Reactor* reactor) {
  absl::MutexLock lock(&mu_);
  if (!reactors_.erase(reactor)) return;
  if (--streams_per_peer_[reactor->peer()] <= 0)
    streams_per_peer_.erase(reactor->peer());
  metrics_->active_streams[static_cast<int>(reactor->channel())]->Decrement();
}

grpc::ServerWriteReactor<v1::MarketEvent>* MarketDataServiceImpl::Subscribe(
    Channel channel, grpc::CallbackServerContext* context,
    const v1::SubscribeRequest* request) {
  SubscriberOptions options = options_.subscriber;
  if (request->has_heartbeat_interval()) {
    const absl::Duration wanted =
        absl::Seconds(request->heartbeat_interval().seconds()) +
        absl::Nanoseconds(request->heartbeat_interval().nanos());
    options.heartbeat_interval =
        std::clamp(wanted, absl::Seconds(1), absl::Seconds(120));
  }
  auto* reactor = new Reactor(this, channel, context->peer(), options);
  const std::shared_ptr<Subscriber>& subscriber = reactor->subscriber();
  auto fail = [&](const absl::Status& status) {
    subscriber->FinishNow(status);
    return reactor;
  };
  // The request is validated before the stream is registered: a refused
  // stream never counts against the limits (not even while its OnDone is
  // pending), and its OnDone unregisters nothing.
  const SymbolList symbols = ParseSymbols(request->symbols());
  if (symbols.valid.empty()) {
    return fail(absl::InvalidArgumentError(symbols.invalid.empty()
                                               ? "no symbols requested"
                                               : "no valid ticker requested"));
  }
  if (static_cast<int>(symbols.valid.size()) >
      options_.max_symbols_per_subscription) {
    return fail(absl::ResourceExhaustedError(absl::StrCat(
        symbols.valid.size(), " symbols requested, at most ",
        options_.max_symbols_per_subscription, " per subscription")));
  }
  ResumeSpec resume;
  for (const auto& [raw, seq] : request->since_seq()) {
    const std::string symbol = market::NormalizeSymbol(raw);
    if (std::find(symbols.valid.begin(), symbols.valid.end(), symbol) ==
        symbols.valid.end()) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("since_seq names ", raw, ", which is not subscribed")));
    }
    resume.since_seq[symbol] = seq;
  }
  if (request->has_since_time())
    resume.since_time = market::FromTimestamp(request->since_time());
  if (absl::Status admitted = Register(reactor); !admitted.ok())
    return fail(admitted);

  for (const std::string& symbol : symbols.invalid) {
    subscriber->OfferSnapshot(StatusEvent(symbol, v1::SYMBOL_STATE_INVALID,
                                          "not a ticker (3-10 of A-Z, 0-9)"));
  }
  for (const std::string& symbol : symbols.valid) {
    subscriber->OfferSnapshot(
        StatusEvent(symbol, v1::SYMBOL_STATE_SUBSCRIBED, ""));
  }
  if (absl::Status s =
          state_.Subscribe(channel, symbols.valid, resume, subscriber);
      !s.ok()) {
    return fail(s);
  }
  reactor->set_symbols(symbols.valid);
  if (fallback_ != nullptr) {
    for (const std::string& symbol : symbols.valid) {
      if (!state_.HasKafkaData(channel, symbol))
        StartFallback(channel, symbol, subscriber);
    }
  }
  return reactor;
}

void MarketDataServiceImpl::StartFallback(
    Channel channel, const std::string& symbol,
    std::shared_ptr<Subscriber> subscriber) {
  fallback_->RefreshAsync(
      channel, symbol,
      [this, channel, symbol, subscriber](const absl::Status& status) {
        if (status.ok())
          return;  // The data reached the subscriber via the state.
        subscriber->Offer(StatusEvent(symbol, StateFor(status),
                                      std::string(status.message())));
        if (absl::IsNotFound(status) && !state_.HasKafkaData(channel, symbol)) {
          // Nobody knows the symbol: stop holding the subscription for it.
          state_.Unsubscribe(channel, {symbol}, subscriber.get());
        }
      });
}

void MarketDataServiceImpl::Heartbeat(absl::Time now) {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    for (Reactor* r : reactors_) subscribers.push_back(r->subscriber());
  }
  for (const auto& s : subscribers) s->MaybeHeartbeat(now);
}

void MarketDataServiceImpl::PollFallback(Channel channel) {
  if (fallback_ == nullptr) return;
  for (const std::string& symbol : state_.SubscribedWithoutKafkaData(channel)) {
    fallback_->RefreshAsync(channel, symbol, [](const absl::Status&) {});
  }
}

void MarketDataServiceImpl::FinishAllStreams() {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (Reactor* r : reactors_) subscribers.push_back(r->subscriber());
  }
  for (const auto& s : subscribers) {
    s->FinishNow(
        absl::UnavailableError("the gateway is shutting down; reconnect"));
  }
}

int MarketDataServiceImpl::active_streams() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(reactors_.size());
}

}  // namespace vnstream::gateway
