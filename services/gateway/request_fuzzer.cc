// libFuzzer target: the requests a client can send, through the gateway's
// real request handling. MarketDataServiceImpl serves two in-process gRPC
// servers started once (one without authentication, one with libs/auth over
// a keys file), over a MarketState holding a few symbols of every channel,
// a VNStock fallback whose source knows HPG only, and GetCandles over an
// in-memory history store. Each input is one call.
//
// Input (request_fuzzer.h): byte 0 chooses the method and the caller (no
// authentication; a key entitled to everything; a key entitled to a few
// methods, symbols and 3 symbols per subscription; an unknown key). The
// rest is the request:
//  * unary methods: sent as-is (bytes that are no valid request are refused
//    by gRPC with INTERNAL before any handler runs; anything that parses
//    reaches the handler);
//  * server streams: a v1::SubscribeRequest (symbols, since_seq and
//    since_time resume points, heartbeat interval); bytes that do not parse
//    are sent as-is in a unary call (refused: UNIMPLEMENTED);
//  * MarketDataStream: client messages, each a 2-byte big-endian length then
//    a v1::MarketDataRequest (subscribe / unsubscribe / list / ping); those
//    that do not parse are skipped.
//
// Invariants (abort on violation): no crash or sanitizer report; every call
// ends with a status before its deadline (kDeadline: a hang is a finding);
// a refusal is one of the documented codes (kRefusals), never INTERNAL or
// UNKNOWN; a server stream delivers at most one SnapshotEnd, and one that
// is not refused delivers it; MarketDataStream answers every request, in
// order, with the answer its action calls for (SnapshotEnd or a failed
// ActionResult for subscribe, ActionResult OK for unsubscribe,
// SubscriptionList, Pong) carrying its request_id; GetCandles answers the
// next_page_token it gave (up to 3 pages followed), candles in order across
// pages.
#include "services/gateway/request_fuzzer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/api_key.h"
#include "libs/auth/authenticator.h"
#include "libs/auth/key_file.h"
#include "libs/candles/fake_store.h"
#include "libs/candles/query.h"
#include "libs/indicators/indicators.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "prometheus/registry.h"
#include "services/gateway/caches.h"
#include "services/gateway/candles.h"
#include "services/gateway/fallback.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"
#include "services/gateway/service.h"

