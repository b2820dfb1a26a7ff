#include "services/gateway/market_state.h"

#include <array>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/indicators/indicators.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/gateway/caches.h"

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

v1::MarketBreadth Partial(const std::string& scope, int partition, uint64_t seq,
                          int advancers, int day = 25) {
  v1::MarketBreadth b;
  *b.mutable_meta() = Meta(scope, seq, day);
  b.set_partition(partition);
  b.set_partitions(2);
  b.set_symbols(advancers + 1);
  b.set_advancers(advancers);
  b.set_decliners(1);
  *b.mutable_total_value() = market::MakeDecimal(1000 * advancers);
  return b;
}

v1::Mover Mover(const std::string& symbol, int64_t percent) {
  v1::Mover m;
  m.set_symbol(symbol);
  *m.mutable_percent_change() = market::MakeDecimal(percent);
  *m.mutable_total_value() = market::MakeDecimal(percent * 10);
  return m;
}

v1::Signal Signal(const std::string& symbol, uint64_t seq, int day = 25) {
  v1::Signal signal;
  *signal.mutable_meta() = Meta(symbol, seq, day);
  signal.set_kind(v1::SIGNAL_KIND_MACD_BULLISH_CROSS);
  signal.set_interval(v1::BAR_INTERVAL_ONE_DAY);
  return signal;
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
  void Write(absl::string_view wire, absl::string_view suffix) override {
    ASSERT_TRUE(
        events.emplace_back().ParseFromString(absl::StrCat(wire, suffix)));
    pending = true;
  }
  void Finish(const absl::Status& s) override { status = s; }
  absl::Status OverByteBudget(const std::string& detail) override {
    return absl::ResourceExhaustedError(detail);
  }
  // Never called: nothing here calls MaybeHeartbeat.
  void Cancel(const absl::Status&) override {}
  std::vector<v1::MarketEvent> events;
  std::optional<absl::Status> status;
  bool pending = false;
};

class MarketStateTest : public ::testing::Test {
 protected:
  // Applies `record` as source `source` of `channel`.
  template <typename Record>
  bool Apply(Channel channel, Record record,
             v1::Delivery delivery = v1::DELIVERY_KAFKA, int source = 0) {
    return state_
        .Apply(channel, source, std::make_unique<Record>(std::move(record)),
               delivery)
        .applied;
  }
  bool ApplyQuote(v1::Quote q, v1::Delivery d = v1::DELIVERY_KAFKA) {
    return Apply(v1::CHANNEL_QUOTES, std::move(q), d);
  }
  bool ApplyBar(v1::IntradayBar b, v1::Delivery d = v1::DELIVERY_KAFKA) {
    return Apply(v1::CHANNEL_INTRADAY_BARS, std::move(b), d);
  }
  v1::EnrichedHistory Enriched(const v1::DailyHistory& raw) {
    v1::EnrichedHistory enriched;
    EXPECT_TRUE(indicators::Enrich(raw, indicators::Params(), &enriched).ok());
    return enriched;
  }

  std::shared_ptr<Subscriber> Subscribe(Channel channel,
                                        std::vector<std::string> symbols,
                                        ResumeSpec resume = {},
                                        absl::Status* status = nullptr) {
    auto subscriber = std::make_shared<Subscriber>(
        Index(channel), SubscriberOptions{}, &writer_, &metrics_);
    auto end = std::make_shared<v1::MarketEvent>();
    end->mutable_snapshot_end();
    absl::Status s =
        state_.Subscribe(channel, symbols, resume, {}, end, subscriber);
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
            e.conflated() > 0 ? absl::StrCat("~", e.conflated()) : "",
            e.delivery() == v1::DELIVERY_VNSTOCK_FALLBACK ? "(fb)" : ""));
      }
    }
    return out;
  }

  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  MarketState state_{&metrics_};
  CollectingWriter writer_;
};

