#include "services/ingest/ingestor.h"

#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kafka/topics.h"
#include "libs/market/decimal.h"
#include "libs/market/holidays.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace vnstream::ingest {
namespace {

using ::testing::ElementsAre;
using ::vnstream::market::MakeDecimal;

absl::Time Local(int y, int mo, int d, int h, int mi, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         market::VietnamTime());
}

class FakeSource : public vnstock::MarketDataSource {
 public:
  vnstock::PriceBoard FetchPriceBoard(std::span<const std::string> symbols,
                                      absl::Time deadline) override {
    requested_symbols.assign(symbols.begin(), symbols.end());
    return board;
  }
  vnstock::Bars FetchBars(std::span<const std::string> symbols,
                          vnstock::TimeFrame time_frame, absl::Time to,
                          int count_back, absl::Time deadline) override {
    last_time_frame = time_frame;
    last_count_back = count_back;
    bar_requests.emplace_back(symbols.begin(), symbols.end());
    // Like VCI: only the symbols asked for.
    vnstock::Bars bars =
        time_frame == vnstock::TimeFrame::kOneDay ? daily : minutes;
    std::erase_if(bars.series, [&](const vnstock::SymbolBars& s) {
      return std::find(symbols.begin(), symbols.end(), s.symbol) ==
             symbols.end();
    });
    return bars;
  }

  vnstock::PriceBoard board;
  vnstock::Bars minutes;
  vnstock::Bars daily;
  std::vector<std::string> requested_symbols;
  std::vector<std::vector<std::string>> bar_requests;
  vnstock::TimeFrame last_time_frame = vnstock::TimeFrame::kOneDay;
  int last_count_back = 0;
};

class FakeSink : public kafka::RecordSink {
 public:
  void Publish(kafka::OutgoingRecord record) override {
    records.push_back(std::move(record));
  }

  template <typename T>
  std::vector<T> Take(const std::string& topic) {
    std::vector<T> out;
    for (const kafka::OutgoingRecord& r : records) {
      if (r.topic != topic) continue;
      T message;
      EXPECT_TRUE(message.ParseFromString(r.value));
      EXPECT_EQ(r.key, message.meta().symbol());
      out.push_back(std::move(message));
    }
    records.clear();
    return out;
  }

  std::vector<kafka::OutgoingRecord> records;
};

