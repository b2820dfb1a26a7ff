// analytics -> Kafka -> gateway, end to end: the analytics scenario's inputs
// (three trading days of daily histories, 1-minute bars with revisions and
// quotes; tests/analytics_scenario.h) go through a real broker, the
// analytics service and the gateway, and the gateway's streams carry exactly
// the values computed here from those inputs:
//   SubscribeIntradayAnalytics: today's bars with session VWAP, RSI, MACD,
//     Bollinger (the indicator library over today's final bars) and the
//     same-minute volume profile of the two days before;
//   SubscribeMarket: breadth totals of HOSE, HNX and VN30 merged from the
//     per-partition partials, against counts and sums checked by hand, and
//     a new quote streamed live;
//   SubscribeSignals: every crossing of the library's indicators at each
//     final bar (daily and 1-minute), once, with the bar that triggered it.
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clients/cpp/market_data_client.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/indicators/indicators.h"
#include "libs/indicators/intraday.h"
#include "libs/kafka/publisher.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "services/analytics/signals.h"
#include "tests/analytics_scenario.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/keys.h"
#include "tests/support/service_process.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream {
namespace {

using ::vnstream::testing::Inputs;
using ::vnstream::testing::ServiceProcess;
using Reader = grpc::ClientReader<v1::MarketEvent>;
using Subscribe = std::function<std::unique_ptr<Reader>(
    v1::MarketDataService::Stub&, grpc::ClientContext*,
    const v1::SubscribeRequest&)>;

testing::KafkaEnvironment* kafka_env = nullptr;
testing::TestCerts* certs = nullptr;
// The API key every client of the test's gateway sends.
testing::TestKey* key = nullptr;

// The scenario's symbols: six HOSE stocks of the VN30 group with daily
// histories, SHS (HNX) with 1-minute bars and quotes only.
const std::vector<std::string> kSymbols = {"FPT", "VCB", "HPG", "MWG",
                                           "SSI", "VNM", "SHS"};
const absl::CivilDay kLastDay(2026, 3, 4);

// A stub of the gateway (TLS with the test's CA).
std::unique_ptr<v1::MarketDataService::Stub> Stub(const std::string& address) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      client::MakeChannel(address, {.ca_file = certs->ca, .api_key = key->key});
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? v1::MarketDataService::NewStub(*channel) : nullptr;
}

struct Stack {
  Inputs inputs;
  // The publisher's metrics live in `registry`.
  prometheus::Registry registry;
  std::unique_ptr<kafka::Publisher> publisher;
  ServiceProcess analytics;
  ServiceProcess gateway;
  std::string address;
};
Stack* stack = nullptr;

// The data events of the snapshot (since_seq unset) or resume replay of
// `symbol`, read up to SnapshotEnd.
std::vector<v1::MarketEvent> Snapshot(const Subscribe& subscribe,
                                      const std::string& symbol,
                                      std::optional<uint64_t> since_seq = {}) {
  auto stub = Stub(stack->address);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::SubscribeRequest request;
  request.add_symbols(symbol);
  if (since_seq.has_value())
    (*request.mutable_since_seq())[symbol] = *since_seq;
  std::unique_ptr<Reader> reader = subscribe(*stub, &context, request);
  std::vector<v1::MarketEvent> events;
  v1::MarketEvent event;
  while (reader->Read(&event) && !event.has_snapshot_end()) {
    if (event.has_intraday_analytics() || event.has_market() ||
        event.has_signal()) {
      events.push_back(event);
    }
  }
  context.TryCancel();
  reader->Finish();
  return events;
}

const Subscribe kIntraday = [](auto& stub, auto* context, const auto& r) {
  return stub.SubscribeIntradayAnalytics(context, r);
};
const Subscribe kMarket = [](auto& stub, auto* context, const auto& r) {
  return stub.SubscribeMarket(context, r);
};
const Subscribe kSignals = [](auto& stub, auto* context, const auto& r) {
  return stub.SubscribeSignals(context, r);
};

// Polls `snapshot` until `ready` holds for it (analytics and the gateway
// work through the inputs meanwhile); returns the last one read.
std::vector<v1::MarketEvent> SnapshotWhen(
    const std::function<std::vector<v1::MarketEvent>()>& snapshot,
    const std::function<bool(const std::vector<v1::MarketEvent>&)>& ready) {
  std::vector<v1::MarketEvent> events;
  PollUntil(
      [&] {
        events = snapshot();
        return ready(events);
      },
      absl::Seconds(240), absl::Milliseconds(500));
  return events;
}