TEST_F(MarketStateTest, QuoteSnapshotThenLiveWithoutDuplicatesOrStaleRecords) {
  EXPECT_TRUE(ApplyQuote(Quote("FPT", 1)));
  EXPECT_TRUE(ApplyQuote(Quote("FPT", 2)));
  auto subscriber = Subscribe(v1::CHANNEL_QUOTES, {"FPT", "VCB"});
  EXPECT_FALSE(ApplyQuote(Quote("FPT", 2))) << "duplicate";
  EXPECT_FALSE(ApplyQuote(Quote("FPT", 1))) << "stale";
  EXPECT_TRUE(ApplyQuote(Quote("FPT", 3)));
  EXPECT_TRUE(ApplyQuote(Quote("VCB", 7)));
  EXPECT_TRUE(ApplyQuote(Quote("SSI", 1))) << "not subscribed";
  Pump(*subscriber);
  // The snapshot's FPT#2 says seq 1 was replaced (conflated), not lost.
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#2~1", "end", "FPT#3", "VCB#7"));
  EXPECT_EQ(state_.GetQuote("FPT")->quote().meta().seq(), 3u);
  const int quotes = Index(v1::CHANNEL_QUOTES);
  EXPECT_EQ(metrics_.subscriptions[quotes]->Value(), 2);
  EXPECT_EQ(metrics_.cached_items[quotes]->Value(), 3) << "FPT, VCB, SSI";
  state_.Unsubscribe(v1::CHANNEL_QUOTES, {"FPT", "VCB"}, subscriber.get());
  EXPECT_EQ(metrics_.subscriptions[quotes]->Value(), 0);
}

TEST_F(MarketStateTest, StampsWhenTheGatewayReceivedEachRecord) {
  v1::Quote sent = Quote("FPT", 1);
  // Whatever a producer wrote there is not the gateway's receipt time.
  *sent.mutable_meta()->mutable_received_at() =
      market::ToTimestamp(absl::FromUnixSeconds(1));
  const absl::Time before = absl::Now();
  EXPECT_TRUE(ApplyQuote(sent));
  const absl::Time after = absl::Now();
  auto subscriber = Subscribe(v1::CHANNEL_QUOTES, {"FPT"});
  ASSERT_EQ(writer_.events.size(), 2u);
  const absl::Time received =
      market::FromTimestamp(writer_.events[0].quote().meta().received_at());
  EXPECT_GE(received, before);
  EXPECT_LE(received, after);
  EXPECT_EQ(market::FromTimestamp(
                state_.GetQuote("FPT")->quote().meta().received_at()),
            received);
}

TEST_F(MarketStateTest, ResumeReportsConflationAndTellsItFromLoss) {
  for (uint64_t seq : {1, 2, 4, 5, 6}) {  // Seq 3 never arrives.
    const MarketState::Applied applied = state_.Apply(
        v1::CHANNEL_QUOTES, 0, std::make_unique<v1::Quote>(Quote("FPT", seq)),
        v1::DELIVERY_KAFKA);
    EXPECT_TRUE(applied.applied);
    EXPECT_EQ(applied.gaps, seq == 4 ? 1u : 0u) << seq;
  }
  // Resuming after seq 1: 2, 4 and 5 were replaced by 6 (conflated), 3 was
  // lost: 6 - 1 - 1 - 3 = 1 missing.
  Subscribe(v1::CHANNEL_QUOTES, {"FPT"}, {.since_seq = {{"FPT", 1}}});
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#6~3", "end"));
}