namespace vnstream::gateway {
namespace {

// Far longer than any call takes (the fallback's source answers at once):
// a call still running then is a hang.
constexpr absl::Duration kDeadline = absl::Seconds(5);

using namespace request_fuzzer;  // NOLINT: the format's names.

constexpr const char* kPaths[kMethods] = {
    "/vnstream.v1.MarketDataService/ListSymbols",
    "/vnstream.v1.MarketDataService/GetQuotes",
    "/vnstream.v1.MarketDataService/GetIntradayBars",
    "/vnstream.v1.MarketDataService/GetHistory",
    "/vnstream.v1.MarketDataService/GetCandles",
    "/vnstream.v1.MarketDataService/SubscribeQuotes",
    "/vnstream.v1.MarketDataService/SubscribeIntradayBars",
    "/vnstream.v1.MarketDataService/SubscribeHistory",
    "/vnstream.v1.MarketDataService/SubscribeIntradayAnalytics",
    "/vnstream.v1.MarketDataService/SubscribeMarket",
    "/vnstream.v1.MarketDataService/SubscribeSignals",
    "/vnstream.v1.MarketDataService/MarketDataStream",
};

// How a call may be refused (service.h, libs/auth, the proto's status
// codes). DEADLINE_EXCEEDED is a hang; INTERNAL and UNKNOWN are bugs.
bool IsRefusal(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void Violation(const std::string& what) {
  std::fprintf(stderr, "request_fuzzer: invariant violated: %s\n",
               what.c_str());
  std::abort();
}

void Check(bool ok, int method, const std::string& what) {
  if (!ok) Violation(absl::StrCat(kPaths[method], ": ", what));
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("status ", status.error_code(), " '",
                      status.error_message(), "'");
}

absl::Time Local(int h, int m) {
  return absl::FromCivil(absl::CivilMinute(2026, 11, 25, h, m),
                         market::VietnamTime());
}

v1::RecordMeta Meta(const std::string& symbol, uint64_t seq) {
  v1::RecordMeta meta;
  meta.set_symbol(symbol);
  meta.set_seq(seq);
  meta.set_source(v1::SOURCE_VCI);
  *meta.mutable_fetched_at() =
      market::ToTimestamp(Local(9, 15) + absl::Minutes(seq));
  *meta.mutable_trading_date() = market::ToDate(absl::CivilDay(2026, 11, 25));
  return meta;
}

v1::Quote Quote(const std::string& symbol, uint64_t seq) {
  v1::Quote q;
  *q.mutable_meta() = Meta(symbol, seq);
  *q.mutable_last_price() = market::MakeDecimal(100'000 + 100 * seq);
  return q;
}

v1::IntradayBar Bar(const std::string& symbol, uint64_t seq) {
  v1::IntradayBar bar;
  *bar.mutable_meta() = Meta(symbol, seq);
  *bar.mutable_start_time() =
      market::ToTimestamp(Local(10, static_cast<int>(seq)));
  *bar.mutable_close() = market::MakeDecimal(116'000);
  bar.set_volume(1000);
  return bar;
}

// VNStock as the fallback sees it: a quote for HPG, nothing else (so every
// other symbol is NOT_FOUND, remembered for FallbackOptions::not_found_ttl).
class FakeVnstock : public vnstock::MarketDataSource {
 public:
  vnstock::PriceBoard FetchPriceBoard(std::span<const std::string> symbols,
                                      absl::Time) override {
    vnstock::PriceBoard board;
    for (const std::string& s : symbols) {
      if (s == "HPG") board.quotes.push_back(Quote("HPG", 0));
    }
    return board;
  }
  vnstock::Bars FetchBars(std::span<const std::string>, vnstock::TimeFrame,
                          absl::Time, int, absl::Time) override {
    return {};
  }
};

// Everything the servers use; built once, never destroyed (libFuzzer exits
// without unwinding; gRPC threads would outlive a destruction).
struct Gateway {
  Gateway();

  prometheus::Registry registry;
  GatewayMetrics metrics{registry};
  MarketState state{&metrics};
  FakeVnstock vnstock;
  market::TradingCalendar calendar;
  indicators::Params params;
  Fallback fallback{{}, vnstock, calendar, params, state, &metrics};
  candles::FakeStore store;
  candles::CandleQuery query{{}, store, calendar};
  CandlesHandler candles{{.max_wait = kDeadline}, &query, registry};
  std::unique_ptr<auth::Authenticator> auth;
  std::unique_ptr<MarketDataServiceImpl> open_service;
  std::unique_ptr<MarketDataServiceImpl> auth_service;
  std::unique_ptr<grpc::Server> open_server;
  std::unique_ptr<grpc::Server> auth_server;
  // Per caller (input bits 4-5): the stubs over its server's channel and
  // the authorization metadata it sends (none when empty).
  std::unique_ptr<v1::MarketDataService::Stub> stubs[4];
  std::unique_ptr<grpc::GenericStub> generic[4];
  std::string authorization[4];
};

template <typename Record>
void Apply(MarketState& state, Channel channel, Record record, int source = 0) {
  state.Apply(channel, source, std::make_unique<Record>(std::move(record)),
              v1::DELIVERY_KAFKA);
}

std::string AddKey(auth::KeyFile& file, const std::string& name,
                   auth::Entitlements entitlements) {
  absl::StatusOr<auth::NewKey> key = auth::GenerateKey();
  if (!key.ok()) Violation(key.status().ToString());
  file.keys.push_back({.name = name,
                       .id = key->id,
                       .salt = key->salt,
                       .hash = key->hash,
                       .entitlements = std::move(entitlements)});
  return "Bearer " + key->key;
}

std::unique_ptr<grpc::Server> Serve(grpc::Service* service) {
  grpc::ServerBuilder builder;
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) Violation("the in-process server did not start");
  return server;
}

Gateway::Gateway() {
  // Quotes, bars, analytics and signals of FPT and VCB with a few seqs (to
  // resume from), breadth of HOSE, daily history of FPT.
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    Apply(state, v1::CHANNEL_QUOTES, Quote("FPT", seq));
    Apply(state, v1::CHANNEL_INTRADAY_BARS, Bar("FPT", seq));
    v1::EnrichedIntradayBar enriched;
    *enriched.mutable_bar() = Bar("FPT", seq);
    *enriched.mutable_meta() = enriched.bar().meta();
    Apply(state, v1::CHANNEL_INTRADAY_ANALYTICS, enriched);
    v1::Signal signal;
    *signal.mutable_meta() = Meta("FPT", seq);
    Apply(state, v1::CHANNEL_SIGNALS, signal);
  }
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    Apply(state, v1::CHANNEL_QUOTES, Quote("VCB", seq));
    v1::MarketBreadth breadth;
    *breadth.mutable_meta() = Meta("HOSE", seq);
    breadth.set_partition(0);
    breadth.set_advancers(10 + static_cast<int>(seq));
    Apply(state, v1::CHANNEL_MARKET, breadth);
  }
  v1::DailyHistory history;
  *history.mutable_meta() = Meta("FPT", 1);
  absl::CivilDay day(2026, 9, 1);
  for (int i = 0; i < 60; ++i) {
    v1::DailyBar* bar = history.add_bars();
    *bar->mutable_date() = market::ToDate(day++);
    const int64_t c = 100'000 + 50 * (i % 7);
    *bar->mutable_open() = market::MakeDecimal(c);
    *bar->mutable_high() = market::MakeDecimal(c + 100);
    *bar->mutable_low() = market::MakeDecimal(c - 100);
    *bar->mutable_close() = market::MakeDecimal(c);
    bar->set_volume(1000);
  }
  v1::EnrichedHistory enriched;
  if (!indicators::Enrich(history, params, &enriched).ok())
    Violation("cannot enrich the seed history");
  Apply(state, v1::CHANNEL_HISTORY, enriched, HistoryCache::kEnrichedSource);

  // The history store: FPT's daily bars since 2026-09-01 and minute bars of
  // 2026-11-25's morning.
  constexpr int64_t kNanos = 1'000'000'000;
  for (int i = 0; i < 60; ++i) {
    store.bars[{candles::BarTable::kDaily, "FPT"}].push_back(
        {absl::FromCivil(absl::CivilDay(2026, 9, 1) + i, market::VietnamTime()),
         100'000 * kNanos, 100'100 * kNanos, 99'900 * kNanos, 100'050 * kNanos,
         1000, true});
  }
  for (int i = 0; i < 120; ++i) {
    store.bars[{candles::BarTable::kMinute, "FPT"}].push_back(
        {Local(9, 15) + absl::Minutes(i), 100'000 * kNanos, 100'100 * kNanos,
         99'900 * kNanos, 100'050 * kNanos, 100, true});
  }
  store.types["FPT"] = v1::INSTRUMENT_TYPE_STOCK;

  // The keys: everything (quotas no input reaches, so inputs do not depend
  // on earlier ones), a few methods and symbols, and one unknown.
  auth::KeyFile file;
  file.groups["banks"] = {"VCB", "BID", "CTG"};
  authorization[1] = AddKey(file, "full",
                            {.rpcs = {"*"},
                             .symbols = {"*"},
                             .max_streams = 1000,
                             .max_symbols_per_subscription = 1000,
                             .unary_per_second = 1e9,
                             .fallback_per_minute = 1e9});
  authorization[2] = AddKey(
      file, "some",
      {.rpcs = {"GetQuotes", "GetHistory", "ListSymbols", "SubscribeQuotes",
                "SubscribeMarket", "MarketDataStream"},
       .symbols = {"FPT", "HOSE", "group:banks"},
       .max_streams = 1000,
       .max_symbols_per_subscription = 3,
       .unary_per_second = 1e9,
       .fallback_per_minute = 1e9});
  authorization[3] = "Bearer vns_0123456789abcdef_unknown";
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/request_fuzzer_keys_",
                   getpid(), ".yaml");
  if (absl::Status s = auth::WriteKeyFile(path, file); !s.ok())
    Violation(s.ToString());
  absl::StatusOr<std::unique_ptr<auth::Authenticator>> made =
      auth::Authenticator::Create(
          {.keys_file = path, .fallback_per_minute_total = 1e9}, &registry);
  if (!made.ok()) Violation(made.status().ToString());
  auth = *std::move(made);
  std::remove(path.c_str());