// A symbol's final 1-minute bars of `day`, in minute order.
std::vector<v1::IntradayBar> FinalBars(const std::string& symbol,
                                       absl::CivilDay day) {
  std::map<int64_t, v1::IntradayBar> bars;
  for (const v1::IntradayBar& bar : stack->inputs.bars) {
    if (bar.meta().symbol() == symbol && bar.final() &&
        market::ToCivilDay(bar.meta().trading_date()) == day) {
      bars[bar.start_time().seconds()] = bar;
    }
  }
  std::vector<v1::IntradayBar> out;
  for (auto& [start, bar] : bars) out.push_back(bar);
  return out;
}

std::vector<indicators::Bar> IndicatorBars(
    const std::vector<v1::IntradayBar>& bars) {
  std::vector<indicators::Bar> out;
  for (const v1::IntradayBar& bar : bars) {
    const indicators::MinuteBar m = *indicators::MinuteBarFromProto(bar);
    out.push_back(
        {m.open, m.high, m.low, m.close, static_cast<double>(m.volume)});
  }
  return out;
}

class AnalyticsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack = new Stack();
    const std::string& brokers = kafka_env->bootstrap_servers();
    auto publisher = kafka::Publisher::Create({.bootstrap_servers = brokers},
                                              stack->registry, "test");
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    stack->publisher = *std::move(publisher);
    for (int phase = 0; phase < testing::kPhases; ++phase) {
      absl::StatusOr<Inputs> inputs = testing::Phase(phase);
      ASSERT_TRUE(inputs.ok()) << inputs.status();
      ASSERT_TRUE(testing::Publish(*stack->publisher, *inputs).ok());
      stack->inputs.Append(*inputs);
    }
    absl::StatusOr<ServiceProcess> analytics =
        testing::StartAnalytics(brokers, "analytics", "analytics-e2e");
    ASSERT_TRUE(analytics.ok()) << analytics.status();
    stack->analytics = *std::move(analytics);
    // No VNStock: these channels exist only through the pipeline.
    absl::StatusOr<ServiceProcess> gateway = testing::StartService(
        "gateway", "services/gateway/vnstream-gateway",
        {absl::StrCat("--kafka_brokers=", brokers), "--nofallback",
         "--grpc_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
         absl::StrCat("--tls_cert_file=", certs->gateway_cert),
         absl::StrCat("--tls_key_file=", certs->gateway_key),
         absl::StrCat("--keys_file=", key->file)},
        "gRPC on :(\\d+), metrics on :(\\d+)");
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    stack->gateway = *std::move(gateway);
    stack->address = absl::StrCat("127.0.0.1:", stack->gateway.captured[0]);
    // Streams are refused until then.
    ASSERT_TRUE(
        testing::WaitForLog(stack->gateway, "serving", absl::Seconds(60)).ok());
  }
  static void TearDownTestSuite() {
    delete stack;  // Each ServiceProcess terminates its process.
    stack = nullptr;
  }
};

