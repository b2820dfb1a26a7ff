#include "clients/cpp/market_data_client.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace vnstream::client {
namespace {

const v1::RecordMeta* MetaOf(const v1::MarketEvent& event) {
  switch (event.payload_case()) {
    case v1::MarketEvent::kQuote:
      return &event.quote().meta();
    case v1::MarketEvent::kBar:
      return &event.bar().meta();
    case v1::MarketEvent::kHistory:
      return &event.history().meta();
    case v1::MarketEvent::kIntradayAnalytics:
      return &event.intraday_analytics().meta();
    case v1::MarketEvent::kMarket:
      return &event.market().meta();
    case v1::MarketEvent::kSignal:
      return &event.signal().meta();
    default:
      return nullptr;
  }
}

std::string DateKey(const v1::Date& d) {
  return absl::StrCat(d.year(), "-", d.month(), "-", d.day());
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const std::string& target, const ChannelOptions& options) {
  grpc::ChannelArguments args;
  // Keepalive within what the gateway permits (min 10 s between pings).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetMaxReceiveMessageSize(16 << 20);
  if (options.plaintext) {
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                     args);
  }
  grpc::SslCredentialsOptions ssl;
  for (auto [path, pem] : {std::pair{&options.ca_file, &ssl.pem_root_certs},
                           {&options.cert_file, &ssl.pem_cert_chain},
                           {&options.key_file, &ssl.pem_private_key}}) {
    if (path->empty()) continue;
    std::ifstream in(*path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || text.str().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read ", *path));
    }
    *pem = text.str();
  }
  if (ssl.pem_cert_chain.empty() != ssl.pem_private_key.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key file, and a key its certificate");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::SslCredentials(ssl);
  if (!options.api_key.empty()) {
    // "authorization: Bearer <key>" on every call.
    credentials = grpc::CompositeChannelCredentials(
        credentials, grpc::AccessTokenCredentials(options.api_key));
  }
  return grpc::CreateCustomChannel(target, credentials, args);
}

ResumingSubscription::ResumingSubscription(
    std::shared_ptr<grpc::Channel> channel, SubscriptionOptions options)
    : stub_(v1::MarketDataService::NewStub(channel)),
      options_(std::move(options)) {}

void ResumingSubscription::Cancel() {
  cancelled_ = true;
  absl::MutexLock lock(&mu_);
  if (context_ != nullptr) context_->TryCancel();
}

absl::Status ResumingSubscription::Run(const Handler& on_event) {
  absl::BitGen random;
  absl::Duration backoff = options_.initial_backoff;
  int failures = 0;
  while (!cancelled_) {
    v1::SubscribeRequest request;
    for (const std::string& s : options_.symbols) request.add_symbols(s);
    request.mutable_heartbeat_interval()->set_seconds(
        absl::ToInt64Seconds(options_.heartbeat_interval));
    for (const auto& [symbol, position] : positions_) {
      (*request.mutable_since_seq())[symbol] = position.seq;
    }
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) break;
      context_ = &context;
    }
    std::unique_ptr<grpc::ClientReader<v1::MarketEvent>> reader;
    switch (options_.channel) {
      case v1::CHANNEL_QUOTES:
        reader = stub_->SubscribeQuotes(&context, request);
        break;
      case v1::CHANNEL_INTRADAY_BARS:
        reader = stub_->SubscribeIntradayBars(&context, request);
        break;
      case v1::CHANNEL_HISTORY:
        reader = stub_->SubscribeHistory(&context, request);
        break;
      case v1::CHANNEL_INTRADAY_ANALYTICS:
        reader = stub_->SubscribeIntradayAnalytics(&context, request);
        break;
      case v1::CHANNEL_MARKET:
        reader = stub_->SubscribeMarket(&context, request);
        break;
      case v1::CHANNEL_SIGNALS:
        reader = stub_->SubscribeSignals(&context, request);
        break;
      default:
        return absl::InvalidArgumentError("no channel to subscribe to");
    }
    bool slow_consumer = false;
    v1::MarketEvent event;
    while (reader->Read(&event)) {
      failures = 0;
      backoff = options_.initial_backoff;
      if (event.has_status() &&
          event.status().state() == v1::SYMBOL_STATE_SLOW_CONSUMER) {
        slow_consumer = true;
      }
      if (const v1::RecordMeta* meta = MetaOf(event); meta != nullptr) {
        Position& position = positions_[meta->symbol()];
        const bool per_day = options_.channel == v1::CHANNEL_INTRADAY_BARS ||
                             options_.channel == v1::CHANNEL_INTRADAY_ANALYTICS;
        const std::string date = per_day ? DateKey(meta->trading_date()) : "";
        // A new numbering (delivery path or trading day) starts over.
        if (event.delivery() != position.delivery ||
            date != position.trading_date) {
          position = {0, event.delivery(), date};
        }
        const bool pending =
            event.has_history() &&
            event.history().indicators_state() == v1::INDICATORS_STATE_PENDING;
        // The enriched version of a history delivered PENDING has its seq.
        const bool enriches =
            meta->seq() == position.seq && position.pending && !pending;
        if (meta->seq() <= position.seq && !enriches) continue;  // Delivered.
        // Seqs skipped without being reported as conflated never arrived.
        if (position.seq > 0 &&
            meta->seq() > position.seq + 1 + event.conflated())
          lost_ += static_cast<int64_t>(meta->seq() - position.seq - 1 -
                                        event.conflated());
        position.seq = meta->seq();
        position.pending = pending;
      }
      on_event(event);
    }
    const grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
    }
    if (cancelled_) break;
    switch (status.error_code()) {
      case grpc::StatusCode::FAILED_PRECONDITION:
        // The gateway cannot replay from here: start over with a snapshot.
        positions_.clear();
        break;
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        if (!slow_consumer) {
          return absl::ResourceExhaustedError(
              status.error_message());  // A limit.
        }
        break;
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::PERMISSION_DENIED:
      case grpc::StatusCode::UNAUTHENTICATED:
      case grpc::StatusCode::UNIMPLEMENTED:
        return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                            status.error_message());
      default:
        break;  // UNAVAILABLE, OK (server ended), CANCELLED, ...: resume.
    }
    if (options_.max_attempts > 0 && ++failures >= options_.max_attempts) {
      return absl::UnavailableError(absl::StrCat(
          "gave up after ", failures, " attempts: ", status.error_message()));
    }
    ++reconnects_;
    const absl::Duration wait = backoff * absl::Uniform(random, 0.5, 1.0);
    const absl::Time until = absl::Now() + wait;
    while (!cancelled_ && absl::Now() < until)
      absl::SleepFor(absl::Milliseconds(20));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return absl::OkStatus();
}

}  // namespace vnstream::client