  open_service = std::make_unique<MarketDataServiceImpl>(
      ServiceOptions{}, state, &fallback, nullptr, &metrics, &candles);
  auth_service = std::make_unique<MarketDataServiceImpl>(
      ServiceOptions{}, state, &fallback, auth.get(), &metrics, &candles);
  // The state is what it will be (there is no Kafka feed to catch up on).
  open_service->SetReady();
  auth_service->SetReady();
  open_server = Serve(open_service.get());
  auth_server = Serve(auth_service.get());
  const std::shared_ptr<grpc::Channel> open =
      open_server->InProcessChannel(grpc::ChannelArguments());
  const std::shared_ptr<grpc::Channel> authenticated =
      auth_server->InProcessChannel(grpc::ChannelArguments());
  for (int i = 0; i < 4; ++i) {
    stubs[i] = v1::MarketDataService::NewStub(i == 0 ? open : authenticated);
    generic[i] =
        std::make_unique<grpc::GenericStub>(i == 0 ? open : authenticated);
  }
}

Gateway& TheGateway() {
  static Gateway* gateway = [] {
    // Requests that do not parse are expected; protobuf's complaints about
    // them (invalid UTF-8) are noise.
    google::protobuf::SetLogHandler(nullptr);
    return new Gateway;
  }();
  return *gateway;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& authorization) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
  if (!authorization.empty())
    context->AddMetadata("authorization", authorization);
  return context;
}