TEST_F(AnalyticsE2eTest, IntradayAnalyticsAreTheLibrarysOverTodaysBars) {
  const indicators::Params params;
  for (const std::string& symbol : kSymbols) {
    SCOPED_TRACE(symbol);
    const std::vector<v1::IntradayBar> today = FinalBars(symbol, kLastDay);
    ASSERT_EQ(today.size(), 60u);
    // The snapshot is today's bars, the latest revision of each: once
    // analytics is through, all final.
    const std::vector<v1::MarketEvent> events = SnapshotWhen(
        [&] { return Snapshot(kIntraday, symbol); },
        [&](const std::vector<v1::MarketEvent>& events) {
          int final = 0;
          for (const v1::MarketEvent& e : events) {
            final +=
                e.intraday_analytics().bar().final() &&
                market::ToCivilDay(
                    e.intraday_analytics().meta().trading_date()) == kLastDay;
          }
          return final == 60;
        });
    ASSERT_EQ(events.size(), 60u);

    const indicators::Series values =
        indicators::Compute(params, IndicatorBars(today));
    const std::vector<v1::IntradayBar> day1 = FinalBars(symbol, kLastDay - 2);
    const std::vector<v1::IntradayBar> day2 = FinalBars(symbol, kLastDay - 1);
    double price_volume = 0, volume = 0;
    for (size_t i = 0; i < today.size(); ++i) {
      const v1::IntradayBar& bar = today[i];
      const v1::EnrichedIntradayBar& got = events[i].intraday_analytics();
      EXPECT_EQ(events[i].delivery(), v1::DELIVERY_KAFKA);
      EXPECT_EQ(events[i].channel(), v1::CHANNEL_INTRADAY_ANALYTICS);
      ASSERT_EQ(got.bar().SerializeAsString(), bar.SerializeAsString())
          << "minute " << i;
      EXPECT_EQ(got.meta().seq(), bar.meta().seq());
      // Session VWAP by hand: typical price (H + L + C) / 3 x volume.
      const double close = market::ToDouble(bar.close());
      const double typical =
          (market::ToDouble(bar.high()) + market::ToDouble(bar.low()) + close) /
          3.0;
      price_volume += typical * static_cast<double>(bar.volume());
      volume += static_cast<double>(bar.volume());
      v1::IntradayIndicatorValues want;
      want.set_vwap(price_volume / volume);
      const indicators::Values v = values[i];
      if (v.rsi) want.set_rsi(*v.rsi);
      if (v.macd) want.set_macd(*v.macd);
      if (v.macd_signal) want.set_macd_signal(*v.macd_signal);
      if (v.macd_hist) want.set_macd_hist(*v.macd_hist);
      if (v.bb_upper) want.set_bb_upper(*v.bb_upper);
      if (v.bb_middle) want.set_bb_middle(*v.bb_middle);
      if (v.bb_lower) want.set_bb_lower(*v.bb_lower);
      // The same minute on the two previous trading days.
      const double profile = (static_cast<double>(day1[i].volume()) +
                              static_cast<double>(day2[i].volume())) /
                             2.0;
      want.set_volume_profile(profile);
      want.set_volume_profile_ratio(static_cast<double>(bar.volume()) /
                                    profile);
      EXPECT_EQ(got.indicators().ShortDebugString(), want.ShortDebugString())
          << "minute " << i;
    }
    // Hand-checked: the bars' high and low are close +- 100, so the
    // typical price is the close and the first VWAP is the first close.
    EXPECT_EQ(events[0].intraday_analytics().indicators().vwap(),
              market::ToDouble(today[0].close()));
    EXPECT_TRUE(events[59].intraday_analytics().indicators().has_rsi());
    EXPECT_TRUE(events[59].intraday_analytics().indicators().has_macd_signal());
    EXPECT_FALSE(events[0].intraday_analytics().indicators().has_rsi())
        << "inside RSI's lookback";
  }
}

