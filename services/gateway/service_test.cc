// The gRPC service in-process, over MarketState and a Fallback whose
// VNStock is a fake: status codes, limits, fallback labels, the stream
// protocol, heartbeats, slow consumers and shutdown, all through real gRPC.
#include "services/gateway/service.h"

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "libs/auth/api_key.h"
#include "libs/auth/authenticator.h"
#include "libs/auth/key_file.h"
#include "libs/base/subprocess.h"
#include "libs/indicators/indicators.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/service/grpc_server.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/gateway/caches.h"

namespace vnstream::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::Time Local(int h, int m) {
  return absl::FromCivil(absl::CivilMinute(2026, 11, 25, h, m),
                         market::VietnamTime());
}

v1::Quote MakeQuote(const std::string& symbol, uint64_t seq, int64_t last) {
  v1::Quote q;
  q.mutable_meta()->set_symbol(symbol);
  q.mutable_meta()->set_seq(seq);
  q.mutable_meta()->set_source(v1::SOURCE_VCI);
  *q.mutable_meta()->mutable_fetched_at() = market::ToTimestamp(absl::Now());
  *q.mutable_meta()->mutable_trading_date() =
      market::ToDate(absl::CivilDay(2026, 11, 25));
  *q.mutable_last_price() = market::MakeDecimal(last);
  return q;
}