TEST_F(MarketStateTest, ResumeFromSeqAndTime) {
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    ApplyBar(Bar("FPT", seq, static_cast<int>(seq), 100'000 + seq, true));
  }
  Subscribe(v1::CHANNEL_INTRADAY_BARS, {"FPT"}, {.since_seq = {{"FPT", 1}}});
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#2", "snap:FPT#3", "end"));

  writer_.events.clear();
  Subscribe(v1::CHANNEL_INTRADAY_BARS, {"FPT"}, {.since_time = Local(10, 3)});
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#3~2", "end"));

  // A resume point beyond what the cache holds, or before its trading day.
  absl::Status status;
  Subscribe(v1::CHANNEL_INTRADAY_BARS, {"FPT"}, {.since_seq = {{"FPT", 9}}},
            &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  Subscribe(v1::CHANNEL_INTRADAY_BARS, {"FPT"},
            {.since_time = Local(10, 0) - absl::Hours(24)}, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  Subscribe(v1::CHANNEL_QUOTES, {"FPT"}, {.since_seq = {{"FPT", 1}}}, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition)
      << "no quote held";
}

TEST_F(MarketStateTest, BarsRevisionsAndANewTradingDay) {
  ApplyBar(Bar("FPT", 1, 0, 100'000, false));
  ApplyBar(Bar("FPT", 2, 0, 100'100, true));
  ApplyBar(Bar("FPT", 3, 1, 100'200, false));
  std::optional<v1::GetIntradayBarsResponse> bars =
      state_.GetBars("FPT", std::nullopt);
  ASSERT_TRUE(bars.has_value());
  ASSERT_EQ(bars->bars_size(), 2);
  EXPECT_EQ(bars->bars(0).close().units(), 100'100) << "the latest revision";
  EXPECT_TRUE(bars->bars(0).final());
  prometheus::Gauge& held =
      *metrics_.cached_items[Index(v1::CHANNEL_INTRADAY_BARS)];
  EXPECT_EQ(held.Value(), 2);
  // The next day starts at seq 1 and replaces yesterday's bars.
  EXPECT_TRUE(ApplyBar(Bar("FPT", 1, 0, 99'000, false, 26)));
  EXPECT_FALSE(ApplyBar(Bar("FPT", 4, 2, 1, false, 25)))
      << "a previous day's bar";
  bars = state_.GetBars("FPT", std::nullopt);
  ASSERT_EQ(bars->bars_size(), 1);
  EXPECT_EQ(bars->bars(0).meta().trading_date().day(), 26);
  EXPECT_EQ(held.Value(), 1) << "yesterday's bars are released";
}

TEST_F(MarketStateTest, ALateCorrectionComesAfterLaterBarsInTheSnapshot) {
  ApplyBar(Bar("FPT", 1, 0, 100'000, true));
  ApplyBar(Bar("FPT", 2, 1, 100'100, false));
  ApplyBar(Bar("FPT", 3, 0, 100'050, true));  // 10:00 corrected.
  Subscribe(v1::CHANNEL_INTRADAY_BARS, {"FPT"});
  // In seq order, so a client dropping seqs it has passed loses nothing.
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#2~1", "snap:FPT#3", "end"));
}

TEST_F(MarketStateTest, InProgressBarsConflateIntoTheirFinalVersion) {
  auto subscriber =
      std::make_shared<Subscriber>(Index(v1::CHANNEL_INTRADAY_BARS),
                                   SubscriberOptions{}, &writer_, &metrics_);
  auto end = std::make_shared<v1::MarketEvent>();
  end->mutable_snapshot_end();
  ASSERT_TRUE(state_
                  .Subscribe(v1::CHANNEL_INTRADAY_BARS, {"FPT"}, {}, {}, end,
                             subscriber)
                  .ok());
  // "end" is in flight and not completed: the client is slow.
  ApplyBar(Bar("FPT", 1, 0, 100'000, false));
  ApplyBar(Bar("FPT", 2, 0, 100'100, false));
  ApplyBar(Bar("FPT", 3, 0, 100'200, true));
  ApplyBar(Bar("FPT", 4, 1, 100'300, false));
  Pump(*subscriber);
  EXPECT_THAT(Seen(), ElementsAre("end", "FPT#3~2", "FPT#4"));
  EXPECT_TRUE(writer_.events[1].bar().final());
}

TEST_F(MarketStateTest, KafkaWinsOverFallback) {
  EXPECT_TRUE(ApplyQuote(Quote("HPG", 0), v1::DELIVERY_VNSTOCK_FALLBACK));
  EXPECT_FALSE(ApplyQuote(Quote("HPG", 0), v1::DELIVERY_VNSTOCK_FALLBACK))
      << "same content";
  EXPECT_TRUE(
      ApplyQuote(Quote("HPG", 0, 100'500), v1::DELIVERY_VNSTOCK_FALLBACK));
  std::optional<v1::QuoteItem> item = state_.GetQuote("HPG");
  EXPECT_EQ(item->delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
  EXPECT_EQ(item->quote().meta().seq(), 2u) << "numbered by the gateway";
  auto subscriber = Subscribe(v1::CHANNEL_QUOTES, {"HPG"});
  EXPECT_THAT(state_.SubscribedWithoutKafkaData(v1::CHANNEL_QUOTES),
              ElementsAre("HPG"));
  EXPECT_TRUE(ApplyQuote(Quote("HPG", 40)));
  EXPECT_FALSE(ApplyQuote(Quote("HPG", 0, 1), v1::DELIVERY_VNSTOCK_FALLBACK));
  Pump(*subscriber);
  EXPECT_THAT(Seen(), ElementsAre("snap:HPG#2~1(fb)", "end", "HPG#40"));
  EXPECT_TRUE(state_.HasKafkaData(v1::CHANNEL_QUOTES, "HPG"));
  EXPECT_THAT(state_.SubscribedWithoutKafkaData(v1::CHANNEL_QUOTES), IsEmpty());
}

TEST_F(MarketStateTest, HistoryIsServedPendingThenEnrichedByAnalytics) {
  std::vector<int64_t> closes;
  for (int i = 0; i < 30; ++i) closes.push_back(100'000 + 100 * i);
  const v1::DailyHistory first = History(1, closes);
  ASSERT_TRUE(Apply(v1::CHANNEL_HISTORY, first, v1::DELIVERY_KAFKA,
                    HistoryCache::kRawSource));
  // Served at once, explicitly without indicators.
  std::optional<v1::GetHistoryResponse> history = state_.GetHistory("FPT", 5);
  ASSERT_TRUE(history.has_value());
  EXPECT_EQ(history->indicators_state(), v1::INDICATORS_STATE_PENDING);
  ASSERT_EQ(history->history().bars_size(), 5);
  EXPECT_FALSE(history->history().bars(4).has_indicators());

  // Analytics' record of the same seq brings the indicators.
  ASSERT_TRUE(Apply(v1::CHANNEL_HISTORY, Enriched(first), v1::DELIVERY_KAFKA,
                    HistoryCache::kEnrichedSource));
  EXPECT_FALSE(Apply(v1::CHANNEL_HISTORY, Enriched(first), v1::DELIVERY_KAFKA,
                     HistoryCache::kEnrichedSource))
      << "the same record twice";
  EXPECT_FALSE(Apply(v1::CHANNEL_HISTORY, first, v1::DELIVERY_KAFKA,
                     HistoryCache::kRawSource))
      << "the raw record after its enriched version";
  history = state_.GetHistory("FPT", 5);
  EXPECT_EQ(history->indicators_state(), v1::INDICATORS_STATE_ANALYTICS);
  // SMA(20) of the last bar: mean of closes 10..29.
  const v1::IndicatorValues& last = history->history().bars(4).indicators();
  ASSERT_TRUE(last.has_sma_short());
  EXPECT_DOUBLE_EQ(last.sma_short(), 100'000 + 100 * 19.5);

  auto subscriber = Subscribe(v1::CHANNEL_HISTORY, {"FPT"});
  closes.back() += 500;  // Today's bar moved.
  const v1::DailyHistory second = History(2, closes);
  ASSERT_TRUE(Apply(v1::CHANNEL_HISTORY, second, v1::DELIVERY_KAFKA,
                    HistoryCache::kRawSource));
  ASSERT_TRUE(Apply(v1::CHANNEL_HISTORY, Enriched(second), v1::DELIVERY_KAFKA,
                    HistoryCache::kEnrichedSource));
  Pump(*subscriber);
  ASSERT_EQ(writer_.events.size(), 4u);
  const v1::HistoryUpdate& snapshot = writer_.events[0].history();
  EXPECT_TRUE(snapshot.full());
  EXPECT_EQ(snapshot.bars_size(), 30);
  EXPECT_EQ(snapshot.indicators_state(), v1::INDICATORS_STATE_ANALYTICS);
  // The pending update: only the changed bar, without indicators.
  const v1::HistoryUpdate& pending = writer_.events[2].history();
  EXPECT_FALSE(pending.full());
  EXPECT_EQ(pending.indicators_state(), v1::INDICATORS_STATE_PENDING);
  ASSERT_EQ(pending.bars_size(), 1);
  EXPECT_FALSE(pending.bars(0).has_indicators());
  EXPECT_EQ(pending.meta().seq(), 2u);
  // Then the same bar with its indicators, same seq.
  const v1::HistoryUpdate& enriched = writer_.events[3].history();
  EXPECT_FALSE(enriched.full());
  EXPECT_EQ(enriched.indicators_state(), v1::INDICATORS_STATE_ANALYTICS);
  EXPECT_EQ(enriched.meta().seq(), 2u);
  ASSERT_EQ(enriched.bars_size(), 1);
  EXPECT_TRUE(enriched.bars(0).indicators().has_sma_short());
}

TEST_F(MarketStateTest, AnalyticsRecordBeforeItsRawHistoryIsServedAsIs) {
  // On start-up the gateway may read stock-analytics ahead of
  // stock-historical.
  std::vector<int64_t> closes(25, 100'000);
  const v1::DailyHistory raw = History(4, closes);
  ASSERT_TRUE(Apply(v1::CHANNEL_HISTORY, Enriched(raw), v1::DELIVERY_KAFKA,
                    HistoryCache::kEnrichedSource));
  EXPECT_FALSE(Apply(v1::CHANNEL_HISTORY, raw, v1::DELIVERY_KAFKA,
                     HistoryCache::kRawSource));
  EXPECT_EQ(state_.GetHistory("FPT", 0)->indicators_state(),
            v1::INDICATORS_STATE_ANALYTICS);
}

TEST_F(MarketStateTest, IntradayAnalyticsAreBarsWithIndicators) {
  auto enriched = [](uint64_t seq, int minute, bool final) {
    v1::EnrichedIntradayBar e;
    *e.mutable_bar() = Bar("FPT", seq, minute, 100'000 + seq, final);
    *e.mutable_meta() = e.bar().meta();
    e.mutable_indicators()->set_vwap(100'000.5);
    return e;
  };
  ASSERT_TRUE(Apply(v1::CHANNEL_INTRADAY_ANALYTICS, enriched(1, 0, false)));
  ASSERT_TRUE(Apply(v1::CHANNEL_INTRADAY_ANALYTICS, enriched(2, 0, true)));
  EXPECT_FALSE(Apply(v1::CHANNEL_INTRADAY_ANALYTICS, enriched(2, 0, true)));
  Subscribe(v1::CHANNEL_INTRADAY_ANALYTICS, {"FPT"});
  ASSERT_THAT(Seen(), ElementsAre("snap:FPT#2~1", "end"));
  EXPECT_EQ(writer_.events[0].channel(), v1::CHANNEL_INTRADAY_ANALYTICS);
  EXPECT_DOUBLE_EQ(writer_.events[0].intraday_analytics().indicators().vwap(),
                   100'000.5);
  EXPECT_TRUE(writer_.events[0].intraday_analytics().bar().final());
}

TEST_F(MarketStateTest, MarketBreadthSumsTheNewestPartialOfEachPartition) {
  v1::MarketBreadth p0 = Partial("HOSE", 0, 3, 10);
  *p0.add_top_gainers() = Mover("FPT", 5);
  *p0.add_top_gainers() = Mover("VCB", 2);
  v1::MarketBreadth p1 = Partial("HOSE", 1, 7, 20);
  *p1.add_top_gainers() = Mover("HPG", 4);
  ASSERT_TRUE(Apply(v1::CHANNEL_MARKET, Partial("HOSE", 0, 2, 99, 24)));
  ASSERT_TRUE(Apply(v1::CHANNEL_MARKET, p0));
  ASSERT_TRUE(Apply(v1::CHANNEL_MARKET, p1));
  EXPECT_FALSE(Apply(v1::CHANNEL_MARKET, Partial("HOSE", 1, 6, 1)))
      << "an older partial of partition 1";
  auto subscriber = Subscribe(v1::CHANNEL_MARKET, {"HOSE"});
  ASSERT_THAT(Seen(), ElementsAre("snap:HOSE#10", "end"));
  const v1::MarketBreadth& total = writer_.events[0].market();
  EXPECT_EQ(total.partition(), -1);
  EXPECT_EQ(total.partitions(), 2);
  EXPECT_EQ(total.advancers(), 30);
  EXPECT_EQ(total.decliners(), 2);
  EXPECT_EQ(total.symbols(), 32);
  EXPECT_EQ(total.total_value().units(), 30'000);
  ASSERT_EQ(total.top_gainers_size(), 3);
  EXPECT_EQ(total.top_gainers(0).symbol(), "FPT");
  EXPECT_EQ(total.top_gainers(1).symbol(), "HPG");
  EXPECT_EQ(total.top_gainers(2).symbol(), "VCB");
  // A new day: yesterday's partial of partition 1 no longer counts.
  ASSERT_TRUE(Apply(v1::CHANNEL_MARKET, Partial("HOSE", 0, 4, 5, 26)));
  Pump(*subscriber);
  ASSERT_EQ(writer_.events.size(), 3u);
  EXPECT_EQ(writer_.events[2].market().advancers(), 5);
  EXPECT_EQ(writer_.events[2].market().meta().seq(), 4u);
}

TEST_F(MarketStateTest, SignalsAreKeptInOrderAndReplayedOnResume) {
  ASSERT_TRUE(Apply(v1::CHANNEL_SIGNALS, Signal("FPT", 1, 24)));
  ASSERT_TRUE(Apply(v1::CHANNEL_SIGNALS, Signal("FPT", 2)));
  ASSERT_TRUE(Apply(v1::CHANNEL_SIGNALS, Signal("FPT", 3)));
  EXPECT_FALSE(Apply(v1::CHANNEL_SIGNALS, Signal("FPT", 3)));
  EXPECT_FALSE(Apply(v1::CHANNEL_SIGNALS, Signal("FPT", 9),
                     v1::DELIVERY_VNSTOCK_FALLBACK))
      << "signals exist only through the pipeline";
  Subscribe(v1::CHANNEL_SIGNALS, {"FPT"});
  EXPECT_THAT(Seen(), ElementsAre("snap:FPT#2", "snap:FPT#3", "end"))
      << "today's signals";
  writer_.events.clear();
  Subscribe(v1::CHANNEL_SIGNALS, {"FPT"}, {.since_seq = {{"FPT", 0}}});
  EXPECT_THAT(Seen(),
              ElementsAre("snap:FPT#1", "snap:FPT#2", "snap:FPT#3", "end"));
}

TEST_F(MarketStateTest, ListSymbolsFromTheListingAndTheData) {
  ApplyQuote(Quote("VCB", 1));
  ApplyBar(Bar("FPT", 1, 0, 1, true));
  v1::Instrument etf;
  *etf.mutable_meta() = Meta("E1VFVN30", 1);
  etf.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_ETF);
  etf.set_exchange(v1::EXCHANGE_HOSE);
  etf.set_name("Quỹ ETF DCVFMVN30");
  etf.set_listed(true);
  EXPECT_TRUE(state_.ApplyInstrument(etf));
  EXPECT_FALSE(state_.ApplyInstrument(etf)) << "same seq";
  v1::Instrument vcb;
  *vcb.mutable_meta() = Meta("VCB", 1);
  vcb.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_STOCK);
  vcb.set_exchange(v1::EXCHANGE_HOSE);
  vcb.add_groups("VN30");
  vcb.set_listed(true);
  state_.ApplyInstrument(vcb);

  std::vector<v1::SymbolInfo> symbols = state_.ListSymbols({});
  ASSERT_EQ(symbols.size(), 3u);
  EXPECT_EQ(symbols[0].symbol(), "E1VFVN30");
  EXPECT_FALSE(symbols[0].has_quote());
  EXPECT_EQ(symbols[0].instrument_type(), v1::INSTRUMENT_TYPE_ETF);
  EXPECT_EQ(symbols[1].symbol(), "FPT");
  EXPECT_TRUE(symbols[1].has_intraday());
  EXPECT_FALSE(symbols[1].has_quote());
  EXPECT_EQ(symbols[2].symbol(), "VCB");
  EXPECT_EQ(symbols[2].delivery(), v1::DELIVERY_KAFKA);
  EXPECT_THAT(symbols[2].groups(), ElementsAre("VN30"));

  v1::ListSymbolsRequest vn30;
  vn30.add_groups("vn30");
  symbols = state_.ListSymbols(vn30);
  ASSERT_EQ(symbols.size(), 1u);
  EXPECT_EQ(symbols[0].symbol(), "VCB");
  v1::ListSymbolsRequest stocks;
  stocks.add_types(v1::INSTRUMENT_TYPE_STOCK);
  symbols = state_.ListSymbols(stocks);
  ASSERT_EQ(symbols.size(), 2u) << "FPT's records carry no type: a stock";
  EXPECT_EQ(symbols[0].symbol(), "FPT");
  EXPECT_EQ(symbols[1].symbol(), "VCB");
}

// A stream whose writes complete on a thread of their own (the client's),
// not the one that started them (an applier or the subscribing thread).
// Keeps what each event said about ordering and conflation.
class AsyncWriter : public StreamWriter {
 public:
  struct Written {
    Channel channel;
    std::string symbol;  // Empty: not a data event.
    uint64_t seq = 0;
    uint32_t conflated = 0;
    bool snapshot = false;
    bool end = false;
  };

  void Write(absl::string_view wire, absl::string_view suffix) override {
    v1::MarketEvent event;
    EXPECT_TRUE(event.ParseFromString(absl::StrCat(wire, suffix)));
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(in_flight_) << "two writes in flight";
    in_flight_ = true;
    const v1::RecordMeta* meta = EventMeta(event);
    written_.push_back({event.channel(), meta ? meta->symbol() : "",
                        meta ? meta->seq() : 0, event.conflated(),
                        event.snapshot(), event.has_snapshot_end()});
  }
  void Finish(const absl::Status& s) override {
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(in_flight_) << "finished with a write in flight";
    EXPECT_FALSE(status_.has_value()) << "finished twice";
    status_ = s;
  }
  absl::Status OverByteBudget(const std::string& detail) override {
    return absl::ResourceExhaustedError(detail);
  }
  // Never called: nothing here calls MaybeHeartbeat.
  void Cancel(const absl::Status&) override {}

  // The client: completes each write until the stream is finished (or
  // `timeout` passes, a hang).
  void CompleteUntilFinished(Subscriber& subscriber, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return in_flight_ || status_.has_value();
        };
        if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline)) {
          ADD_FAILURE() << "the stream neither wrote nor finished";
          return;
        }
        if (!in_flight_) return;  // Finished.
        in_flight_ = false;
      }
      subscriber.OnWriteDone(true);
    }
  }

  size_t live() {
    absl::MutexLock lock(&mu_);
    size_t n = 0;
    for (const Written& w : written_) n += !w.symbol.empty() && !w.snapshot;
    return n;
  }
  std::vector<Written> written() {
    absl::MutexLock lock(&mu_);
    return written_;
  }
  std::optional<absl::Status> status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  absl::Mutex mu_;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Written> written_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> status_ ABSL_GUARDED_BY(mu_);
};

// What the header promises under concurrency (run under TSan by
// scripts/test.sh): two appliers per channel race on the same symbols (a
// seq counter per symbol, so a record may arrive after a newer one and be
// dropped as stale, as when the fallback and Kafka race), while streams
// subscribe, resume, read and unsubscribe, and their writes complete on
// the clients' threads. Every stream gets its snapshot, then SnapshotEnd,
// then the later records of each symbol in strictly increasing seq with
// every applied record either delivered or counted as conflated into the
// next one delivered (no gap, no duplicate), and nothing applied after it
// unsubscribed.
TEST_F(MarketStateTest, ConcurrentAppliesAndSubscriptionsKeepEveryStreamExact) {
  const std::array<std::string, 3> kSymbols = {"AAA", "BBB", "CCC"};
  const std::array<Channel, 2> kChannels = {v1::CHANNEL_QUOTES,
                                            v1::CHANNEL_INTRADAY_BARS};
  constexpr int kStreamThreads = 4;
  constexpr int kRounds = 5;
  constexpr size_t kLiveEvents = 25;  // Per stream before it unsubscribes.
  const absl::Duration kTimeout = absl::Seconds(8);

  // Per channel and symbol: the last seq handed out, and the seqs applied.
  std::array<std::array<std::atomic<uint64_t>, 3>, 2> issued{};
  absl::Mutex applied_mu;
  std::map<std::pair<Channel, std::string>, std::set<uint64_t>> applied;

  absl::Notification stop;
  std::vector<std::thread> appliers;
  for (int c = 0; c < 2; ++c) {
    for (int copy = 0; copy < 2; ++copy) {
      appliers.emplace_back([&, c] {
        while (!stop.HasBeenNotified()) {
          for (int s = 0; s < 3; ++s) {
            const uint64_t seq = ++issued[c][s];
            const std::string& symbol = kSymbols[s];
            // Bars: eight revisions of a minute, then the next of 30.
            const bool ok =
                kChannels[c] == v1::CHANNEL_QUOTES
                    ? ApplyQuote(Quote(symbol, seq))
                    : ApplyBar(Bar(symbol, seq, static_cast<int>(seq / 8 % 30),
                                   static_cast<int64_t>(seq), false));
            if (ok) {
              absl::MutexLock lock(&applied_mu);
              applied[{kChannels[c], symbol}].insert(seq);
            }
          }
        }
      });
    }
  }
  // Unary reads alongside: a symbol's quote never goes back.
  std::thread reader([&] {
    uint64_t newest = 0;
    while (!stop.HasBeenNotified()) {
      if (std::optional<v1::QuoteItem> q = state_.GetQuote("AAA")) {
        EXPECT_GE(q->quote().meta().seq(), newest);
        newest = q->quote().meta().seq();
      }
      state_.GetBars("BBB", std::nullopt);
      state_.ListSymbols({});
      state_.Stats();
      state_.SubscribedWithoutKafkaData(v1::CHANNEL_QUOTES);
    }
  });

  struct Stream {
    Channel channel;
    std::vector<std::string> symbols;
    ResumeSpec resume;
    std::vector<AsyncWriter::Written> written;
    std::optional<absl::Status> status;
    // Per symbol: the last seq handed out once Unsubscribe returned.
    std::map<std::string, uint64_t> issued_after;
  };
  absl::Mutex streams_mu;
  std::vector<Stream> streams;
  std::vector<std::thread> subscribers;
  for (int t = 0; t < kStreamThreads; ++t) {
    subscribers.emplace_back([&, t] {
      const int c = t % 2;
      std::map<std::string, uint64_t> last_seen;
      for (int round = 0; round < kRounds; ++round) {
        Stream stream{.channel = kChannels[c]};
        // Two of the symbols (overlapping other streams') and one nobody
        // publishes, whose entry is created and dropped meanwhile.
        stream.symbols = {kSymbols[(t + round) % 3],
                          kSymbols[(t + round + 1) % 3], "ZZZ"};
        if (round % 2 == 1) {  // Resume where the previous round stopped.
          for (const std::string& symbol : stream.symbols) {
            if (auto it = last_seen.find(symbol); it != last_seen.end())
              stream.resume.since_seq[symbol] = it->second;
          }
        }
        AsyncWriter writer;
        auto subscriber = std::make_shared<Subscriber>(
            Index(stream.channel), SubscriberOptions{}, &writer, &metrics_);
        std::thread client(
            [&] { writer.CompleteUntilFinished(*subscriber, kTimeout); });
        auto end = std::make_shared<v1::MarketEvent>();
        end->mutable_snapshot_end();
        EXPECT_TRUE(state_
                        .Subscribe(stream.channel, stream.symbols,
                                   stream.resume, {}, end, subscriber)
                        .ok());
        EXPECT_TRUE(PollUntil([&] { return writer.live() >= kLiveEvents; },
                              kTimeout, absl::Milliseconds(1)))
            << "only " << writer.live() << " live events";
        state_.Unsubscribe(stream.channel, stream.symbols, subscriber.get());
        for (int s = 0; s < 3; ++s)
          stream.issued_after[kSymbols[s]] = issued[c][s].load();
        subscriber->FinishNow(absl::OkStatus());
        client.join();
        stream.written = writer.written();
        stream.status = writer.status();
        for (const AsyncWriter::Written& w : stream.written) {
          if (!w.symbol.empty()) last_seen[w.symbol] = w.seq;
        }
        absl::MutexLock lock(&streams_mu);
        streams.push_back(std::move(stream));
      }
    });
  }
  for (std::thread& s : subscribers) s.join();
  stop.Notify();
  for (std::thread& a : appliers) a.join();
  reader.join();

  absl::MutexLock applied_lock(&applied_mu);
  // Applied seqs of the symbol in (from, to).
  const auto applied_between = [&](Channel channel, const std::string& symbol,
                                   uint64_t from, uint64_t to) {
    const std::set<uint64_t>& seqs = applied[{channel, symbol}];
    return static_cast<uint32_t>(
        std::distance(seqs.upper_bound(from), seqs.lower_bound(to)));
  };
  absl::MutexLock streams_lock(&streams_mu);
  ASSERT_EQ(streams.size(), size_t{kStreamThreads * kRounds});
  for (const Stream& stream : streams) {
    SCOPED_TRACE(absl::StrCat(ChannelName(stream.channel), " ",
                              absl::StrJoin(stream.symbols, ",")));
    EXPECT_EQ(stream.status, absl::OkStatus()) << "ended early";
    std::map<std::string, uint64_t> previous;
    for (const auto& [symbol, seq] : stream.resume.since_seq)
      previous[symbol] = seq;
    bool ended = false;
    size_t live = 0;
    for (const AsyncWriter::Written& w : stream.written) {
      if (w.end) {
        EXPECT_FALSE(ended) << "two SnapshotEnds";
        ended = true;
        continue;
      }
      ASSERT_FALSE(w.symbol.empty()) << "an event that is not data";
      ASSERT_THAT(stream.symbols, ::testing::Contains(w.symbol));
      EXPECT_NE(w.symbol, "ZZZ");
      EXPECT_EQ(w.channel, stream.channel);
      EXPECT_EQ(w.snapshot, !ended) << "snapshot first, then live, always";
      uint64_t& prev = previous[w.symbol];
      ASSERT_GT(w.seq, prev) << w.symbol << ": out of order or duplicate";
      const uint32_t replaced =
          applied_between(stream.channel, w.symbol, prev, w.seq);
      if (w.snapshot) {
        // The cache forgets old gaps, and counts them as conflated then.
        EXPECT_GE(w.conflated, replaced) << w.symbol << "#" << w.seq;
        EXPECT_LE(w.conflated, w.seq - prev - 1) << w.symbol << "#" << w.seq;
      } else {
        ++live;
        EXPECT_EQ(w.conflated, replaced)
            << w.symbol << "#" << w.seq << " after #" << prev
            << ": an applied record neither delivered nor counted";
        EXPECT_LE(w.seq, stream.issued_after.at(w.symbol))
            << w.symbol << ": delivered after Unsubscribe";
      }
      prev = w.seq;
    }
    EXPECT_TRUE(ended);
    EXPECT_GE(live, kLiveEvents);
  }
  for (const Channel channel : kChannels) {
    EXPECT_EQ(metrics_.subscriptions[Index(channel)]->Value(), 0)
        << ChannelName(channel);
  }
  for (const std::string& symbol : kSymbols) {
    const std::set<uint64_t>& quotes = applied[{v1::CHANNEL_QUOTES, symbol}];
    ASSERT_FALSE(quotes.empty()) << symbol;
    EXPECT_EQ(state_.GetQuote(symbol)->quote().meta().seq(), *quotes.rbegin())
        << symbol << ": the newest applied quote is held";
  }
  for (const v1::SymbolInfo& info : state_.ListSymbols({}))
    EXPECT_NE(info.symbol(), "ZZZ");
}

}  // namespace
}  // namespace vnstream::gateway