// The breadth of the last quote of each symbol on the last day (update 20
// of MakeQuote: reference 20,000 + 1,000 s VND for symbol s), by hand:
//   FPT +100 (0.5 %), VCB no trade, HPG +300 (1.36 %), MWG -200 (-0.87 %),
//   SSI at the ceiling 25,600 (+6.67 %), VNM at the floor 23,300 (-6.8 %),
//   SHS (HNX) unchanged at 26,000; volume 21,000 + 10 s shares, foreign
//   buy 100 s + 20, sell 1,000, average price last + 0.25.
TEST_F(AnalyticsE2eTest, MarketBreadthTotalsAreTheLastQuotesBreadth) {
  // A scope's total once analytics is through the last quotes (whose
  // volumes add up to `volume`, foreign sales to `sold`).
  auto totals = [](const std::string& scope, int64_t volume, int64_t sold) {
    const std::vector<v1::MarketEvent> events =
        SnapshotWhen([&] { return Snapshot(kMarket, scope); },
                     [&](const std::vector<v1::MarketEvent>& events) {
                       return events.size() == 1 &&
                              events[0].market().total_volume() == volume &&
                              events[0].market().foreign_sell_volume() == sold;
                     });
    EXPECT_EQ(events.size(), 1u) << scope;
    return events.empty() ? v1::MarketBreadth() : events[0].market();
  };
  auto symbols = [](const auto& movers) {
    std::vector<std::string> out;
    for (const v1::Mover& m : movers) out.push_back(m.symbol());
    return out;
  };
  for (const std::string scope : {"HOSE", "VN30"}) {
    SCOPED_TRACE(scope);
    const v1::MarketBreadth b = totals(scope, 105'140, 5'000);
    EXPECT_EQ(b.meta().symbol(), scope);
    EXPECT_EQ(b.partition(), -1);
    EXPECT_EQ(market::ToCivilDay(b.meta().trading_date()), kLastDay);
    EXPECT_EQ(b.symbols(), 6);
    EXPECT_EQ(b.advancers(), 3);  // FPT, HPG, SSI.
    EXPECT_EQ(b.decliners(), 2);  // MWG, VNM.
    EXPECT_EQ(b.unchanged(), 0);
    EXPECT_EQ(b.ceiling(), 1);
    EXPECT_EQ(b.floor(), 1);
    EXPECT_EQ(b.no_trade(), 1);
    EXPECT_EQ(b.total_volume(), 105'140);
    // 21,000 x 20,100 + 21,020 x 22,300 + 21,030 x 22,800 + 21,040 x 25,600
    // + 21,050 x 23,300.
    EXPECT_EQ(market::DecimalToString(b.total_value()), "2399419000");
    EXPECT_EQ(b.foreign_buy_volume(), 1'500);
    EXPECT_EQ(b.foreign_sell_volume(), 5'000);
    // -980 x 20,100.25 - 780 x 22,300.25 - 680 x 22,800.25 - 580 x
    // 25,600.25 - 480 x 23,300.25.
    EXPECT_EQ(market::DecimalToString(b.foreign_net_value()), "-78628875");
    EXPECT_EQ(symbols(b.top_gainers()),
              (std::vector<std::string>{"SSI", "HPG", "FPT"}));
    EXPECT_EQ(symbols(b.top_losers()),
              (std::vector<std::string>{"VNM", "MWG"}));
    EXPECT_EQ(symbols(b.top_by_value()),
              (std::vector<std::string>{"SSI", "VNM", "MWG", "HPG", "FPT"}));
  }
  const v1::MarketBreadth hnx = totals("HNX", 21'060, 1'000);
  EXPECT_EQ(hnx.symbols(), 1);
  EXPECT_EQ(hnx.unchanged(), 1);
  EXPECT_EQ(hnx.advancers() + hnx.decliners() + hnx.no_trade(), 0);
  EXPECT_EQ(market::DecimalToString(hnx.total_value()), "547560000");
  EXPECT_EQ(market::DecimalToString(hnx.foreign_net_value()), "-9880095");
  EXPECT_TRUE(hnx.top_gainers().empty());

  // Live: SHS trades 100 VND up; analytics publishes a new partial and the
  // gateway streams the new HNX total.
  auto stub = Stub(stack->address);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  v1::SubscribeRequest request;
  request.add_symbols("HNX");
  std::unique_ptr<Reader> reader = stub->SubscribeMarket(&context, request);
  absl::Cleanup finish = [&] {
    context.TryCancel();
    reader->Finish();
  };
  v1::MarketEvent event;
  bool snapshot_end = false;
  while (!snapshot_end && reader->Read(&event)) {
    snapshot_end = event.has_snapshot_end();
  }
  ASSERT_TRUE(snapshot_end);
  v1::Quote quote;
  for (const v1::Quote& q : stack->inputs.quotes) {
    if (q.meta().symbol() == "SHS") quote = q;
  }
  quote.mutable_meta()->set_seq(quote.meta().seq() + 1);
  *quote.mutable_last_price() = market::MakeDecimal(26'100);
  *quote.mutable_change() = market::MakeDecimal(100);
  *quote.mutable_percent_change() =
      *market::PercentOf(quote.change(), quote.reference_price());
  stack->publisher->Publish(
      kafka::EncodeRecord(kafka::kPricesTopic, quote, quote.meta()));
  ASSERT_TRUE(stack->publisher->Flush(absl::Seconds(30)).ok());
  bool live = false;
  while (!live && reader->Read(&event)) {
    if (!event.has_market()) continue;
    EXPECT_FALSE(event.snapshot());
    EXPECT_EQ(event.market().meta().seq(), hnx.meta().seq() + 1);
    EXPECT_EQ(event.market().advancers(), 1);
    EXPECT_EQ(event.market().unchanged(), 0);
    EXPECT_EQ(symbols(event.market().top_gainers()),
              std::vector<std::string>{"SHS"});
    live = true;
  }
  EXPECT_TRUE(live) << "no live HNX total after a new SHS quote";
}

// Every signal the library's indicators give at each final bar: daily bars
// of the histories (a symbol's first history only at its newest bar, each
// later one at the bar it adds) and each day's 1-minute bars.
TEST_F(AnalyticsE2eTest, SignalsAreEveryCrossingOnceWithItsBar) {
  const indicators::Params params;
  // (interval, bar start, kind) -> the signal.
  using Key = std::tuple<int, int64_t, int>;
  size_t total = 0;
  for (const std::string& symbol : kSymbols) {
    SCOPED_TRACE(symbol);
    std::map<Key, v1::Signal> want;
    auto add = [&](v1::BarInterval interval, absl::Time start,
                   const std::vector<analytics::Crossing>& crossings,
                   const std::function<void(v1::Signal&)>& set_bar) {
      for (const analytics::Crossing& c : crossings) {
        v1::Signal s;
        s.set_kind(c.kind);
        s.set_interval(interval);
        *s.mutable_bar_start() = market::ToTimestamp(start);
        set_bar(s);
        s.set_value(c.value);
        s.set_reference(c.reference);
        s.set_description(c.description);
        want[{interval, absl::ToUnixSeconds(start), c.kind}] = s;
      }
    };
    const v1::DailyHistory* longest = nullptr;
    size_t first_bars = 0;
    for (const v1::DailyHistory& h : stack->inputs.histories) {
      if (h.meta().symbol() != symbol) continue;
      if (first_bars == 0) first_bars = h.bars_size();
      longest = &h;
    }
    if (longest != nullptr) {
      std::vector<indicators::Bar> bars;
      for (const v1::DailyBar& bar : longest->bars()) {
        bars.push_back(indicators::FromProto(bar));
      }
      const indicators::Series v = indicators::Compute(params, bars);
      for (size_t i = first_bars - 1; i < bars.size(); ++i) {
        const v1::DailyBar& bar = longest->bars(static_cast<int>(i));
        add(v1::BAR_INTERVAL_ONE_DAY,
            absl::FromCivil(market::ToCivilDay(bar.date()),
                            market::VietnamTime()),
            analytics::DetectSignals(params, v[i - 1].ToProto(),
                                     bars[i - 1].close, v[i].ToProto(),
                                     bars[i].close),
            [&](v1::Signal& s) { *s.mutable_daily_bar() = bar; });
      }
    }
    for (absl::CivilDay day = kLastDay - 2; day <= kLastDay; ++day) {
      const std::vector<v1::IntradayBar> bars = FinalBars(symbol, day);
      const std::vector<indicators::Bar> prices = IndicatorBars(bars);
      const indicators::Series v = indicators::Compute(params, prices);
      for (size_t i = 1; i < bars.size(); ++i) {
        add(v1::BAR_INTERVAL_ONE_MINUTE,
            market::FromTimestamp(bars[i].start_time()),
            analytics::DetectSignals(params, v[i - 1].ToProto(),
                                     prices[i - 1].close, v[i].ToProto(),
                                     prices[i].close),
            [&](v1::Signal& s) { *s.mutable_intraday_bar() = bars[i]; });
      }
    }
    total += want.size();

    // All the symbol's signals: a resume from seq 0.
    const std::vector<v1::MarketEvent> events =
        SnapshotWhen([&] { return Snapshot(kSignals, symbol, 0); },
                     [&](const std::vector<v1::MarketEvent>& events) {
                       return events.size() >= want.size();
                     });
    ASSERT_EQ(events.size(), want.size());
    std::map<Key, v1::Signal> got;
    for (size_t i = 0; i < events.size(); ++i) {
      v1::Signal s = events[i].signal();
      EXPECT_EQ(events[i].channel(), v1::CHANNEL_SIGNALS);
      EXPECT_EQ(s.meta().symbol(), symbol);
      EXPECT_EQ(s.meta().seq(), i + 1) << "seqs 1..n, in order";
      const Key key = {s.interval(), s.bar_start().seconds(), s.kind()};
      EXPECT_FALSE(got.contains(key)) << "twice: " << s.ShortDebugString();
      s.clear_meta();
      got[key] = s;
    }
    for (const auto& [key, signal] : want) {
      auto it = got.find(key);
      if (it == got.end()) {
        ADD_FAILURE() << "missing: " << signal.ShortDebugString();
        continue;
      }
      EXPECT_EQ(it->second.ShortDebugString(), signal.ShortDebugString());
    }
  }
  std::cout << total << " signals over " << kSymbols.size() << " symbols"
            << std::endl;
  EXPECT_GT(total, 50u) << "the scenario has crossings of every kind";
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  absl::StatusOr<vnstream::testing::TestCredentials> credentials =
      vnstream::testing::MakeTestCredentials(
          vnstream::testing::TestTempPath("certs"),
          vnstream::testing::TestTempPath("keys"));
  if (!credentials.ok()) {
    std::fprintf(stderr, "%s\n", credentials.status().ToString().c_str());
    return 1;
  }
  vnstream::certs = new vnstream::testing::TestCerts(credentials->certs);
  vnstream::key = new vnstream::testing::TestKey(credentials->key);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