// VNStock as the gateway's fallback sees it: knows HPG only.
class FakeVnstock : public vnstock::MarketDataSource {
 public:
  vnstock::PriceBoard FetchPriceBoard(std::span<const std::string> symbols,
                                      absl::Time) override {
    ++calls;
    vnstock::PriceBoard board;
    if (down) {
      board.errors.push_back(absl::UnavailableError("HTTP 503"));
      return board;
    }
    for (const std::string& s : symbols) {
      if (s == "HPG") board.quotes.push_back(MakeQuote("HPG", 0, 27'500));
    }
    return board;
  }
  vnstock::Bars FetchBars(std::span<const std::string> symbols,
                          vnstock::TimeFrame tf, absl::Time, int,
                          absl::Time) override {
    ++calls;
    vnstock::Bars bars;
    for (const std::string& s : symbols) {
      if (s != "HPG") continue;
      vnstock::SymbolBars series{s, {}, v1::SOURCE_VCI, absl::Now()};
      for (int i = 0; i < 40; ++i) {
        const absl::Time t =
            tf == vnstock::TimeFrame::kOneDay
                ? absl::FromCivil(absl::CivilDay(2026, 9, 1) + i,
                                  absl::UTCTimeZone())
                : Local(9, 15) + absl::Minutes(i);
        const int64_t c = 27'000 + 50 * (i % 7);
        series.bars.push_back(
            {t, market::MakeDecimal(c), market::MakeDecimal(c + 100),
             market::MakeDecimal(c - 100), market::MakeDecimal(c), 1000});
      }
      bars.series.push_back(std::move(series));
    }
    return bars;
  }
  std::atomic<int> calls{0};
  std::atomic<bool> down{false};
};

// Reads `n` events (or until the stream ends).
template <typename Reader>
std::vector<v1::MarketEvent> ReadN(Reader& reader, size_t n) {
  std::vector<v1::MarketEvent> events;
  v1::MarketEvent event;
  while (events.size() < n && reader.Read(&event)) events.push_back(event);
  return events;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  // `auth` null: without authentication (AuthTest below has the keys).
  // `ready`: the state caught up with Kafka (main: the feed's CaughtUp()).
  void Start(ServiceOptions options, const auth::Authenticator* auth = nullptr,
             bool ready = true) {
    service_.reset();
    server_.reset();
    service_ = std::make_unique<MarketDataServiceImpl>(
        options, state_, &fallback_, auth, &metrics_);
    if (ready) service_->SetReady();
    // In-process, over loopback: plaintext is fine (TLS has its own tests).
    auto server = GrpcServer::Start(
        {.address = "127.0.0.1:0", .insecure_plaintext = true},
        {service_.get()}, nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::MarketDataService::NewStub(channel_);
  }
  void TearDown() override {
    service_->FinishAllStreams();
    server_->Shutdown(absl::Seconds(1));
  }

  std::unique_ptr<grpc::ClientContext> Context(
      absl::Duration deadline = absl::Seconds(10)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return context;
  }

  // Runs the periodic check as if at now + `ahead` until `reader` has read
  // one event, and returns it: the check queues no heartbeat while the
  // stream's last write is still in flight on the server, and its
  // completion may come after the client read the message.
  template <typename Reader>
  std::vector<v1::MarketEvent> HeartbeatAndRead(Reader& reader,
                                                absl::Duration ahead) {
    std::vector<v1::MarketEvent> events;
    std::atomic<bool> read{false};
    std::thread reading([&] {
      events = ReadN(reader, 1);
      read = true;
    });
    PollUntil(
        [&] {
          service_->Heartbeat(absl::Now() + ahead);
          return read.load();
        },
        absl::Seconds(10), absl::Milliseconds(20));
    reading.join();
    return events;
  }

  template <typename Record>
  void Apply(Channel channel, Record record, int source = 0) {
    state_.Apply(channel, source, std::make_unique<Record>(std::move(record)),
                 v1::DELIVERY_KAFKA);
  }
  void ApplyQuote(v1::Quote quote) {
    Apply(v1::CHANNEL_QUOTES, std::move(quote));
  }

  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  MarketState state_{&metrics_};
  FakeVnstock vnstock_;
  market::TradingCalendar calendar_;
  indicators::Params params_;
  Fallback fallback_{{}, vnstock_, calendar_, params_, state_, &metrics_};
  std::unique_ptr<MarketDataServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MarketDataService::Stub> stub_;
};

TEST_F(ServiceTest, GetQuotesLabelsKafkaAndFallbackAndReportsMissingSymbols) {
  ApplyQuote(MakeQuote("FPT", 7, 116'000));
  v1::GetQuotesRequest request;
  for (const char* s : {"fpt", "HPG", "ZZZ", "bad!", "FPT"})
    request.add_symbols(s);
  v1::GetQuotesResponse response;
  ASSERT_TRUE(stub_->GetQuotes(Context().get(), request, &response).ok());
  ASSERT_EQ(response.items_size(), 2);
  EXPECT_EQ(response.items(0).quote().meta().symbol(), "FPT");
  EXPECT_EQ(response.items(0).delivery(), v1::DELIVERY_KAFKA);
  EXPECT_EQ(response.items(0).quote().meta().seq(), 7u);
  EXPECT_EQ(response.items(1).quote().meta().symbol(), "HPG");
  EXPECT_EQ(response.items(1).delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
  EXPECT_EQ(response.items(1).quote().last_price().units(), 27'500);
  ASSERT_EQ(response.missing_size(), 2);
  EXPECT_EQ(response.missing(0).symbol(), "ZZZ");
  EXPECT_EQ(response.missing(0).state(), v1::SYMBOL_STATE_NOT_FOUND);
  EXPECT_EQ(response.missing(1).state(), v1::SYMBOL_STATE_INVALID);

  // A crowd of calls makes no further upstream call (cached result).
  const int calls = vnstock_.calls;
  for (int i = 0; i < 5; ++i) {
    v1::GetQuotesResponse again;
    ASSERT_TRUE(stub_->GetQuotes(Context().get(), request, &again).ok());
  }
  EXPECT_EQ(vnstock_.calls, calls);
}

// ListSymbols reuses its answer for a filter for list_symbols_max_age: a
// symbol that arrives meanwhile shows once that passed, or at once under
// another filter (its own answer).
TEST_F(ServiceTest, ListSymbolsReusesItsAnswerForAFilterUpToMaxAge) {
  ServiceOptions options;
  options.list_symbols_max_age = absl::Hours(1);
  Start(options);
  auto list = [&](const v1::ListSymbolsRequest& request) {
    v1::ListSymbolsResponse response;
    const grpc::Status status =
        stub_->ListSymbols(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> symbols;
    for (const v1::SymbolInfo& info : response.symbols())
      symbols.push_back(info.symbol());
    return symbols;
  };
  ApplyQuote(MakeQuote("FPT", 7, 116'000));
  EXPECT_THAT(list({}), ElementsAre("FPT"));
  ApplyQuote(MakeQuote("HPG", 1, 27'500));
  EXPECT_THAT(list({}), ElementsAre("FPT")) << "not reused";
  v1::ListSymbolsRequest stocks;
  stocks.add_types(v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_THAT(list(stocks), ElementsAre("FPT", "HPG"));

  // No reuse: every call lists what the state holds.
  options.list_symbols_max_age = absl::ZeroDuration();
  Start(options);
  EXPECT_THAT(list({}), ElementsAre("FPT", "HPG"));
  ApplyQuote(MakeQuote("VNM", 1, 60'000));
  EXPECT_THAT(list({}), ElementsAre("FPT", "HPG", "VNM"));
}

TEST_F(ServiceTest, UnaryErrorsAreClearStatusCodes) {
  v1::GetQuotesRequest too_many;
  for (int i = 0; i < 201; ++i)
    too_many.add_symbols(absl::StrCat("S", 100 + i));
  v1::GetQuotesResponse quotes;
  EXPECT_EQ(stub_->GetQuotes(Context().get(), too_many, &quotes).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(stub_->GetQuotes(Context().get(), {}, &quotes).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetHistoryRequest history;
  history.set_symbol("no such");
  v1::GetHistoryResponse response;
  EXPECT_EQ(stub_->GetHistory(Context().get(), history, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  history.set_symbol("ZZZ");
  EXPECT_EQ(stub_->GetHistory(Context().get(), history, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  vnstock_.down = true;
  v1::GetIntradayBarsRequest bars;
  bars.set_symbol("VCB");
  v1::GetIntradayBarsResponse bars_response;
  EXPECT_EQ(stub_->GetIntradayBars(Context().get(), bars, &bars_response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetQuotesRequest one;
  one.add_symbols("VCB");
  ASSERT_TRUE(stub_->GetQuotes(Context().get(), one, &quotes).ok());
  ASSERT_EQ(quotes.missing_size(), 1);
  EXPECT_EQ(quotes.missing(0).state(), v1::SYMBOL_STATE_UNAVAILABLE);
}

TEST_F(ServiceTest, HistoryAndBarsFromTheFallbackCarryGatewayIndicators) {
  v1::GetHistoryRequest request;
  request.set_symbol("HPG");
  request.set_limit(5);
  v1::GetHistoryResponse response;
  ASSERT_TRUE(stub_->GetHistory(Context().get(), request, &response).ok());
  EXPECT_EQ(response.delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
  // The only data the gateway enriches is what it fetched itself.
  EXPECT_EQ(response.indicators_state(), v1::INDICATORS_STATE_GATEWAY);
  ASSERT_EQ(response.history().bars_size(), 5);
  EXPECT_TRUE(response.history().bars(4).indicators().has_sma_short());
  EXPECT_TRUE(response.history().bars(4).indicators().has_macd());
  EXPECT_EQ(response.history().meta().seq(), 1u);
  v1::GetIntradayBarsRequest bars;
  bars.set_symbol("HPG");
  v1::GetIntradayBarsResponse bars_response;
  ASSERT_TRUE(
      stub_->GetIntradayBars(Context().get(), bars, &bars_response).ok());
  EXPECT_EQ(bars_response.bars_size(), 40);
  EXPECT_EQ(bars_response.delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
}

std::vector<std::string> Describe(const std::vector<v1::MarketEvent>& events) {
  std::vector<std::string> out;
  for (const v1::MarketEvent& e : events) {
    if (e.has_status()) {
      out.push_back(absl::StrCat(e.status().symbol(), ":",
                                 v1::SymbolState_Name(e.status().state())));
    } else if (e.has_snapshot_end()) {
      out.push_back("end");
    } else if (e.has_quote()) {
      out.push_back(absl::StrCat(
          e.snapshot() ? "snap " : "", e.quote().meta().symbol(), "#",
          e.quote().meta().seq(), " ", v1::Delivery_Name(e.delivery())));
    } else if (e.has_bar()) {
      out.push_back(absl::StrCat(e.snapshot() ? "snap " : "", "bar ",
                                 e.bar().meta().symbol(), "#",
                                 e.bar().meta().seq()));
    } else if (e.has_heartbeat()) {
      out.push_back("heartbeat");
    } else if (e.has_action_result()) {
      out.push_back(absl::StrCat("result ", e.action_result().request_id(), " ",
                                 e.action_result().code()));
    } else if (e.has_pong()) {
      out.push_back(absl::StrCat("pong ", e.pong().request_id()));
    } else if (e.has_subscriptions()) {
      std::string list = "list";
      for (const auto& sub : e.subscriptions().subscriptions()) {
        absl::StrAppend(&list, " ", v1::Channel_Name(sub.channel()), ":",
                        absl::StrJoin(sub.request().symbols(), ","));
      }
      out.push_back(list);
    } else if (e.has_market()) {
      out.push_back(absl::StrCat(e.snapshot() ? "snap " : "", "market ",
                                 e.market().meta().symbol(), " ",
                                 e.market().advancers()));
    } else if (e.has_signal()) {
      out.push_back(absl::StrCat(e.snapshot() ? "snap " : "", "signal ",
                                 e.signal().meta().symbol(), "#",
                                 e.signal().meta().seq()));
    } else if (e.has_intraday_analytics()) {
      out.push_back(absl::StrCat(e.snapshot() ? "snap " : "", "enriched ",
                                 e.intraday_analytics().meta().symbol(), "#",
                                 e.intraday_analytics().meta().seq()));
    }
  }
  return out;
}

TEST_F(ServiceTest, SubscriptionProtocolSnapshotThenLiveThenResume) {
  ApplyQuote(MakeQuote("FPT", 7, 116'000));
  auto context = Context();
  v1::SubscribeRequest request;
  for (const char* s : {"FPT", "ZZZ", "bad!"}) request.add_symbols(s);
  auto reader = stub_->SubscribeQuotes(context.get(), request);
  std::vector<v1::MarketEvent> events;
  v1::MarketEvent event;
  while (events.size() < 6 && reader->Read(&event)) {
    events.push_back(event);
    if (event.has_snapshot_end()) {
      ApplyQuote(MakeQuote("FPT", 8, 116'100));
    }
  }
  EXPECT_THAT(
      Describe(events),
      ElementsAre("BAD!:SYMBOL_STATE_INVALID", "FPT:SYMBOL_STATE_SUBSCRIBED",
                  "ZZZ:SYMBOL_STATE_SUBSCRIBED", "snap FPT#7 DELIVERY_KAFKA",
                  "end",
                  ::testing::AnyOf("FPT#8 DELIVERY_KAFKA",
                                   "ZZZ:SYMBOL_STATE_NOT_FOUND")));
  context->TryCancel();
  reader->Finish();

  // Resume after seq 7: only #8 is replayed.
  auto resume_context = Context();
  v1::SubscribeRequest resume;
  resume.add_symbols("FPT");
  (*resume.mutable_since_seq())["FPT"] = 7;
  auto resumed = stub_->SubscribeQuotes(resume_context.get(), resume);
  events.clear();
  while (events.size() < 3 && resumed->Read(&event)) events.push_back(event);
  EXPECT_THAT(Describe(events),
              ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED",
                          "snap FPT#8 DELIVERY_KAFKA", "end"));
  resume_context->TryCancel();
  resumed->Finish();

  // A resume point the cache never held.
  auto bad_context = Context();
  (*resume.mutable_since_seq())["FPT"] = 99;
  auto refused = stub_->SubscribeQuotes(bad_context.get(), resume);
  while (refused->Read(&event)) {
  }
  const grpc::Status status = refused->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("not in the cache"));
}

// The streams record their go-grpc-prometheus metrics themselves (the
// interceptor skips them: it costs gRPC's interception machinery on every
// message), once each; the unary methods' come from the interceptor.
double GrpcCounter(prometheus::Registry& registry, const std::string& name,
                   const prometheus::Labels& labels) {
  return prometheus::BuildCounter()
      .Name(name)
      .Register(registry)
      .Add(labels)
      .Value();
}

TEST_F(ServiceTest, StreamsRecordTheirOwnGrpcMetricsOnce) {
  // As the gateway's main starts it: recording gRPC metrics.
  auto server =
      GrpcServer::Start({.address = "127.0.0.1:0", .insecure_plaintext = true},
                        {service_.get()}, &registry_);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::MarketDataService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials()));
  ApplyQuote(MakeQuote("FPT", 7, 116'000));

  auto context = Context();
  v1::SubscribeRequest request;
  request.add_symbols("FPT");
  auto reader = stub->SubscribeQuotes(context.get(), request);
  EXPECT_THAT(Describe(ReadN(*reader, 3)),
              ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED",
                          "snap FPT#7 DELIVERY_KAFKA", "end"));
  context->TryCancel();
  reader->Finish();

  auto refused_context = Context();
  auto refused = stub->SubscribeQuotes(refused_context.get(), {});
  v1::MarketEvent event;
  while (refused->Read(&event)) {
  }
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetQuotesRequest quotes;
  quotes.add_symbols("FPT");
  v1::GetQuotesResponse response;
  ASSERT_TRUE(stub->GetQuotes(Context().get(), quotes, &response).ok());

  const prometheus::Labels stream = {
      {"grpc_type", "server_stream"},
      {"grpc_service", "vnstream.v1.MarketDataService"},
      {"grpc_method", "SubscribeQuotes"}};
  auto with_code = [](prometheus::Labels labels, const char* code) {
    labels["grpc_code"] = code;
    return labels;
  };
  // The server ends the cancelled stream after the client saw it end.
  EXPECT_TRUE(PollUntil(
      [&] {
        return GrpcCounter(registry_, "grpc_server_handled_total",
                           with_code(stream, "Canceled")) == 1;
      },
      absl::Seconds(5), absl::Milliseconds(5)));
  EXPECT_EQ(GrpcCounter(registry_, "grpc_server_started_total", stream), 2);
  EXPECT_EQ(GrpcCounter(registry_, "grpc_server_handled_total",
                        with_code(stream, "InvalidArgument")),
            1);
  EXPECT_EQ(GrpcCounter(registry_, "grpc_server_msg_sent_total", stream), 3)
      << "the snapshot's 3 messages, counted once";
  const prometheus::Labels unary = {
      {"grpc_type", "unary"},
      {"grpc_service", "vnstream.v1.MarketDataService"},
      {"grpc_method", "GetQuotes"}};
  EXPECT_EQ(GrpcCounter(registry_, "grpc_server_started_total", unary), 1);
  EXPECT_EQ(GrpcCounter(registry_, "grpc_server_handled_total",
                        with_code(unary, "OK")),
            1);
  service_->FinishAllStreams();
  (*server)->Shutdown(absl::Seconds(1));
}

// A gateway still catching up with Kafka (just restarted) refuses streams
// with UNAVAILABLE: a resuming client retries and resumes, instead of
// finding its resume point "evicted" and getting the catch-up records as
// live events.
TEST_F(ServiceTest, StreamsWaitUntilTheStateCaughtUp) {
  Start({}, /*auth=*/nullptr, /*ready=*/false);
  ApplyQuote(MakeQuote("FPT", 1, 116'000));  // Catch-up has begun.
  v1::SubscribeRequest request;
  request.add_symbols("FPT");
  (*request.mutable_since_seq())["FPT"] = 7;
  v1::MarketEvent event;
  {
    auto context = Context();
    auto reader = stub_->SubscribeQuotes(context.get(), request);
    EXPECT_FALSE(reader->Read(&event));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(status.error_message(), HasSubstr("catching up"));
  }
  for (uint64_t seq = 2; seq <= 8; ++seq) {
    ApplyQuote(MakeQuote("FPT", seq, 116'000 + 100 * seq));
  }
  service_->SetReady();
  auto context = Context();
  auto reader = stub_->SubscribeQuotes(context.get(), request);
  std::vector<v1::MarketEvent> events;
  while (events.size() < 3 && reader->Read(&event)) events.push_back(event);
  EXPECT_THAT(Describe(events),
              ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED",
                          "snap FPT#8 DELIVERY_KAFKA", "end"));
  context->TryCancel();
  reader->Finish();
}

TEST_F(ServiceTest, SubscriptionLimitsAndHeartbeats) {
  ServiceOptions options;
  options.max_symbols_per_subscription = 2;
  options.max_streams = 1;
  Start(options);
  v1::SubscribeRequest three;
  for (const char* s : {"AAA", "BBB", "CCC"}) three.add_symbols(s);
  // Every stream has a deadline: a wrong admission fails the test, not hangs.
  auto c1 = Context();
  auto r1 = stub_->SubscribeQuotes(c1.get(), three);
  v1::MarketEvent event;
  while (r1->Read(&event)) {
  }
  EXPECT_EQ(r1->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // The refused stream never counted: this one is admitted at once.
  ApplyQuote(MakeQuote("FPT", 1, 116'000));
  v1::SubscribeRequest one;
  one.add_symbols("FPT");
  one.mutable_heartbeat_interval()->set_seconds(1);
  auto c2 = Context();
  auto r2 = stub_->SubscribeQuotes(c2.get(), one);
  std::vector<v1::MarketEvent> events;  // SUBSCRIBED, snapshot, end.
  while (events.size() < 3 && r2->Read(&event)) events.push_back(event);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].quote().meta().seq(), 1u);
  // A second stream is over the gateway's limit.
  auto c3 = Context();
  auto r3 = stub_->SubscribeQuotes(c3.get(), one);
  while (r3->Read(&event)) {
  }
  const grpc::Status limited = r3->Finish();
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("maximum of 1 streams"));
  // Idle for longer than the stream's 1 s: a heartbeat.
  EXPECT_THAT(Describe(HeartbeatAndRead(*r2, absl::Seconds(2))),
              ElementsAre("heartbeat"));
  service_->FinishAllStreams();
  while (r2->Read(&event)) {
  }
  EXPECT_EQ(r2->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

v1::IntradayBar MakeBar(const std::string& symbol, uint64_t seq, int minute) {
  v1::IntradayBar bar;
  bar.mutable_meta()->set_symbol(symbol);
  bar.mutable_meta()->set_seq(seq);
  *bar.mutable_meta()->mutable_fetched_at() = market::ToTimestamp(absl::Now());
  *bar.mutable_meta()->mutable_trading_date() =
      market::ToDate(absl::CivilDay(2026, 11, 25));
  *bar.mutable_start_time() = market::ToTimestamp(Local(10, minute));
  *bar.mutable_close() = market::MakeDecimal(116'000);
  return bar;
}

v1::MarketDataRequest Subscribe(const std::string& id, Channel channel,
                                std::vector<std::string> symbols) {
  v1::MarketDataRequest request;
  request.set_request_id(id);
  request.mutable_subscribe()->set_channel(channel);
  for (const std::string& s : symbols)
    request.mutable_subscribe()->mutable_request()->add_symbols(s);
  return request;
}

TEST_F(ServiceTest, EveryChannelHasItsServerStream) {
  v1::MarketBreadth breadth;
  breadth.mutable_meta()->set_symbol("HOSE");
  breadth.mutable_meta()->set_seq(1);
  breadth.set_partition(0);
  breadth.set_advancers(12);
  Apply(v1::CHANNEL_MARKET, breadth);
  v1::Signal signal;
  signal.mutable_meta()->set_symbol("FPT");
  signal.mutable_meta()->set_seq(1);
  Apply(v1::CHANNEL_SIGNALS, signal);
  v1::EnrichedIntradayBar enriched;
  *enriched.mutable_bar() = MakeBar("FPT", 3, 1);
  *enriched.mutable_meta() = enriched.bar().meta();
  Apply(v1::CHANNEL_INTRADAY_ANALYTICS, enriched);

  v1::SubscribeRequest hose;
  hose.add_symbols("HOSE");
  v1::SubscribeRequest fpt;
  fpt.add_symbols("FPT");
  auto c1 = Context();
  auto market = stub_->SubscribeMarket(c1.get(), hose);
  EXPECT_THAT(Describe(ReadN(*market, 3)),
              ElementsAre("HOSE:SYMBOL_STATE_SUBSCRIBED", "snap market HOSE 12",
                          "end"));
  auto c2 = Context();
  auto signals = stub_->SubscribeSignals(c2.get(), fpt);
  EXPECT_THAT(
      Describe(ReadN(*signals, 3)),
      ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED", "snap signal FPT#1", "end"));
  auto c3 = Context();
  auto analytics = stub_->SubscribeIntradayAnalytics(c3.get(), fpt);
  const std::vector<v1::MarketEvent> events = ReadN(*analytics, 3);
  EXPECT_THAT(Describe(events), ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED",
                                            "snap enriched FPT#3", "end"));
  for (const v1::MarketEvent& e : events)
    EXPECT_EQ(e.channel(), v1::CHANNEL_INTRADAY_ANALYTICS);
  for (auto* c : {c1.get(), c2.get(), c3.get()}) c->TryCancel();
}

TEST_F(ServiceTest, MarketDataStreamSubscribesUnsubscribesListsAndPings) {
  ApplyQuote(MakeQuote("FPT", 7, 116'000));
  auto context = Context();
  auto stream = stub_->MarketDataStream(context.get());
  ASSERT_TRUE(stream->Write(Subscribe("q1", v1::CHANNEL_QUOTES, {"FPT"})));
  std::vector<v1::MarketEvent> events = ReadN(*stream, 3);
  EXPECT_THAT(Describe(events),
              ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED",
                          "snap FPT#7 DELIVERY_KAFKA", "end"));
  EXPECT_EQ(events[2].snapshot_end().request_id(), "q1");
  EXPECT_EQ(events[2].channel(), v1::CHANNEL_QUOTES);

  // A second channel on the same stream, resuming after a bar it has.
  Apply(v1::CHANNEL_INTRADAY_BARS, MakeBar("FPT", 1, 0));
  Apply(v1::CHANNEL_INTRADAY_BARS, MakeBar("FPT", 2, 1));
  v1::MarketDataRequest bars =
      Subscribe("b1", v1::CHANNEL_INTRADAY_BARS, {"FPT"});
  (*bars.mutable_subscribe()->mutable_request()->mutable_since_seq())["FPT"] =
      1;
  ASSERT_TRUE(stream->Write(bars));
  EXPECT_THAT(
      Describe(ReadN(*stream, 3)),
      ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED", "snap bar FPT#2", "end"));
  // Live data of both channels flows on the one stream.
  ApplyQuote(MakeQuote("FPT", 8, 116'100));
  Apply(v1::CHANNEL_INTRADAY_BARS, MakeBar("FPT", 3, 2));
  EXPECT_THAT(Describe(ReadN(*stream, 2)),
              ElementsAre("FPT#8 DELIVERY_KAFKA", "bar FPT#3"));

  v1::MarketDataRequest list;
  list.set_request_id("l1");
  list.mutable_list_subscriptions();
  ASSERT_TRUE(stream->Write(list));
  EXPECT_THAT(Describe(ReadN(*stream, 1)),
              ElementsAre("list CHANNEL_QUOTES:FPT CHANNEL_INTRADAY_BARS:FPT"));

  // Refused requests are answered; the stream goes on.
  ASSERT_TRUE(
      stream->Write(Subscribe("bad", v1::CHANNEL_UNSPECIFIED, {"FPT"})));
  v1::MarketDataRequest old = Subscribe("old", v1::CHANNEL_SIGNALS, {"VCB"});
  (*old.mutable_subscribe()->mutable_request()->mutable_since_seq())["VCB"] = 5;
  ASSERT_TRUE(stream->Write(old));
  EXPECT_THAT(
      Describe(ReadN(*stream, 2)),
      ElementsAre(
          absl::StrCat("result bad ", grpc::StatusCode::INVALID_ARGUMENT),
          absl::StrCat("result old ", grpc::StatusCode::FAILED_PRECONDITION)));

  // Unsubscribing quotes while data flows: only bars follow.
  v1::MarketDataRequest unsubscribe;
  unsubscribe.set_request_id("u1");
  unsubscribe.mutable_unsubscribe()->set_channel(v1::CHANNEL_QUOTES);
  unsubscribe.mutable_unsubscribe()->mutable_request()->add_symbols("FPT");
  ASSERT_TRUE(stream->Write(unsubscribe));
  EXPECT_THAT(Describe(ReadN(*stream, 1)), ElementsAre("result u1 0"));
  ApplyQuote(MakeQuote("FPT", 9, 116'200));
  Apply(v1::CHANNEL_INTRADAY_BARS, MakeBar("FPT", 4, 3));
  v1::MarketDataRequest ping;
  ping.set_request_id("p1");
  ping.mutable_ping();
  ASSERT_TRUE(stream->Write(ping));
  EXPECT_THAT(Describe(ReadN(*stream, 2)), ElementsAre("bar FPT#4", "pong p1"));
  EXPECT_EQ(metrics_.active_streams[kAnyChannel]->Value(), 1);

  // Closing the client side keeps the subscriptions streaming.
  ASSERT_TRUE(stream->WritesDone());
  Apply(v1::CHANNEL_INTRADAY_BARS, MakeBar("FPT", 5, 4));
  EXPECT_THAT(Describe(ReadN(*stream, 1)), ElementsAre("bar FPT#5"));
  service_->FinishAllStreams();
  ReadN(*stream, 100);
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// A stream's symbols of a channel, added and removed by several requests:
// each once, listed in order.
TEST_F(ServiceTest, MarketDataStreamHoldsEachSymbolOnceInOrder) {
  for (const char* symbol : {"FPT", "SSI", "VCB"})
    ApplyQuote(MakeQuote(symbol, 1, 10'000));
  auto context = Context();
  auto stream = stub_->MarketDataStream(context.get());
  ASSERT_TRUE(
      stream->Write(Subscribe("a", v1::CHANNEL_QUOTES, {"VCB", "FPT"})));
  EXPECT_THAT(
      Describe(ReadN(*stream, 5)),
      ElementsAre("VCB:SYMBOL_STATE_SUBSCRIBED", "FPT:SYMBOL_STATE_SUBSCRIBED",
                  "snap VCB#1 DELIVERY_KAFKA", "snap FPT#1 DELIVERY_KAFKA",
                  "end"));
  // FPT is held already: only SSI is new.
  ASSERT_TRUE(
      stream->Write(Subscribe("b", v1::CHANNEL_QUOTES, {"SSI", "FPT"})));
  EXPECT_THAT(Describe(ReadN(*stream, 3)),
              ElementsAre("SSI:SYMBOL_STATE_SUBSCRIBED",
                          "snap SSI#1 DELIVERY_KAFKA", "end"));
  v1::MarketDataRequest unsubscribe;
  unsubscribe.set_request_id("u");
  unsubscribe.mutable_unsubscribe()->set_channel(v1::CHANNEL_QUOTES);
  unsubscribe.mutable_unsubscribe()->mutable_request()->add_symbols("VCB");
  unsubscribe.mutable_unsubscribe()->mutable_request()->add_symbols("HPG");
  ASSERT_TRUE(stream->Write(unsubscribe));
  std::vector<v1::MarketEvent> result = ReadN(*stream, 1);
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].action_result().message(), "unsubscribed 1 of 2 symbols");
  v1::MarketDataRequest list;
  list.set_request_id("l");
  list.mutable_list_subscriptions();
  ASSERT_TRUE(stream->Write(list));
  EXPECT_THAT(Describe(ReadN(*stream, 1)),
              ElementsAre("list CHANNEL_QUOTES:FPT,SSI"));
  // Live data reaches the symbols held, and only those.
  for (const char* symbol : {"VCB", "SSI", "FPT"})
    ApplyQuote(MakeQuote(symbol, 2, 10'100));
  EXPECT_THAT(Describe(ReadN(*stream, 2)),
              ElementsAre("SSI#2 DELIVERY_KAFKA", "FPT#2 DELIVERY_KAFKA"));
}

// ~100 KB with indicators, as analytics publishes it.
v1::EnrichedHistory BigHistory(uint64_t seq) {
  v1::DailyHistory h;
  h.mutable_meta()->set_symbol("VIC");
  h.mutable_meta()->set_seq(seq);
  absl::CivilDay day(2018, 1, 1);
  for (int i = 0; i < 500; ++i) {
    v1::DailyBar* bar = h.add_bars();
    *bar->mutable_date() = market::ToDate(day++);
    // Each record changes every bar: updates carry the whole series.
    const int64_t c = 100'000 + 10 * static_cast<int64_t>(seq) + i;
    *bar->mutable_open() = market::MakeDecimal(c);
    *bar->mutable_high() = market::MakeDecimal(c + 100);
    *bar->mutable_low() = market::MakeDecimal(c - 100);
    *bar->mutable_close() = market::MakeDecimal(c);
    bar->set_volume(1000);
  }
  v1::EnrichedHistory enriched;
  EXPECT_TRUE(indicators::Enrich(h, indicators::Params(), &enriched).ok());
  return enriched;
}

// GetHistory sends the answer it built for a symbol and limit again while
// the history held is the same one, and builds anew once it changed.
TEST_F(ServiceTest, GetHistoryAnswersTheHistoryHeldNow) {
  // The held history's seq and the bars answered.
  auto history = [&](int limit) {
    v1::GetHistoryRequest request;
    request.set_symbol("VIC");
    request.set_limit(limit);
    v1::GetHistoryResponse response;
    const grpc::Status status =
        stub_->GetHistory(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return std::make_pair(response.history().meta().seq(),
                          response.history().bars_size());
  };
  Apply(v1::CHANNEL_HISTORY, BigHistory(1), HistoryCache::kEnrichedSource);
  EXPECT_EQ(history(3), std::make_pair(uint64_t{1}, 3));
  EXPECT_EQ(history(3), std::make_pair(uint64_t{1}, 3));
  EXPECT_EQ(history(0), std::make_pair(uint64_t{1}, 500));
  Apply(v1::CHANNEL_HISTORY, BigHistory(2), HistoryCache::kEnrichedSource);
  EXPECT_EQ(history(3), std::make_pair(uint64_t{2}, 3));
  EXPECT_EQ(history(0), std::make_pair(uint64_t{2}, 500));
}

TEST_F(ServiceTest, SlowConsumerGetsStatusThenResourceExhausted) {
  ServiceOptions options;
  options.subscriber.max_queued = 8;
  Start(options);
  // Computed first, so the updates below arrive as fast as Kafka's would.
  std::vector<v1::EnrichedHistory> updates;
  for (uint64_t seq = 1; seq <= 200; ++seq) updates.push_back(BigHistory(seq));
  Apply(v1::CHANNEL_HISTORY, updates[0], HistoryCache::kEnrichedSource);
  auto context = Context(absl::Seconds(60));
  v1::SubscribeRequest request;
  request.add_symbols("VIC");
  auto reader = stub_->SubscribeHistory(context.get(), request);
  v1::MarketEvent event;
  ASSERT_TRUE(reader->Read(&event));  // SUBSCRIBED: the stream is open.
  // The client stops reading; ~100 KB updates fill the transport windows,
  // then the stream's queue.
  for (size_t i = 1; i < updates.size(); ++i) {
    Apply(v1::CHANNEL_HISTORY, updates[i], HistoryCache::kEnrichedSource);
  }
  std::vector<v1::MarketEvent> events;
  while (reader->Read(&event)) events.push_back(event);
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().status().state(), v1::SYMBOL_STATE_SLOW_CONSUMER);
  EXPECT_LT(events.size(), 200u);
  EXPECT_EQ(metrics_.slow_consumers[Index(v1::CHANNEL_HISTORY)]->Value(), 1);
}

// ---- Authorization: API keys, entitlements and quotas ----------------------

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

// The service with libs/auth over a keys file of three identities:
//   full     everything; 2 streams, 3 symbols per subscription, 1 fallback
//            fetch per minute
//   quotes   GetQuotes and SubscribeQuotes of FPT and the banks; 2 unary
//            calls per second; 5 fallback fetches per minute
//   gone     a revoked key
// and a gateway-wide fallback budget of 2 fetches per minute.
class AuthTest : public ServiceTest {
 protected:
  void SetUp() override {
    file_.groups["banks"] = {"VCB", "BID", "CTG"};
    full_ = AddKey("full", {.rpcs = {"*"},
                            .symbols = {"*"},
                            .max_streams = 2,
                            .max_symbols_per_subscription = 3,
                            .unary_per_second = 1000,
                            .fallback_per_minute = 1});
    quotes_ = AddKey("quotes", {.rpcs = {"GetQuotes", "SubscribeQuotes"},
                                .symbols = {"FPT", "group:banks"},
                                .max_streams = 10,
                                .max_symbols_per_subscription = 100,
                                .unary_per_second = 2,
                                .fallback_per_minute = 5});
    gone_ = AddKey("gone", {.rpcs = {"*"}, .symbols = {"*"}});
    file_.keys.back().revoked = true;
    Write();
    absl::StatusOr<std::unique_ptr<auth::Authenticator>> made =
        auth::Authenticator::Create(
            {.keys_file = path_, .fallback_per_minute_total = 2}, &registry_);
    ASSERT_TRUE(made.ok()) << made.status();
    auth_ = *std::move(made);
    Start({}, auth_.get());
  }
  void TearDown() override {
    ServiceTest::TearDown();
    // The server's streams hold identities' slots: gone before the keys.
    server_.reset();
    service_.reset();
  }

  std::string AddKey(const std::string& name, auth::Entitlements e) {
    absl::StatusOr<auth::NewKey> key = auth::GenerateKey();
    EXPECT_TRUE(key.ok());
    file_.keys.push_back({.name = name,
                          .id = key->id,
                          .salt = key->salt,
                          .hash = key->hash,
                          .entitlements = std::move(e)});
    return key->key;
  }
  void Write() { ASSERT_TRUE(auth::WriteKeyFile(path_, file_).ok()); }

  // A context sending `authorization` (none when empty).
  std::unique_ptr<grpc::ClientContext> As(const std::string& authorization) {
    auto context = Context();
    if (!authorization.empty())
      context->AddMetadata("authorization", authorization);
    return context;
  }
  std::unique_ptr<grpc::ClientContext> WithKey(const std::string& key) {
    return As("Bearer " + key);
  }

  grpc::Status Quotes(const std::string& key,
                      const std::vector<std::string>& symbols) {
    v1::GetQuotesRequest request;
    for (const std::string& s : symbols) request.add_symbols(s);
    v1::GetQuotesResponse response;
    return stub_->GetQuotes(WithKey(key).get(), request, &response);
  }
  grpc::Status History(const std::string& key, const std::string& symbol) {
    v1::GetHistoryRequest request;
    request.set_symbol(symbol);
    v1::GetHistoryResponse response;
    return stub_->GetHistory(WithKey(key).get(), request, &response);
  }
  // How a server stream subscribing `symbols` ends when nothing is admitted
  // (read to the end).
  grpc::Status Refused(grpc::ClientContext* context,
                       const std::vector<std::string>& symbols) {
    v1::SubscribeRequest request;
    for (const std::string& s : symbols) request.add_symbols(s);
    auto reader = stub_->SubscribeQuotes(context, request);
    v1::MarketEvent event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  }

  auth::KeyFile file_;
  const std::string path_ = TempPath("keys.yaml");
  std::string full_, quotes_, gone_;
  std::unique_ptr<auth::Authenticator> auth_;
};

MATCHER_P2(HasStatus, code, text, "") {
  *result_listener << arg.error_code() << " " << arg.error_message();
  return arg.error_code() == code &&
         absl::StrContains(arg.error_message(), text);
}

TEST_F(AuthTest, NoMalformedUnknownOrRevokedKeyIsUnauthenticated) {
  ApplyQuote(MakeQuote("FPT", 1, 116'000));
  absl::StatusOr<auth::NewKey> unknown = auth::GenerateKey();
  ASSERT_TRUE(unknown.ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "no API key"},
      {"Basic dXNlcjpwdw==", "Bearer <key>"},
      {"Bearer vns_nope", "malformed API key"},
      {"Bearer " + unknown->key, "invalid API key"},
      {"Bearer " + gone_, "was revoked"}};
  for (const auto& [authorization, message] : cases) {
    SCOPED_TRACE(authorization);
    v1::GetQuotesRequest request;
    request.add_symbols("FPT");
    v1::GetQuotesResponse response;
    EXPECT_THAT(stub_->GetQuotes(As(authorization).get(), request, &response),
                HasStatus(grpc::StatusCode::UNAUTHENTICATED, message));
    EXPECT_THAT(Refused(As(authorization).get(), {"FPT"}),
                HasStatus(grpc::StatusCode::UNAUTHENTICATED, message));
    auto context = As(authorization);
    auto stream = stub_->MarketDataStream(context.get());
    v1::MarketEvent event;
    EXPECT_FALSE(stream->Read(&event));
    EXPECT_THAT(stream->Finish(),
                HasStatus(grpc::StatusCode::UNAUTHENTICATED, message));
  }
  // Every other RPC as well.
  v1::ListSymbolsResponse symbols;
  EXPECT_EQ(stub_->ListSymbols(As("").get(), {}, &symbols).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::GetCandlesResponse candles;
  EXPECT_EQ(stub_->GetCandles(As("").get(), {}, &candles).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(History("", "HPG"),
              HasStatus(grpc::StatusCode::UNAUTHENTICATED, "Bearer <key>"));
  // A valid key is served.
  EXPECT_TRUE(Quotes(full_, {"FPT"}).ok());
  EXPECT_EQ(vnstock_.calls, 0) << "a refused call fetched from VNStock";
}

TEST_F(AuthTest, HealthIsOpenWithoutAKey) {
  server_->SetServing(true);
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = health->Check(As("").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(AuthTest, MethodsAndSymbolsNotEntitledArePermissionDenied) {
  ApplyQuote(MakeQuote("FPT", 1, 116'000));
  ApplyQuote(MakeQuote("VCB", 1, 90'000));
  EXPECT_TRUE(Quotes(quotes_, {"FPT", "vcb"}).ok());  // VCB: group banks.
  EXPECT_THAT(History(quotes_, "FPT"),
              HasStatus(grpc::StatusCode::PERMISSION_DENIED,
                        "may not call GetHistory"));
  EXPECT_THAT(
      Quotes(quotes_, {"FPT", "HPG"}),
      HasStatus(grpc::StatusCode::PERMISSION_DENIED, "not entitled to HPG"));
  EXPECT_THAT(
      Refused(WithKey(quotes_).get(), {"FPT", "HPG"}),
      HasStatus(grpc::StatusCode::PERMISSION_DENIED, "not entitled to HPG"));
  v1::SubscribeRequest fpt;
  fpt.add_symbols("FPT");
  auto bars_context = WithKey(quotes_);
  auto bars = stub_->SubscribeIntradayBars(bars_context.get(), fpt);
  v1::MarketEvent event;
  EXPECT_FALSE(bars->Read(&event));
  EXPECT_THAT(bars->Finish(), HasStatus(grpc::StatusCode::PERMISSION_DENIED,
                                        "may not call SubscribeIntradayBars"));
  // MarketDataStream: the method, then each channel's Subscribe* method.
  auto denied_context = WithKey(quotes_);
  auto denied = stub_->MarketDataStream(denied_context.get());
  EXPECT_FALSE(denied->Read(&event));
  EXPECT_THAT(denied->Finish(), HasStatus(grpc::StatusCode::PERMISSION_DENIED,
                                          "may not call MarketDataStream"));
}

TEST_F(AuthTest, MarketDataStreamChecksEachSubscription) {
  auto context = WithKey(full_);
  auto stream = stub_->MarketDataStream(context.get());
  auto subscribe = [&](const std::string& id,
                       const std::vector<std::string>& symbols) {
    v1::MarketDataRequest request;
    request.set_request_id(id);
    v1::ChannelSubscription* sub = request.mutable_subscribe();
    sub->set_channel(v1::CHANNEL_SIGNALS);
    for (const std::string& s : symbols) sub->mutable_request()->add_symbols(s);
    ASSERT_TRUE(stream->Write(request));
  };
  subscribe("a", {"FPT", "VCB"});
  // SUBSCRIBED x2, then the SnapshotEnd (no signals held).
  EXPECT_THAT(Describe(ReadN(*stream, 3)),
              ElementsAre("FPT:SYMBOL_STATE_SUBSCRIBED",
                          "VCB:SYMBOL_STATE_SUBSCRIBED", "end"));
  // 2 held + 2 new > the key's 3 symbols per subscription.
  subscribe("b", {"HPG", "SSI"});
  const std::vector<v1::MarketEvent> refused = ReadN(*stream, 1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].action_result().code(),
            static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_THAT(refused[0].action_result().message(),
              HasSubstr("quota max_symbols_per_subscription"));
  context->TryCancel();
  stream->Finish();
}

TEST_F(AuthTest, UnaryCallsPerSecondIsAQuota) {
  ApplyQuote(MakeQuote("FPT", 1, 116'000));
  // A burst of one second's worth (2), then refused within that second.
  int ok = 0;
  grpc::Status last;
  for (int i = 0; i < 3; ++i) {
    last = Quotes(quotes_, {"FPT"});
    ok += last.ok();
  }
  EXPECT_LE(ok, 2);
  EXPECT_THAT(last, HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              "quota unary_per_second"));
  // Another identity is not affected.
  EXPECT_TRUE(Quotes(full_, {"FPT"}).ok());
}

TEST_F(AuthTest, StreamsPerIdentityAcrossConnectionsAndSymbolsPerSubscription) {
  ApplyQuote(MakeQuote("FPT", 1, 116'000));
  // Two connections of one identity (a channel-local subchannel pool: no
  // connection shared).
  std::vector<std::unique_ptr<v1::MarketDataService::Stub>> stubs;
  for (int i = 0; i < 2; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(v1::MarketDataService::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                  grpc::InsecureChannelCredentials(), args)));
  }
  v1::SubscribeRequest fpt;
  fpt.add_symbols("FPT");
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::MarketEvent>>> open;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(WithKey(full_));
    open.push_back(stubs[i]->SubscribeQuotes(contexts.back().get(), fpt));
    // SUBSCRIBED, snapshot, end: admitted.
    ASSERT_EQ(ReadN(*open.back(), 3).size(), 3u);
  }
  // The key's 2 streams are open, one per connection: a third on either is
  // refused, and so is a MarketDataStream.
  for (auto& stub : stubs) {
    auto context = WithKey(full_);
    auto reader = stub->SubscribeQuotes(context.get(), fpt);
    v1::MarketEvent event;
    while (reader->Read(&event)) {
    }
    EXPECT_THAT(
        reader->Finish(),
        HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "quota max_streams"));
  }
  auto bidi_context = WithKey(full_);
  auto bidi = stubs[0]->MarketDataStream(bidi_context.get());
  v1::MarketEvent event;
  EXPECT_FALSE(bidi->Read(&event));
  EXPECT_THAT(bidi->Finish(), HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                        "quota max_streams"));
  // Another identity has its own streams.
  auto other_context = WithKey(quotes_);
  auto other = stub_->SubscribeQuotes(other_context.get(), fpt);
  EXPECT_EQ(ReadN(*other, 3).size(), 3u);
  other_context->TryCancel();
  other->Finish();
  // One closes: its slot is free again (once the server saw it end).
  contexts[0]->TryCancel();
  open[0]->Finish();
  bool admitted = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!admitted && absl::Now() < deadline) {
    auto context = WithKey(full_);
    auto reader = stubs[1]->SubscribeQuotes(context.get(), fpt);
    admitted = ReadN(*reader, 3).size() == 3u;
    context->TryCancel();
    reader->Finish();
  }
  EXPECT_TRUE(admitted);
  contexts[1]->TryCancel();
  open[1]->Finish();
  // Symbols per subscription: the key's 3, below the gateway's 100.
  EXPECT_THAT(Refused(WithKey(full_).get(), {"FPT", "VCB", "HPG", "SSI"}),
              HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "quota max_symbols_per_subscription"));
  EXPECT_THAT(Quotes(full_, {"FPT", "VCB", "HPG", "SSI"}),
              HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "quota max_symbols_per_subscription"));
}

TEST_F(AuthTest, FallbackFetchesPerKeyAndForEveryone) {
  // full: 1 fetch per minute. A fetch (HPG's history from VNStock), then
  // another symbol: refused, and VNStock is not asked.
  EXPECT_TRUE(History(full_, "HPG").ok());
  const int calls = vnstock_.calls;
  EXPECT_THAT(History(full_, "AAA"),
              HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "quota fallback_per_minute:"));
  // What is cached costs nothing.
  EXPECT_TRUE(History(full_, "HPG").ok());
  EXPECT_EQ(vnstock_.calls, calls);
  // quotes (5 per minute): its first fetch takes the gateway's second and
  // last; its next is refused by the gateway-wide budget.
  v1::GetQuotesRequest request;
  request.add_symbols("VCB");
  v1::GetQuotesResponse response;
  EXPECT_TRUE(
      stub_->GetQuotes(WithKey(quotes_).get(), request, &response).ok());
  EXPECT_EQ(vnstock_.calls, calls + 1);
  EXPECT_THAT(Quotes(quotes_, {"BID"}),
              HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "quota fallback_per_minute_total"));
  EXPECT_EQ(vnstock_.calls, calls + 1);
  // A stream's fetch refused: the symbol says so, the stream goes on.
  auto context = WithKey(quotes_);
  v1::SubscribeRequest ctg;
  ctg.add_symbols("CTG");
  auto reader = stub_->SubscribeQuotes(context.get(), ctg);
  const std::vector<v1::MarketEvent> events = ReadN(*reader, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].status().state(), v1::SYMBOL_STATE_UNAVAILABLE);
  EXPECT_THAT(events[2].status().message(),
              HasSubstr("quota fallback_per_minute_total"));
  EXPECT_EQ(vnstock_.calls, calls + 1);
  context->TryCancel();
  reader->Finish();
}

TEST_F(AuthTest, QueuedBytesOfAStreamThatNeverReadsAreAQuota) {
  ServiceOptions options;
  options.subscriber.max_queued_bytes = 256 << 10;
  Start(options, auth_.get());
  std::vector<v1::EnrichedHistory> updates;
  for (uint64_t seq = 1; seq <= 100; ++seq) updates.push_back(BigHistory(seq));
  const size_t update_bytes = updates[0].ByteSizeLong();
  Apply(v1::CHANNEL_HISTORY, updates[0], HistoryCache::kEnrichedSource);
  auto context = WithKey(full_);
  v1::SubscribeRequest request;
  request.add_symbols("VIC");
  auto reader = stub_->SubscribeHistory(context.get(), request);
  v1::MarketEvent event;
  ASSERT_TRUE(reader->Read(&event));  // SUBSCRIBED: the stream is open.
  // The client stops reading: ~100 KB updates fill the transport windows,
  // then the stream's 256 KiB (far below its 4,096 messages).
  for (size_t i = 1; i < updates.size(); ++i) {
    Apply(v1::CHANNEL_HISTORY, updates[i], HistoryCache::kEnrichedSource);
  }
  std::vector<v1::MarketEvent> events;
  while (reader->Read(&event)) events.push_back(event);
  EXPECT_THAT(reader->Finish(), HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                          "quota stream_bytes"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().status().state(), v1::SYMBOL_STATE_SLOW_CONSUMER);
  const int kind = Index(v1::CHANNEL_HISTORY);
  EXPECT_EQ(metrics_.byte_budget_exceeded[kind]->Value(), 1);
  EXPECT_EQ(metrics_.queued_bytes[kind]->Value(), 0);

  // The snapshot counts: three symbols' histories are more than 256 KiB
  // before anything is read.
  ASSERT_GT(3 * update_bytes, size_t{256 << 10});
  for (const char* symbol : {"AAA", "BBB"}) {
    v1::EnrichedHistory other = updates[0];
    other.mutable_meta()->set_symbol(symbol);
    Apply(v1::CHANNEL_HISTORY, other, HistoryCache::kEnrichedSource);
  }
  auto snapshot_context = WithKey(full_);
  request.add_symbols("AAA");
  request.add_symbols("BBB");
  auto snapshot = stub_->SubscribeHistory(snapshot_context.get(), request);
  events.clear();
  while (snapshot->Read(&event)) events.push_back(event);
  EXPECT_THAT(
      snapshot->Finish(),
      HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "quota stream_bytes"));
  EXPECT_EQ(metrics_.byte_budget_exceeded[kind]->Value(), 2);
  // 500 daily bars with indicators: what the configuration's comment says.
  RecordProperty("history_500_bars_bytes", static_cast<int>(update_bytes));
}

// A quote stream whose client stops reading: conflation keeps its queue far
// below both limits, the stall ends it; as the client still does not read,
// the call is then cancelled and the gateway frees it.
TEST_F(ServiceTest, QuoteStreamThatStopsReadingIsEndedThenCancelled) {
  ServiceOptions options;
  options.subscriber.stall_timeout = absl::Seconds(30);
  Start(options);
  ApplyQuote(MakeQuote("FPT", 1, 116'000));
  auto context = Context(absl::Seconds(60));
  v1::SubscribeRequest request;
  request.add_symbols("FPT");
  auto reader = stub_->SubscribeQuotes(context.get(), request);
  ASSERT_EQ(ReadN(*reader, 3).size(), 3u);  // SUBSCRIBED, snapshot, end.
  const int kind = Index(v1::CHANNEL_QUOTES);
  EXPECT_EQ(metrics_.active_streams[kind]->Value(), 1);
  // The client reads no more: quotes fill the transport windows, then a
  // write stays in flight with the newest quote pending behind it. Each
  // check looks 30 s ahead: the write in flight is then 30 s old.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (uint64_t seq = 2; metrics_.stalls[kind]->Value() == 0; ++seq) {
    ASSERT_LT(absl::Now(), deadline) << "never stalled, at seq " << seq;
    ApplyQuote(MakeQuote("FPT", seq, 116'000 + static_cast<int64_t>(seq)));
    service_->Heartbeat(absl::Now() + absl::Seconds(30));
  }
  EXPECT_EQ(metrics_.slow_consumers[kind]->Value(), 1);
  EXPECT_EQ(metrics_.undrained_cancels[kind]->Value(), 0) << "the grace";
  // Still not reading 30 s later: cancelled, and the reactor is done.
  service_->Heartbeat(absl::Now() + absl::Seconds(61));
  EXPECT_EQ(metrics_.undrained_cancels[kind]->Value(), 1);
  EXPECT_TRUE(
      PollUntil([&] { return metrics_.active_streams[kind]->Value() == 0; },
                absl::Seconds(10), absl::Milliseconds(10)));
  EXPECT_EQ(metrics_.queued_bytes[kind]->Value(), 0);
  // The client learns why when it reads again.
  v1::MarketEvent event;
  while (reader->Read(&event)) {
  }
  EXPECT_THAT(reader->Finish(),
              HasStatus(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "slow consumer: stream not drained for 30s"));
}

TEST_F(AuthTest, RevokingAKeyEndsItsStreamsAndRefusesItsCalls) {
  ApplyQuote(MakeQuote("FPT", 1, 116'000));
  auto context = WithKey(full_);
  v1::SubscribeRequest fpt;
  fpt.add_symbols("FPT");
  auto reader = stub_->SubscribeQuotes(context.get(), fpt);
  ASSERT_EQ(ReadN(*reader, 3).size(), 3u);
  // Nothing changed: the stream goes on (a heartbeat).
  EXPECT_THAT(Describe(HeartbeatAndRead(*reader, absl::Minutes(1))),
              ElementsAre("heartbeat"));
  // vnstream-keys revoke: the file rewritten, re-read.
  file_.keys[0].revoked = true;
  Write();
  ASSERT_TRUE(auth_->Reload().ok());
  service_->Heartbeat(absl::Now());
  v1::MarketEvent event;
  while (reader->Read(&event)) {
  }
  EXPECT_THAT(reader->Finish(),
              HasStatus(grpc::StatusCode::UNAUTHENTICATED, "revoked"));
  EXPECT_THAT(Quotes(full_, {"FPT"}),
              HasStatus(grpc::StatusCode::UNAUTHENTICATED, "was revoked"));
  // The other keys are unaffected.
  EXPECT_TRUE(Quotes(quotes_, {"FPT"}).ok());
}

}  // namespace
}  // namespace vnstream::gateway
