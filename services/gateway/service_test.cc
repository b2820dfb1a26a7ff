// The gRPC service in-process, over MarketState and a Fallback whose
// VNStock is a fake: status codes, limits, fallback labels, the stream
// protocol, heartbeats, slow consumers and shutdown, all through real gRPC.
#include "services/gateway/service.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/service/grpc_server.h"

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

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(ServiceOptions options) {
    service_.reset();
    server_.reset();
    service_ = std::make_unique<MarketDataServiceImpl>(options, state_,
                                                       &fallback_, &metrics_);
    auto server = GrpcServer::Start({.address = "127.0.0.1:0"},
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

  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  MarketState state_{&metrics_, indicators::Params()};
  FakeVnstock vnstock_;
  market::TradingCalendar calendar_;
  Fallback fallback_{{}, vnstock_, calendar_, state_, &metrics_};
  std::unique_ptr<MarketDataServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MarketDataService::Stub> stub_;
};

TEST_F(ServiceTest, GetQuotesLabelsKafkaAndFallbackAndReportsMissingSymbols) {
  state_.ApplyQuote(MakeQuote("FPT", 7, 116'000), v1::DELIVERY_KAFKA);
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

TEST_F(ServiceTest, HistoryAndBarsFromTheFallbackCarryIndicators) {
  v1::GetHistoryRequest request;
  request.set_symbol("HPG");
  request.set_limit(5);
  v1::GetHistoryResponse response;
  ASSERT_TRUE(stub_->GetHistory(Context().get(), request, &response).ok());
  EXPECT_EQ(response.delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
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
    } else if (e.has_heartbeat()) {
      out.push_back("heartbeat");
    }
  }
  return out;
}

TEST_F(ServiceTest, SubscriptionProtocolSnapshotThenLiveThenResume) {
  state_.ApplyQuote(MakeQuote("FPT", 7, 116'000), v1::DELIVERY_KAFKA);
  auto context = Context();
  v1::SubscribeRequest request;
  for (const char* s : {"FPT", "ZZZ", "bad!"}) request.add_symbols(s);
  auto reader = stub_->SubscribeQuotes(context.get(), request);
  std::vector<v1::MarketEvent> events;
  v1::MarketEvent event;
  while (events.size() < 6 && reader->Read(&event)) {
    events.push_back(event);
    if (event.has_snapshot_end()) {
      state_.ApplyQuote(MakeQuote("FPT", 8, 116'100), v1::DELIVERY_KAFKA);
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

TEST_F(ServiceTest, SubscriptionLimitsAndHeartbeats) {
  ServiceOptions options;
  options.max_symbols_per_subscription = 2;
  options.max_streams_per_connection = 1;
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

  // The refused stream never counted: this one, on the same connection, is
  // admitted at once.
  state_.ApplyQuote(MakeQuote("FPT", 1, 116'000), v1::DELIVERY_KAFKA);
  v1::SubscribeRequest one;
  one.add_symbols("FPT");
  one.mutable_heartbeat_interval()->set_seconds(1);
  auto c2 = Context();
  auto r2 = stub_->SubscribeQuotes(c2.get(), one);
  std::vector<v1::MarketEvent> events;  // SUBSCRIBED, snapshot, end.
  while (events.size() < 3 && r2->Read(&event)) events.push_back(event);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].quote().meta().seq(), 1u);
  // A second stream on the same connection is over the limit.
  auto c3 = Context();
  auto r3 = stub_->SubscribeQuotes(c3.get(), one);
  while (r3->Read(&event)) {
  }
  const grpc::Status limited = r3->Finish();
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("streams per connection"));
  // Idle for longer than the stream's 1 s: a heartbeat.
  service_->Heartbeat(absl::Now() + absl::Seconds(2));
  ASSERT_TRUE(r2->Read(&event));
  EXPECT_TRUE(event.has_heartbeat());
  service_->FinishAllStreams();
  while (r2->Read(&event)) {
  }
  EXPECT_EQ(r2->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

v1::DailyHistory BigHistory(uint64_t seq) {
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
  return h;
}

TEST_F(ServiceTest, SlowConsumerGetsStatusThenResourceExhausted) {
  ServiceOptions options;
  options.subscriber.max_queued = 8;
  Start(options);
  state_.ApplyHistory(BigHistory(1), v1::DELIVERY_KAFKA);
  auto context = Context();
  v1::SubscribeRequest request;
  request.add_symbols("VIC");
  auto reader = stub_->SubscribeHistory(context.get(), request);
  v1::MarketEvent event;
  ASSERT_TRUE(reader->Read(&event));  // SUBSCRIBED: the stream is open.
  // The client stops reading; ~100 KB updates fill the transport windows,
  // then the stream's queue.
  for (uint64_t seq = 2; seq <= 200; ++seq) {
    state_.ApplyHistory(BigHistory(seq), v1::DELIVERY_KAFKA);
  }
  std::vector<v1::MarketEvent> events;
  while (reader->Read(&event)) events.push_back(event);
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().status().state(), v1::SYMBOL_STATE_SLOW_CONSUMER);
  EXPECT_LT(events.size(), 200u);
  EXPECT_EQ(metrics_.slow_consumers[2]->Value(), 1);
}

}  // namespace
}  // namespace vnstream::gateway