// A call of `method` with the request bytes as they are (a unary call, or a
// server stream's request that does not parse); its status, and its
// response in `response`.
grpc::Status CallRaw(grpc::GenericStub& stub, const std::string& authorization,
                     int method, const std::string& bytes,
                     grpc::ByteBuffer* response) {
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  std::unique_ptr<grpc::ClientContext> context = Context(authorization);
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(context.get(), kPaths[method], grpc::StubOptions(), &request,
                 response, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

bool IsAnswer(const grpc::Status& status) {
  return status.ok() || IsRefusal(status.error_code());
}

template <typename Request>
bool Parses(const std::string& bytes) {
  Request request;
  return request.ParseFromString(bytes);
}

// GetCandles pages: following a next_page_token the gateway gave is always
// answered, with candles after the previous page's.
void NextPages(grpc::GenericStub& stub, const std::string& authorization,
               v1::GetCandlesRequest request, const grpc::ByteBuffer& first) {
  grpc::ByteBuffer buffer = first;
  absl::Time previous = absl::InfinitePast();
  for (int page = 0; page < 3; ++page) {
    v1::GetCandlesResponse response;
    std::vector<grpc::Slice> slices;
    Check(buffer.Dump(&slices).ok(), kGetCandles, "no response");
    std::string bytes;
    for (const grpc::Slice& slice : slices)
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    Check(response.ParseFromString(bytes), kGetCandles, "a broken response");
    for (const v1::Candle& candle : response.candles()) {
      const absl::Time start = market::FromTimestamp(candle.start_time());
      Check(start > previous, kGetCandles,
            absl::StrCat("candles out of order on page ", page + 1));
      previous = start;
    }
    if (response.next_page_token().empty()) return;
    request.set_page_token(response.next_page_token());
    const grpc::Status status = CallRaw(stub, authorization, kGetCandles,
                                        request.SerializeAsString(), &buffer);
    Check(status.ok(), kGetCandles,
          absl::StrCat("page ", page + 2, ": ", Describe(status)));
  }
}

void Unary(grpc::GenericStub& stub, const std::string& authorization,
           int method, const std::string& bytes) {
  bool parses = false;
  v1::GetCandlesRequest candles;
  switch (method) {
    case kListSymbols:
      parses = Parses<v1::ListSymbolsRequest>(bytes);
      break;
    case kGetQuotes:
      parses = Parses<v1::GetQuotesRequest>(bytes);
      break;
    case kGetIntradayBars:
      parses = Parses<v1::GetIntradayBarsRequest>(bytes);
      break;
    case kGetHistory:
      parses = Parses<v1::GetHistoryRequest>(bytes);
      break;
    case kGetCandles:
      parses = candles.ParseFromString(bytes);
      break;
  }
  grpc::ByteBuffer response;
  const grpc::Status status =
      CallRaw(stub, authorization, method, bytes, &response);
  // gRPC refuses a request that does not parse (INTERNAL) before any
  // handler runs; the handlers answer or refuse what does.
  Check(parses ? IsAnswer(status)
               : status.error_code() == grpc::StatusCode::INTERNAL,
        method, Describe(status));
  if (method == kGetCandles && status.ok())
    NextPages(stub, authorization, std::move(candles), response);
}

void ServerStream(Gateway& gateway, int caller, int method,
                  const std::string& bytes) {
  const std::string& authorization = gateway.authorization[caller];
  v1::SubscribeRequest request;
  if (!request.ParseFromString(bytes)) {
    // Refused with UNIMPLEMENTED before any authorization, as gRPC's typed
    // callback server-streaming handler did (the gateway parses its
    // streams' requests itself: service.h).
    grpc::ByteBuffer response;
    const grpc::Status status = CallRaw(*gateway.generic[caller], authorization,
                                        method, bytes, &response);
    Check(status.error_code() == grpc::StatusCode::UNIMPLEMENTED, method,
          Describe(status));
    return;
  }
  v1::MarketDataService::Stub* stub = gateway.stubs[caller].get();
  std::unique_ptr<grpc::ClientContext> context = Context(authorization);
  std::unique_ptr<grpc::ClientReader<v1::MarketEvent>> reader;
  switch (method) {
    case kSubscribeQuotes:
      reader = stub->SubscribeQuotes(context.get(), request);
      break;
    case kSubscribeIntradayBars:
      reader = stub->SubscribeIntradayBars(context.get(), request);
      break;
    case kSubscribeHistory:
      reader = stub->SubscribeHistory(context.get(), request);
      break;
    case kSubscribeIntradayAnalytics:
      reader = stub->SubscribeIntradayAnalytics(context.get(), request);
      break;
    case kSubscribeMarket:
      reader = stub->SubscribeMarket(context.get(), request);
      break;
    case kSubscribeSignals:
      reader = stub->SubscribeSignals(context.get(), request);
      break;
  }
  int ends = 0;
  v1::MarketEvent event;
  // After the SnapshotEnd the stream would go on live: cancel it, and read
  // what was already sent (a second SnapshotEnd would be there).
  while (reader->Read(&event)) {
    if (!event.has_snapshot_end()) continue;
    Check(++ends == 1, method, "a second SnapshotEnd");
    context->TryCancel();
  }
  const grpc::Status status = reader->Finish();
  if (ends == 1) {
    // A stream never ends by itself once subscribed; it may still have been
    // ended before the cancellation arrived (its snapshot over the bytes a
    // stream may queue: RESOURCE_EXHAUSTED).
    Check(status.error_code() == grpc::StatusCode::CANCELLED ||
              IsRefusal(status.error_code()),
          method, Describe(status));
  } else {
    Check(IsRefusal(status.error_code()), method,
          absl::StrCat("no SnapshotEnd, ", Describe(status)));
  }
}

// What answers a MarketDataStream request, if `event` does.
bool Answers(const v1::MarketDataRequest& request, const v1::MarketEvent& event,
             int method) {
  const std::string& id = request.request_id();
  if (event.has_snapshot_end()) {
    Check(request.has_subscribe(), method,
          absl::StrCat("SnapshotEnd answering ", request.ShortDebugString()));
    Check(event.snapshot_end().request_id() == id, method,
          "SnapshotEnd of another request");
    return true;
  }
  if (event.has_action_result()) {
    const v1::ActionResult& result = event.action_result();
    Check(result.request_id() == id, method, "ActionResult of another request");
    const auto code = static_cast<grpc::StatusCode>(result.code());
    if (request.has_unsubscribe()) {
      // Unsubscribing a valid channel always succeeds.
      Check(code == grpc::StatusCode::OK ||
                code == grpc::StatusCode::INVALID_ARGUMENT,
            method, absl::StrCat("unsubscribe answered ", code));
    } else {
      Check(!request.has_list_subscriptions() && !request.has_ping(), method,
            "ActionResult answering list or ping");
      Check(IsRefusal(code), method,
            absl::StrCat("action refused with ", code, " '", result.message(),
                         "'"));
    }
    return true;
  }
  if (event.has_subscriptions()) {
    Check(request.has_list_subscriptions(), method,
          "SubscriptionList answering another action");
    Check(event.subscriptions().request_id() == id, method,
          "SubscriptionList of another request");
    return true;
  }
  if (event.has_pong()) {
    Check(request.has_ping(), method, "Pong answering another action");
    Check(event.pong().request_id() == id, method, "Pong of another request");
    return true;
  }
  return false;
}

void BidiStream(v1::MarketDataService::Stub& stub,
                const std::string& authorization, absl::string_view bytes) {
  constexpr int method = kMarketDataStream;
  std::vector<v1::MarketDataRequest> requests;
  while (bytes.size() >= 2) {
    const size_t size =
        std::min<size_t>(bytes.size() - 2, static_cast<uint8_t>(bytes[0]) << 8 |
                                               static_cast<uint8_t>(bytes[1]));
    v1::MarketDataRequest request;
    if (request.ParseFromArray(bytes.data() + 2, static_cast<int>(size)))
      requests.push_back(std::move(request));
    bytes.remove_prefix(2 + size);
  }
  std::unique_ptr<grpc::ClientContext> context = Context(authorization);
  auto stream = stub.MarketDataStream(context.get());
  size_t written = 0;
  for (const v1::MarketDataRequest& request : requests) {
    if (!stream->Write(request)) break;  // Refused: the status says why.
    ++written;
  }
  stream->WritesDone();
  size_t answered = 0;
  // The stream goes on until the client cancels it.
  if (written == 0) context->TryCancel();
  v1::MarketEvent event;
  while (stream->Read(&event)) {
    if (answered == written) {
      Check(
          !event.has_snapshot_end() && !event.has_action_result() &&
              !event.has_subscriptions() && !event.has_pong(),
          method,
          absl::StrCat("an answer to no request: ", event.ShortDebugString()));
      continue;
    }
    if (!Answers(requests[answered], event, method)) continue;
    if (++answered == written) context->TryCancel();
  }
  const grpc::Status status = stream->Finish();
  if (answered == written) {
    Check(status.error_code() == grpc::StatusCode::CANCELLED ||
              IsRefusal(status.error_code()),
          method, Describe(status));
  } else {
    // Only a stream ended by a refusal leaves requests unanswered (no key,
    // or its stream bytes over the quota).
    Check(IsRefusal(status.error_code()), method,
          absl::StrCat(written - answered, " of ", written,
                       " requests unanswered, ", Describe(status)));
  }
}

}  // namespace
}  // namespace vnstream::gateway