v1::Quote MakeQuote(const std::string& symbol, int64_t last) {
  v1::Quote q;
  q.mutable_meta()->set_symbol(symbol);
  q.mutable_meta()->set_source(v1::SOURCE_SIMULATOR);
  *q.mutable_meta()->mutable_fetched_at() =
      market::ToTimestamp(Local(2026, 11, 25, 10, 0));
  *q.mutable_meta()->mutable_trading_date() =
      market::ToDate(absl::CivilDay(2026, 11, 25));
  *q.mutable_reference_price() = MakeDecimal(100'000);
  *q.mutable_last_price() = MakeDecimal(last);
  return q;
}

vnstock::RawBar Bar(absl::Time t, int64_t o, int64_t h, int64_t l, int64_t c,
                    int64_t v) {
  return {t, MakeDecimal(o), MakeDecimal(h), MakeDecimal(l), MakeDecimal(c), v};
}

vnstock::SymbolBars Series(const std::string& symbol,
                           std::vector<vnstock::RawBar> bars) {
  return {symbol, std::move(bars), v1::SOURCE_VCI, Local(2026, 11, 25, 10, 0)};
}

class IngestorTest : public ::testing::Test {
 protected:
  IngestorTest() { Make({"FPT", "VCB"}); }

  void Make(std::vector<std::string> symbols, bool ignore_market_hours = false,
            std::vector<std::string> indices = {}) {
    ingestor_ = std::make_unique<Ingestor>(
        IngestOptions{.symbols = std::move(symbols),
                      .indices = std::move(indices),
                      .ignore_market_hours = ignore_market_hours,
                      .now = [this] { return now_; }},
        source_, sink_, calendar_, registry_);
  }

  // vnstream_ingest_held_bars.
  double HeldBars() {
    for (const prometheus::MetricFamily& f : registry_.Collect()) {
      if (f.name == "vnstream_ingest_held_bars") {
        return f.metric.at(0).gauge.value;
      }
    }
    ADD_FAILURE() << "no vnstream_ingest_held_bars";
    return -1;
  }

  absl::Time now_ = Local(2026, 11, 25, 10, 5, 30);  // A Wednesday.
  FakeSource source_;
  FakeSink sink_;
  market::TradingCalendar calendar_;
  prometheus::Registry registry_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(IngestorTest, PricesGetSequencesAndUnchangedQuotesAreSkipped) {
  source_.board.quotes = {MakeQuote("FPT", 101'000), MakeQuote("VCB", 60'000)};
  CycleStats stats = ingestor_->RunPrices(now_ + absl::Seconds(10));
  EXPECT_EQ(stats.published, 2);
  EXPECT_EQ(stats.missing, 0);
  EXPECT_THAT(source_.requested_symbols, ElementsAre("FPT", "VCB"));
  std::vector<v1::Quote> quotes = sink_.Take<v1::Quote>(kafka::kPricesTopic);
  ASSERT_EQ(quotes.size(), 2u);
  EXPECT_EQ(quotes[0].meta().seq(), 1u);
  EXPECT_EQ(quotes[0].meta().source(), v1::SOURCE_SIMULATOR);
  EXPECT_EQ(market::FromTimestamp(quotes[0].meta().published_at()), now_);
  EXPECT_EQ(quotes[0].meta().trading_date().day(), 25);
  EXPECT_EQ(quotes[0].last_price().units(), 101'000);

  // Same data again: nothing to publish. Then FPT moves and VCB vanishes.
  stats = ingestor_->RunPrices(now_ + absl::Seconds(10));
  EXPECT_EQ(stats.unchanged, 2);
  EXPECT_TRUE(sink_.records.empty());
  source_.board.quotes = {MakeQuote("FPT", 101'100)};
  stats = ingestor_->RunPrices(now_ + absl::Seconds(10));
  EXPECT_EQ(stats.missing, 1);
  quotes = sink_.Take<v1::Quote>(kafka::kPricesTopic);
  ASSERT_EQ(quotes.size(), 1u);
  EXPECT_EQ(quotes[0].meta().seq(), 2u);
}

TEST_F(IngestorTest, FailedBatchesAreNotCountedAsMissingSymbols) {
  source_.board.errors = {absl::UnavailableError("HTTP 503")};
  CycleStats stats = ingestor_->RunPrices(now_ + absl::Seconds(10));
  EXPECT_EQ(stats.errors, 1);
  EXPECT_EQ(stats.missing, 0);
  EXPECT_TRUE(sink_.records.empty());
}

TEST_F(IngestorTest, IntradayBarsRevisionsAndFinality) {
  const absl::Time t0 = Local(2026, 11, 25, 10, 3);
  // 10:03 and 10:04 are over; 10:05 is in progress at 10:05:30.
  source_.minutes.series = {Series(
      "FPT",
      {Bar(Local(2026, 11, 24, 14, 45), 9, 9, 9, 9, 1),  // Yesterday: ignored.
       Bar(t0, 100'000, 100'100, 99'900, 100'000, 500),
       Bar(t0 + absl::Minutes(1), 100'000, 100'200, 100'000, 100'200, 700),
       Bar(t0 + absl::Minutes(2), 100'200, 100'200, 100'100, 100'100, 100)})};
  CycleStats stats = ingestor_->RunIntraday(now_ + absl::Minutes(1));
  EXPECT_EQ(source_.last_time_frame, vnstock::TimeFrame::kOneMinute);
  EXPECT_EQ(source_.last_count_back, 300);
  EXPECT_EQ(stats.published, 3);
  std::vector<v1::IntradayBar> bars =
      sink_.Take<v1::IntradayBar>(kafka::kIntradayTopic);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[0].meta().seq(), 1u);
  EXPECT_EQ(bars[2].meta().seq(), 3u);
  EXPECT_EQ(market::FromTimestamp(bars[0].start_time()), t0);
  EXPECT_EQ(bars[1].high().units(), 100'200);
  EXPECT_EQ(bars[1].volume(), 700);
  EXPECT_TRUE(bars[0].final());
  EXPECT_TRUE(bars[1].final());
  EXPECT_FALSE(bars[2].final());
  EXPECT_EQ(bars[2].revision(), 0u);
  EXPECT_EQ(bars[0].meta().trading_date().day(), 25);
  EXPECT_EQ(HeldBars(), 3);

  // A minute later: 10:05 got more trades and is final, 10:06 is new.
  now_ += absl::Minutes(1);
  source_.minutes.series[0].bars.back() =
      Bar(t0 + absl::Minutes(2), 100'200, 100'300, 100'100, 100'300, 900);
  source_.minutes.series[0].bars.push_back(
      Bar(t0 + absl::Minutes(3), 100'300, 100'300, 100'300, 100'300, 100));
  stats = ingestor_->RunIntraday(now_ + absl::Minutes(1));
  EXPECT_EQ(stats.unchanged, 2);
  bars = sink_.Take<v1::IntradayBar>(kafka::kIntradayTopic);
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].meta().seq(), 4u);
  EXPECT_EQ(bars[0].revision(), 1u);
  EXPECT_TRUE(bars[0].final());
  EXPECT_EQ(bars[0].volume(), 900);
  EXPECT_EQ(bars[1].meta().seq(), 5u);
  EXPECT_EQ(bars[1].revision(), 0u);
  EXPECT_EQ(HeldBars(), 4);

  // The same values again: nothing is republished.
  stats = ingestor_->RunIntraday(now_ + absl::Minutes(1));
  EXPECT_EQ(stats.unchanged, 4);
  EXPECT_TRUE(sink_.records.empty());

  // The next trading day starts again at seq 1; a stale response of the
  // previous day afterwards publishes nothing.
  const vnstock::SymbolBars yesterday = source_.minutes.series[0];
  source_.minutes.series = {
      Series("FPT", {Bar(Local(2026, 11, 26, 9, 15), 100'000, 100'000, 100'000,
                         100'000, 10)})};
  ingestor_->RunIntraday(now_ + absl::Minutes(1));
  bars = sink_.Take<v1::IntradayBar>(kafka::kIntradayTopic);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].meta().seq(), 1u);
  EXPECT_EQ(bars[0].meta().trading_date().day(), 26);
  EXPECT_EQ(HeldBars(), 1) << "the previous day's bars are released";
  source_.minutes.series = {yesterday};
  ingestor_->RunIntraday(now_ + absl::Minutes(1));
  EXPECT_TRUE(sink_.records.empty());
}

TEST_F(IngestorTest, ClosingAuctionBarIsFinal) {
  now_ = Local(2026, 11, 25, 14, 45, 10);
  source_.minutes.series = {
      Series("VCB", {Bar(Local(2026, 11, 25, 14, 45), 60'000, 60'000, 60'000,
                         60'000, 9000)})};
  ingestor_->RunIntraday(now_ + absl::Minutes(1));
  std::vector<v1::IntradayBar> bars =
      sink_.Take<v1::IntradayBar>(kafka::kIntradayTopic);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_TRUE(bars[0].final());
}

TEST_F(IngestorTest, HistoryWindowDatesFinalityAndChanges) {
  // Daily bars are stamped 00:00 UTC (07:00 in Hanoi) of their date.
  auto day = [](int d) {
    return absl::FromCivil(absl::CivilDay(2026, 11, d), absl::UTCTimeZone());
  };
  source_.daily.series = {
      Series("FPT", {Bar(day(24), 99'000, 101'000, 98'000, 100'000, 5000),
                     Bar(day(25), 100'000, 102'000, 99'500, 101'500, 3000)})};
  CycleStats stats = ingestor_->RunHistory(now_ + absl::Minutes(5));
  EXPECT_EQ(source_.last_count_back, 260);
  EXPECT_EQ(stats.published, 1);
  EXPECT_EQ(stats.missing, 1) << "VCB";
  std::vector<v1::DailyHistory> records =
      sink_.Take<v1::DailyHistory>(kafka::kHistoricalTopic);
  ASSERT_EQ(records.size(), 1u);
  const v1::DailyHistory& h = records[0];
  EXPECT_EQ(h.meta().seq(), 1u);
  EXPECT_EQ(h.meta().trading_date().day(), 25);
  ASSERT_EQ(h.bars_size(), 2);
  EXPECT_EQ(h.bars(0).date().day(), 24);
  EXPECT_TRUE(h.bars(0).final());
  EXPECT_FALSE(h.bars(1).final()) << "today, market open";
  EXPECT_EQ(h.bars(1).close().units(), 101'500);

  EXPECT_EQ(ingestor_->RunHistory(now_ + absl::Minutes(5)).unchanged, 1);
  EXPECT_TRUE(sink_.records.empty());

  // After the close the same bars become final: a new record.
  now_ = Local(2026, 11, 25, 15, 1);
  ingestor_->RunHistory(now_ + absl::Minutes(5));
  records = sink_.Take<v1::DailyHistory>(kafka::kHistoricalTopic);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].meta().seq(), 2u);
  EXPECT_TRUE(records[0].bars(1).final());
}

TEST_F(IngestorTest, RecoveredStateContinuesSequencesAndSkipsRepublishing) {
  v1::Quote old_quote = MakeQuote("FPT", 101'000);
  old_quote.mutable_meta()->set_seq(41);
  v1::Quote older_quote = MakeQuote("FPT", 100'000);
  older_quote.mutable_meta()->set_seq(40);
  ingestor_->Recover(old_quote);
  ingestor_->Recover(older_quote);  // Out of order: ignored.

  const absl::Time t0 = Local(2026, 11, 25, 10, 3);
  v1::IntradayBar known;
  known.mutable_meta()->set_symbol("FPT");
  known.mutable_meta()->set_seq(17);
  *known.mutable_meta()->mutable_trading_date() =
      market::ToDate(absl::CivilDay(2026, 11, 25));
  *known.mutable_start_time() = market::ToTimestamp(t0);
  *known.mutable_open() = MakeDecimal(100'000);
  *known.mutable_high() = MakeDecimal(100'000);
  *known.mutable_low() = MakeDecimal(100'000);
  *known.mutable_close() = MakeDecimal(100'000);
  known.set_volume(100);
  known.set_final(true);
  ingestor_->Recover(known);
  EXPECT_EQ(HeldBars(), 1);

  source_.board.quotes = {MakeQuote("FPT", 101'000), MakeQuote("VCB", 60'000)};
  ingestor_->RunPrices(now_ + absl::Seconds(10));
  std::vector<v1::Quote> quotes = sink_.Take<v1::Quote>(kafka::kPricesTopic);
  ASSERT_EQ(quotes.size(), 1u) << "FPT is unchanged since seq 41";
  EXPECT_EQ(quotes[0].meta().symbol(), "VCB");

  source_.minutes.series = {Series(
      "FPT",
      {Bar(t0, 100'000, 100'000, 100'000, 100'000, 100),
       Bar(t0 + absl::Minutes(1), 100'000, 100'000, 100'000, 100'000, 50)})};
  ingestor_->RunIntraday(now_ + absl::Minutes(1));
  std::vector<v1::IntradayBar> bars =
      sink_.Take<v1::IntradayBar>(kafka::kIntradayTopic);
  ASSERT_EQ(bars.size(), 1u) << "10:03 was already published";
  EXPECT_EQ(bars[0].meta().seq(), 18u);
  EXPECT_EQ(HeldBars(), 2);

  source_.board.quotes = {MakeQuote("FPT", 101'500)};
  ingestor_->RunPrices(now_ + absl::Seconds(10));
  quotes = sink_.Take<v1::Quote>(kafka::kPricesTopic);
  ASSERT_EQ(quotes.size(), 1u);
  EXPECT_EQ(quotes[0].meta().seq(), 42u);
}

TEST_F(IngestorTest, MarketHours) {
  // Saturday 10:00: only the start-up poll.
  EXPECT_TRUE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 28, 10, 0)));
  EXPECT_FALSE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 28, 10, 0)));
  // Each schedule has its own start-up poll.
  EXPECT_TRUE(
      ingestor_->ShouldPoll(Schedule::kHistory, Local(2026, 11, 28, 10, 0)));
  // A Wednesday.
  EXPECT_FALSE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 8, 59)));
  EXPECT_TRUE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 9, 0)));
  EXPECT_TRUE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 11, 29)));
  EXPECT_FALSE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 12, 0)));
  EXPECT_TRUE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 14, 50)));
  // After the close: exactly one more poll that day.
  EXPECT_TRUE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 15, 0)));
  EXPECT_FALSE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 15, 10)));
  EXPECT_FALSE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 25, 23, 0)));

  Make({"FPT"}, /*ignore_market_hours=*/true);
  ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 28, 3, 0));
  EXPECT_TRUE(
      ingestor_->ShouldPoll(Schedule::kPrices, Local(2026, 11, 28, 3, 0)));
}

