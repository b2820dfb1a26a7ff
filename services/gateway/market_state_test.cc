#include "services/gateway/market_state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::Time Local(int h, int m) {
  return absl::FromCivil(absl::CivilMinute(2026, 11, 25, h, m),
                         market::VietnamTime());
}

v1::RecordMeta Meta(const std::string& symbol, uint64_t seq, int day = 25) {
  v1::RecordMeta meta;
  meta.set_symbol(symbol);
  meta.set_seq(seq);
  meta.set_source(v1::SOURCE_SIMULATOR);
  *meta.mutable_fetched_at() =
      market::ToTimestamp(Local(10, 0) + absl::Seconds(seq));
  *meta.mutable_trading_date() = market::ToDate(absl::CivilDay(2026, 11, day));
  return meta;
}

v1::Quote Quote(const std::string& symbol, uint64_t seq,
                int64_t last = 100'000) {
  v1::Quote q;
  *q.mutable_meta() = Meta(symbol, seq);
  *q.mutable_last_price() = market::MakeDecimal(last);
  return q;
}

v1::IntradayBar Bar(const std::string& symbol, uint64_t seq, int minute,
                    int64_t close, bool final, int day = 25) {
  v1::IntradayBar bar;
  *bar.mutable_meta() = Meta(symbol, seq, day);
  *bar.mutable_start_time() = market::ToTimestamp(absl::FromCivil(
      absl::CivilMinute(2026, 11, day, 10, minute), market::VietnamTime()));
  *bar.mutable_close() = market::MakeDecimal(close);
  bar.set_final(final);
  return bar;
}

v1::DailyHistory History(uint64_t seq, std::vector<int64_t> closes) {
  v1::DailyHistory h;
  *h.mutable_meta() = Meta("FPT", seq);
  absl::CivilDay day(2026, 10, 1);
  for (int64_t close : closes) {
    v1::DailyBar* bar = h.add_bars();
    *bar->mutable_date() = market::ToDate(day);
    day += 1;
    *bar->mutable_open() = market::MakeDecimal(close);
    *bar->mutable_high() = market::MakeDecimal(close + 100);
    *bar->mutable_low() = market::MakeDecimal(close - 100);
    *bar->mutable_close() = market::MakeDecimal(close);
    bar->set_volume(1000);
    bar->set_final(true);
  }
  return h;
}

// Completes every write at once (a fast client) and keeps what it got.
class CollectingWriter : public StreamWriter {
 public:
  void Write(const v1::MarketEvent* event) override {
    events.push_back(*event);
    pending = true;
  }
  void Finish(const absl::Status& s) override { status = s; }
  std::vector<v1::MarketEvent> events;
  std::optional<absl::Status> status;
  bool pending = false;
};

class MarketStateTest : public ::testing::Test {
 protected:
  std::shared_ptr<Subscriber> Subscribe(Channel channel,
                                        std::vector<std::string> symbols,
                                        ResumeSpec resume = {},
                                        absl::Status* status = nullptr) {
    auto subscriber = std::make_shared<Subscriber>(channel, SubscriberOptions{},
                                                   &writer_, &metrics_);
    absl::Status s = state_.Subscribe(channel, symbols, resume, subscriber);
    if (status != nullptr) *status = s;
    Pump(*subscriber);
    return subscriber;
  }
  void Pump(Subscriber& s) {
    while (writer_.pending) {
      writer_.pending = false;
      s.OnWriteDone(true);
    }
  }
  std::vector<std::string> Seen() {
    std::vector<std::string> out;
    for (const v1::MarketEvent& e : writer_.events) {
      const v1::RecordMeta* meta = EventMeta(e);
      if (e.has_snapshot_end()) {
        out.push_back("end");
      } else if (meta != nullptr) {
        out.push_back(absl::StrCat(
            e.snapshot() ? "snap:" : "", meta->symbol(), "#", meta->seq(),
            e.delivery() == v1::DELIVERY_VNSTOCK_FALLBACK ? "(fb)" : ""));
      }
    }
    return out;
  }

  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  MarketState state_{&metrics_, indicators::Params()};
  CollectingWriter writer_;
};