// Defaults for this target, before the command line's flags (which win):
// every input leaves work on other threads (gRPC, the fallback's pool), so
// its allocations never balance and libFuzzer would run a whole leak check
// after each (leaks are still checked at exit), and coverage from those
// threads makes tens of thousands of features per input, which entropic
// scheduling re-weighs one by one. Without both: ~15x the execs/s.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  static char entropic[] = "-entropic=0";
  static char leaks[] = "-detect_leaks=0";
  static std::vector<char*>* args = new std::vector<char*>;
  args->assign(*argv, *argv + *argc);
  args->insert(args->begin() + 1, {entropic, leaks});
  *argc = static_cast<int>(args->size());
  args->push_back(nullptr);
  *argv = args->data();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vnstream::gateway;
  if (size == 0) return 0;
  Gateway& gateway = TheGateway();
  const int method = (data[0] & 0x0f) % request_fuzzer::kMethods;
  const int caller = (data[0] >> 4) & 0x03;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (method < request_fuzzer::kSubscribeQuotes) {
    Unary(*gateway.generic[caller], gateway.authorization[caller], method,
          bytes);
  } else if (method < request_fuzzer::kMarketDataStream) {
    ServerStream(gateway, caller, method, bytes);
  } else {
    BidiStream(*gateway.stubs[caller], gateway.authorization[caller], bytes);
  }
  return 0;
}