TEST_F(IngestorTest, MarketMetricsFollowTheShippedCalendar) {
  const market::TradingCalendar calendar(market::ShippedHolidayDays());
  Ingestor ingestor({.symbols = {"FPT"}, .now = [this] { return now_; }},
                    source_, sink_, calendar, registry_);
  std::shared_ptr<prometheus::Collectable> collector =
      ingestor.MarketCollector();
  auto at = [&](absl::Time t) {
    now_ = t;
    std::map<std::string, double> values;
    for (const prometheus::MetricFamily& f : collector->Collect()) {
      values[f.name] = f.metric.at(0).gauge.value;
    }
    return std::make_pair(values["vnstream_market_open"],
                          values["vnstream_market_holiday"]);
  };
  using P = std::pair<double, double>;
  // Wednesday: the sessions, the lunch break, after the close.
  EXPECT_EQ(at(Local(2026, 11, 25, 8, 59)), P(0, 0));
  EXPECT_EQ(at(Local(2026, 11, 25, 9, 0)), P(1, 0));
  EXPECT_EQ(at(Local(2026, 11, 25, 11, 29)), P(1, 0));
  EXPECT_EQ(at(Local(2026, 11, 25, 11, 30)), P(0, 0));
  EXPECT_EQ(at(Local(2026, 11, 25, 13, 0)), P(1, 0));
  EXPECT_EQ(at(Local(2026, 11, 25, 14, 59)), P(1, 0));
  EXPECT_EQ(at(Local(2026, 11, 25, 15, 0)), P(0, 0));
  // A Saturday is closed but no holiday; Tet 2026 and National Day are.
  EXPECT_EQ(at(Local(2026, 11, 28, 10, 0)), P(0, 0));
  EXPECT_EQ(at(Local(2026, 2, 17, 10, 0)), P(0, 1));
  EXPECT_EQ(at(Local(2026, 9, 2, 0, 30)), P(0, 1));
  EXPECT_EQ(at(Local(2026, 9, 3, 10, 0)), P(1, 0));
}