TEST_F(MarketStateTest, QuoteSnapshotThenLiveWithoutDuplicatesOrStaleRecords) {
  EXPECT_TRUE(state_.ApplyQuote(Quote("FPT", 1), v1::DELIVERY_KAFKA));
  EXPECT_TRUE(state_.ApplyQuote(Quote("FPT", 2), v1::DELIVERY_KAFKA));
  auto subscriber = Subscribe(Channel::kQuotes, {"FPT", "VCB"});
  EXPECT_FALSE(state_.ApplyQuote(Quote("FPT", 2), v1::DELIVERY_KAFKA))
      << "duplicate";
  EXPECT_FALSE(state_.ApplyQuote(Quote("FPT", 1), v1::DELIVERY_KAFKA))
      << "stale";
  EXPECT_TRUE(state_.ApplyQuote(Quote("FPT", 3), v1::DELIVERY_KAFKA));
  EXPECT_TRUE(state_.ApplyQuote(Quote("VCB", 7), v1::DELIVERY_KAFKA));
  EXPECT_TRUE(state_.ApplyQuote(Quote("SSI", 1), v1::DELIVERY_KAFKA))
      << "not subscribed";
  Pump(*subscriber);
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#2", "end", "FPT#3", "VCB#7"));
  EXPECT_EQ(state_.GetQuote("FPT")->quote().meta().seq(), 3u);
  EXPECT_EQ(metrics_.subscriptions[0]->Value(), 2);
  state_.Unsubscribe(Channel::kQuotes, {"FPT", "VCB"}, subscriber.get());
  EXPECT_EQ(metrics_.subscriptions[0]->Value(), 0);
}