TEST_F(IngestorTest, UniverseSwapsSymbolsAndSetsInstrumentTypes) {
  auto universe = std::make_shared<Universe>();
  universe->securities = {"E1VFVN30", "FPT"};
  universe->types = {{"E1VFVN30", v1::INSTRUMENT_TYPE_ETF},
                     {"FPT", v1::INSTRUMENT_TYPE_STOCK}};
  ingestor_->SetUniverse(universe);
  v1::Quote etf = MakeQuote("E1VFVN30", 25'000);
  etf.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_STOCK);
  source_.board.quotes = {etf, MakeQuote("FPT", 101'000)};
  CycleStats stats = ingestor_->RunPrices(now_ + absl::Seconds(10));
  EXPECT_THAT(source_.requested_symbols, ElementsAre("E1VFVN30", "FPT"));
  EXPECT_EQ(stats.missing, 0) << "VCB left the universe";
  std::vector<v1::Quote> quotes = sink_.Take<v1::Quote>(kafka::kPricesTopic);
  ASSERT_EQ(quotes.size(), 2u);
  EXPECT_EQ(quotes[0].meta().instrument_type(), v1::INSTRUMENT_TYPE_ETF)
      << "the listing's type wins";
  EXPECT_EQ(quotes[1].meta().instrument_type(), v1::INSTRUMENT_TYPE_STOCK);

  const absl::Time t0 = Local(2026, 11, 25, 10, 3);
  source_.minutes.series = {
      Series("FPT", {Bar(t0, 100'000, 100'000, 100'000, 100'000, 100)}),
      Series("VCB", {Bar(t0, 60'000, 60'000, 60'000, 60'000, 100)})};
  ingestor_->RunIntraday(now_ + absl::Minutes(1));
  std::vector<v1::IntradayBar> bars =
      sink_.Take<v1::IntradayBar>(kafka::kIntradayTopic);
  ASSERT_EQ(bars.size(), 1u) << "VCB is not polled any more";
  EXPECT_EQ(bars[0].meta().instrument_type(), v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_THAT(source_.bar_requests.back(), ElementsAre("E1VFVN30", "FPT"));
}

// Indices have no price board: their quote comes from their 1-minute bars
// and the previous close in their daily history, in points with nanos.
TEST_F(IngestorTest, IndexQuotesFromMinuteBarsAndPreviousClose) {
  Make({"FPT"}, false, {"VNINDEX"});
  const auto points = [](const char* text) {
    return *market::ParseDecimal(text);
  };
  auto day = [](int d) {
    return absl::FromCivil(absl::CivilDay(2026, 11, d), absl::UTCTimeZone());
  };
  vnstock::RawBar yesterday = {day(24),           points("1250.1"),
                               points("1261.75"), points("1249"),
                               points("1260.25"), 900'000};
  vnstock::RawBar today = {day(25),           points("1260.5"), points("1266"),
                           points("1258.25"), points("1262.4"), 500'000};
  source_.daily.series = {Series("VNINDEX", {yesterday, today})};
  const absl::Time t0 = Local(2026, 11, 25, 10, 3);
  source_.minutes.series = {Series(
      "VNINDEX", {{t0, points("1260.5"), points("1266"), points("1258.25"),
                   points("1265.5"), 300'000},
                  {t0 + absl::Minutes(1), points("1265.5"), points("1265.5"),
                   points("1261"), points("1262.4"), 200'000}})};

  // No history published yet: no reference, no index quote.
  source_.board.quotes = {MakeQuote("FPT", 101'000)};
  ingestor_->RunPrices(now_ + absl::Seconds(10));
  std::vector<v1::Quote> quotes = sink_.Take<v1::Quote>(kafka::kPricesTopic);
  ASSERT_EQ(quotes.size(), 1u);

  ingestor_->RunHistory(now_ + absl::Minutes(5));
  std::vector<v1::DailyHistory> histories =
      sink_.Take<v1::DailyHistory>(kafka::kHistoricalTopic);
  ASSERT_EQ(histories.size(), 1u);
  EXPECT_EQ(histories[0].meta().instrument_type(), v1::INSTRUMENT_TYPE_INDEX);
  EXPECT_EQ(market::DecimalToString(histories[0].bars(0).close()), "1260.25");

  CycleStats stats = ingestor_->RunPrices(now_ + absl::Seconds(10));
  EXPECT_EQ(stats.missing, 0);
  EXPECT_THAT(source_.bar_requests.back(), ElementsAre("VNINDEX"));
  quotes = sink_.Take<v1::Quote>(kafka::kPricesTopic);
  ASSERT_EQ(quotes.size(), 1u) << "FPT unchanged; the index is new";
  const v1::Quote& q = quotes[0];
  EXPECT_EQ(q.meta().symbol(), "VNINDEX");
  EXPECT_EQ(q.meta().seq(), 1u);
  EXPECT_EQ(q.meta().instrument_type(), v1::INSTRUMENT_TYPE_INDEX);
  EXPECT_EQ(q.meta().trading_date().day(), 25);
  EXPECT_EQ(q.exchange(), v1::EXCHANGE_HOSE);
  EXPECT_EQ(market::DecimalToString(q.reference_price()), "1260.25");
  EXPECT_EQ(market::DecimalToString(q.last_price()), "1262.4");
  EXPECT_EQ(q.last_price().units(), 1262);
  EXPECT_EQ(q.last_price().nanos(), 400'000'000);
  EXPECT_EQ(market::DecimalToString(q.high_price()), "1266");
  EXPECT_EQ(market::DecimalToString(q.low_price()), "1258.25");
  EXPECT_EQ(q.total_volume(), 500'000);
  EXPECT_EQ(market::DecimalToString(q.change()), "2.15");
  EXPECT_EQ(market::DecimalToString(q.percent_change()), "0.1706");
  EXPECT_EQ(market::FromTimestamp(q.exchange_time()), t0 + absl::Minutes(1));
  EXPECT_EQ(q.session(), v1::TRADING_SESSION_CONTINUOUS);
  EXPECT_FALSE(q.has_ceiling_price()) << "indices have no band";

  // Unchanged bars: nothing new.
  EXPECT_EQ(ingestor_->RunPrices(now_ + absl::Seconds(10)).unchanged, 2);
  EXPECT_TRUE(sink_.records.empty());
}

}  // namespace
}  // namespace vnstream::ingest