TEST_F(MarketStateTest, ResumeFromSeqAndTime) {
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    state_.ApplyBar(Bar("FPT", seq, static_cast<int>(seq), 100'000 + seq, true),
                    v1::DELIVERY_KAFKA);
  }
  Subscribe(Channel::kBars, {"FPT"}, {.since_seq = {{"FPT", 1}}});
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#2", "snap:FPT#3", "end"));

  writer_.events.clear();
  Subscribe(Channel::kBars, {"FPT"}, {.since_time = Local(10, 3)});
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#3", "end"));

  // A resume point beyond what the cache holds, or before its trading day.
  absl::Status status;
  Subscribe(Channel::kBars, {"FPT"}, {.since_seq = {{"FPT", 9}}}, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  Subscribe(Channel::kBars, {"FPT"},
            {.since_time = Local(10, 0) - absl::Hours(24)}, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  Subscribe(Channel::kQuotes, {"FPT"}, {.since_seq = {{"FPT", 1}}}, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition)
      << "no quote held";
}

TEST_F(MarketStateTest, BarsRevisionsAndANewTradingDay) {
  state_.ApplyBar(Bar("FPT", 1, 0, 100'000, false), v1::DELIVERY_KAFKA);
  state_.ApplyBar(Bar("FPT", 2, 0, 100'100, true), v1::DELIVERY_KAFKA);
  state_.ApplyBar(Bar("FPT", 3, 1, 100'200, false), v1::DELIVERY_KAFKA);
  std::optional<v1::GetIntradayBarsResponse> bars =
      state_.GetBars("FPT", std::nullopt);
  ASSERT_TRUE(bars.has_value());
  ASSERT_EQ(bars->bars_size(), 2);
  EXPECT_EQ(bars->bars(0).close().units(), 100'100) << "the latest revision";
  EXPECT_TRUE(bars->bars(0).final());
  // The next day starts at seq 1 and replaces yesterday's bars.
  EXPECT_TRUE(
      state_.ApplyBar(Bar("FPT", 1, 0, 99'000, false, 26), v1::DELIVERY_KAFKA));
  EXPECT_FALSE(
      state_.ApplyBar(Bar("FPT", 4, 2, 1, false, 25), v1::DELIVERY_KAFKA))
      << "a previous day's bar";
  bars = state_.GetBars("FPT", std::nullopt);
  ASSERT_EQ(bars->bars_size(), 1);
  EXPECT_EQ(bars->bars(0).meta().trading_date().day(), 26);
}

TEST_F(MarketStateTest, InProgressBarsConflateIntoTheirFinalVersion) {
  auto subscriber = std::make_shared<Subscriber>(
      Channel::kBars, SubscriberOptions{}, &writer_, &metrics_);
  ASSERT_TRUE(state_.Subscribe(Channel::kBars, {"FPT"}, {}, subscriber).ok());
  // "end" is in flight and not completed: the client is slow.
  state_.ApplyBar(Bar("FPT", 1, 0, 100'000, false), v1::DELIVERY_KAFKA);
  state_.ApplyBar(Bar("FPT", 2, 0, 100'100, false), v1::DELIVERY_KAFKA);
  state_.ApplyBar(Bar("FPT", 3, 0, 100'200, true), v1::DELIVERY_KAFKA);
  state_.ApplyBar(Bar("FPT", 4, 1, 100'300, false), v1::DELIVERY_KAFKA);
  Pump(*subscriber);
  EXPECT_THAT(Seen(), ElementsAre("end", "FPT#3", "FPT#4"));
  EXPECT_TRUE(writer_.events[1].bar().final());
}

TEST_F(MarketStateTest, KafkaWinsOverFallback) {
  EXPECT_TRUE(
      state_.ApplyQuote(Quote("HPG", 0), v1::DELIVERY_VNSTOCK_FALLBACK));
  EXPECT_FALSE(
      state_.ApplyQuote(Quote("HPG", 0), v1::DELIVERY_VNSTOCK_FALLBACK))
      << "same content";
  EXPECT_TRUE(state_.ApplyQuote(Quote("HPG", 0, 100'500),
                                v1::DELIVERY_VNSTOCK_FALLBACK));
  std::optional<v1::QuoteItem> item = state_.GetQuote("HPG");
  EXPECT_EQ(item->delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
  EXPECT_EQ(item->quote().meta().seq(), 2u) << "numbered by the gateway";
  auto subscriber = Subscribe(Channel::kQuotes, {"HPG"});
  EXPECT_THAT(state_.SubscribedWithoutKafkaData(Channel::kQuotes),
              ElementsAre("HPG"));
  EXPECT_TRUE(state_.ApplyQuote(Quote("HPG", 40), v1::DELIVERY_KAFKA));
  EXPECT_FALSE(
      state_.ApplyQuote(Quote("HPG", 0, 1), v1::DELIVERY_VNSTOCK_FALLBACK));
  Pump(*subscriber);
  EXPECT_THAT(Seen(), ElementsAre("snap:HPG#2(fb)", "end", "HPG#40"));
  EXPECT_TRUE(state_.HasKafkaData(Channel::kQuotes, "HPG"));
  EXPECT_THAT(state_.SubscribedWithoutKafkaData(Channel::kQuotes), IsEmpty());
}

TEST_F(MarketStateTest, HistoryIsEnrichedAndUpdatesCarryOnlyChangedBars) {
  std::vector<int64_t> closes;
  for (int i = 0; i < 30; ++i) closes.push_back(100'000 + 100 * i);
  ASSERT_TRUE(state_.ApplyHistory(History(1, closes), v1::DELIVERY_KAFKA));
  std::optional<v1::GetHistoryResponse> history = state_.GetHistory("FPT", 5);
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->history().bars_size(), 5);
  // SMA(20) of the last bar: mean of closes 10..29.
  const v1::IndicatorValues& last = history->history().bars(4).indicators();
  ASSERT_TRUE(last.has_sma_short());
  EXPECT_DOUBLE_EQ(last.sma_short(), 100'000 + 100 * 19.5);
  EXPECT_FALSE(history->history().bars(0).indicators().has_sma_long())
      << "lookback 199";

  auto subscriber = Subscribe(Channel::kHistory, {"FPT"});
  closes.back() += 500;  // Today's bar moved.
  ASSERT_TRUE(state_.ApplyHistory(History(2, closes), v1::DELIVERY_KAFKA));
  Pump(*subscriber);
  ASSERT_EQ(writer_.events.size(), 3u);
  EXPECT_TRUE(writer_.events[0].history().full());
  EXPECT_EQ(writer_.events[0].history().bars_size(), 30);
  EXPECT_FALSE(writer_.events[2].history().full());
  EXPECT_EQ(writer_.events[2].history().bars_size(), 1)
      << "only the changed bar";
  EXPECT_EQ(writer_.events[2].history().meta().seq(), 2u);

  // Analytics' record of the same seq changes nothing.
  v1::EnrichedHistory from_analytics = state_.GetHistory("FPT", 0)->history();
  EXPECT_FALSE(state_.ApplyEnriched(from_analytics, v1::DELIVERY_KAFKA));
}

TEST_F(MarketStateTest, ListSymbols) {
  state_.ApplyQuote(Quote("VCB", 1), v1::DELIVERY_KAFKA);
  state_.ApplyBar(Bar("FPT", 1, 0, 1, true), v1::DELIVERY_KAFKA);
  std::vector<v1::SymbolInfo> symbols = state_.ListSymbols();
  ASSERT_EQ(symbols.size(), 2u);
  EXPECT_EQ(symbols[0].symbol(), "FPT");
  EXPECT_TRUE(symbols[0].has_intraday());
  EXPECT_FALSE(symbols[0].has_quote());
  EXPECT_EQ(symbols[1].symbol(), "VCB");
  EXPECT_EQ(symbols[1].delivery(), v1::DELIVERY_KAFKA);
}

}  // namespace
}  // namespace vnstream::gateway
