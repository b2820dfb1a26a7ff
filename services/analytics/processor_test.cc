#include "services/analytics/processor.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/indicators/intraday.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace vnstream::analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

ProcessorOptions Options() {
  ProcessorOptions o;
  o.groups = {{"VN30", {"FPT", "VCB"}}};
  return o;
}

v1::DailyHistory History(const std::vector<double>& closes, uint64_t seq = 12,
                         int final_bars = -1) {
  v1::DailyHistory h;
  h.mutable_meta()->set_symbol("VCB");
  h.mutable_meta()->set_seq(seq);
  h.mutable_meta()->set_source(v1::SOURCE_SIMULATOR);
  absl::CivilDay day(2019, 3, 1);
  if (final_bars < 0) final_bars = static_cast<int>(closes.size());
  for (size_t i = 0; i < closes.size(); ++i) {
    v1::DailyBar* bar = h.add_bars();
    *bar->mutable_date() = market::ToDate(day++);
    const int64_t close = static_cast<int64_t>(closes[i]);
    *bar->mutable_open() = market::MakeDecimal(close);
    *bar->mutable_high() = market::MakeDecimal(close + 200);
    *bar->mutable_low() = market::MakeDecimal(close - 200);
    *bar->mutable_close() = market::MakeDecimal(close);
    bar->set_volume(100'000 + static_cast<int64_t>(i));
    bar->set_final(static_cast<int>(i) < final_bars);
  }
  *h.mutable_meta()->mutable_trading_date() = h.bars(h.bars_size() - 1).date();
  return h;
}

std::vector<double> Closes(int n) {
  std::vector<double> c;
  for (int i = 0; i < n; ++i) c.push_back(60'000 + 100 * (i % 11));
  return c;
}

// A 1-minute bar of `day` at 09:15 + `i`.
v1::IntradayBar Minute(const std::string& symbol, uint64_t seq,
                       absl::CivilDay day, int i, int64_t close, int64_t volume,
                       bool final, uint32_t revision = 0) {
  v1::IntradayBar bar;
  bar.mutable_meta()->set_symbol(symbol);
  bar.mutable_meta()->set_seq(seq);
  bar.mutable_meta()->set_source(v1::SOURCE_SIMULATOR);
  *bar.mutable_meta()->mutable_fetched_at() =
      market::ToTimestamp(kNow - absl::Seconds(1));
  *bar.mutable_meta()->mutable_trading_date() = market::ToDate(day);
  *bar.mutable_start_time() = market::ToTimestamp(absl::FromCivil(
      absl::CivilMinute(day) + 9 * 60 + 15 + i, market::VietnamTime()));
  *bar.mutable_open() = market::MakeDecimal(close);
  *bar.mutable_high() = market::MakeDecimal(close + 50);
  *bar.mutable_low() = market::MakeDecimal(close - 50);
  *bar.mutable_close() = market::MakeDecimal(close);
  bar.set_volume(volume);
  bar.set_final(final);
  bar.set_revision(revision);
  return bar;
}

v1::Quote Quote(const std::string& symbol, uint64_t seq, v1::Exchange exchange,
                int64_t last, absl::CivilDay day = absl::CivilDay(2026, 3, 2)) {
  v1::Quote q;
  q.mutable_meta()->set_symbol(symbol);
  q.mutable_meta()->set_seq(seq);
  q.mutable_meta()->set_source(v1::SOURCE_SIMULATOR);
  *q.mutable_meta()->mutable_fetched_at() = market::ToTimestamp(kNow);
  *q.mutable_meta()->mutable_trading_date() = market::ToDate(day);
  q.set_exchange(exchange);
  *q.mutable_reference_price() = market::MakeDecimal(10'000);
  *q.mutable_ceiling_price() = market::MakeDecimal(10'700);
  *q.mutable_floor_price() = market::MakeDecimal(9'300);
  *q.mutable_last_price() = market::MakeDecimal(last);
  *q.mutable_change() = market::MakeDecimal(last - 10'000);
  *q.mutable_percent_change() =
      *market::PercentOf(q.change(), q.reference_price());
  q.set_total_volume(100);
  *q.mutable_total_value() = market::MakeDecimal(100 * last);
  q.add_bids()->set_volume(5);
  return q;
}

template <typename Record>
std::vector<Record> Decoded(const std::vector<Output>& out,
                            const std::string& topic) {
  std::vector<Record> records;
  for (const Output& o : out) {
    if (o.record.topic != topic) continue;
    Record r;
    EXPECT_TRUE(r.ParseFromString(o.record.value));
    records.push_back(std::move(r));
  }
  return records;
}

std::string Metrics(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// --- Daily -------------------------------------------------------------------

TEST(ProcessorTest, EnrichesHistoriesWithTheInputsMetaAndTheSharedLibrary) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  const v1::DailyHistory input = History(Closes(60));
  std::vector<Output> out;
  ASSERT_TRUE(processor.Process(0, input, &out).ok());
  const auto enriched =
      Decoded<v1::EnrichedHistory>(out, kafka::kAnalyticsTopic);
  ASSERT_THAT(enriched, SizeIs(1));
  EXPECT_EQ(out[0].record.key, "VCB");
  EXPECT_EQ(out[0].partition, -1) << "keyed: the producer's partitioner";
  EXPECT_EQ(enriched[0].meta().seq(), 12u) << "same seq as the input";
  EXPECT_EQ(enriched[0].computed_at().seconds(), 1'800'000'000);
  v1::EnrichedHistory expected;
  ASSERT_TRUE(indicators::Enrich(input, indicators::Params(), &expected).ok());
  ASSERT_EQ(enriched[0].bars_size(), 60);
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(enriched[0].bars(i).SerializeAsString(),
              expected.bars(i).SerializeAsString());
  }
  EXPECT_EQ(enriched[0].performance().SerializeAsString(),
            expected.performance().SerializeAsString());
}

TEST(ProcessorTest, CountsInvalidAndMalformedRecords) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry);
  std::vector<Output> out;
  v1::DailyHistory bad = History(Closes(3));
  *bad.mutable_bars(1)->mutable_close() = market::MakeDecimal(-5);
  EXPECT_THAT(processor.Process(0, bad, &out).message(),
              HasSubstr("non-positive price"));
  v1::IntradayBar no_time =
      Minute("FPT", 1, absl::CivilDay(2026, 3, 2), 0, 100, 1, false);
  no_time.clear_start_time();
  EXPECT_FALSE(processor.Process(0, no_time, &out).ok());
  EXPECT_THAT(out, IsEmpty());
  processor.CountMalformed(kafka::kPricesTopic);
  ASSERT_TRUE(processor.Process(0, History(Closes(3)), &out).ok());
  const std::string text = Metrics(registry);
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(vnstream_analytics_records_in_total{result="invalid",topic="stock-historical"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(vnstream_analytics_records_in_total{result="invalid",topic="stock-intraday"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(vnstream_analytics_records_in_total{result="malformed",topic="stock-prices"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(vnstream_analytics_records_in_total{result="processed",topic="stock-historical"} 1)"));
}

// --- Signals -----------------------------------------------------------------

// 80 bars: 60 falling slowly, then 20 rising fast; SMA20 crosses above
// SMA50 during the rise.
std::vector<double> GoldenCrossCloses() {
  std::vector<double> c;
  for (int i = 0; i < 60; ++i) c.push_back(60'000 - 100 * i);
  for (int i = 0; i < 20; ++i) c.push_back(54'000 + 800 * i);
  return c;
}

// The bar where SMA20 first rises above SMA50, by scanning the library's
// values.
int GoldenCrossBar(const std::vector<double>& closes) {
  std::vector<indicators::Bar> bars;
  for (double c : closes) bars.push_back({c, c + 200, c - 200, c, 1});
  const auto v = indicators::Compute(indicators::Params(), bars);
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i - 1].sma_medium && v[i].sma_short &&
        *v[i - 1].sma_short <= *v[i - 1].sma_medium &&
        *v[i].sma_short > *v[i].sma_medium) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::vector<v1::Signal> Golden(const std::vector<Output>& out) {
  std::vector<v1::Signal> golden;
  for (v1::Signal& s : Decoded<v1::Signal>(out, kafka::kSignalsTopic)) {
    if (s.kind() == v1::SIGNAL_KIND_SMA_GOLDEN_CROSS) golden.push_back(s);
  }
  return golden;
}

TEST(ProcessorTest, DailySignalsOncePerFinalBarAcrossRepublishedWindows) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  const std::vector<double> closes = GoldenCrossCloses();
  const int cross = GoldenCrossBar(closes);
  ASSERT_GT(cross, 60);
  // The window up to the bar before the cross, then every later window
  // (each republished three times, as ingest does every 5 minutes), with
  // today's bar in progress (not final) at the end.
  std::vector<v1::Signal> signals;
  uint64_t seq = 1;
  for (int last = cross - 1; last < static_cast<int>(closes.size()); ++last) {
    for (int copy = 0; copy < 3; ++copy) {
      std::vector<Output> out;
      const std::vector<double> window(closes.begin(),
                                       closes.begin() + last + 1);
      ASSERT_TRUE(processor
                      .Process(3,
                               History(window, seq++,
                                       /*final_bars=*/last),
                               &out)
                      .ok());
      for (v1::Signal& s : Decoded<v1::Signal>(out, kafka::kSignalsTopic)) {
        signals.push_back(s);
      }
    }
  }
  std::vector<v1::Signal> golden;
  for (const v1::Signal& s : signals) {
    if (s.kind() == v1::SIGNAL_KIND_SMA_GOLDEN_CROSS) golden.push_back(s);
  }
  ASSERT_THAT(golden, SizeIs(1)) << "exactly once despite republishing";
  const v1::Signal& g = golden[0];
  EXPECT_EQ(g.interval(), v1::BAR_INTERVAL_ONE_DAY);
  EXPECT_EQ(market::ToCivilDay(g.daily_bar().date()),
            absl::CivilDay(2019, 3, 1) + cross);
  EXPECT_EQ(market::ToCivilDay(g.meta().trading_date()),
            absl::CivilDay(2019, 3, 1) + cross);
  EXPECT_TRUE(g.daily_bar().final());
  EXPECT_EQ(market::FromTimestamp(g.bar_start()),
            absl::FromCivil(absl::CivilDay(2019, 3, 1) + cross,
                            market::VietnamTime()));
  EXPECT_EQ(g.description(), "SMA20 crossed above SMA50");
  EXPECT_GT(g.value(), g.reference());
  // Signal seqs number the symbol's signals 1, 2, ... without gaps.
  for (size_t i = 0; i < signals.size(); ++i) {
    EXPECT_EQ(signals[i].meta().seq(), i + 1);
    EXPECT_EQ(signals[i].meta().symbol(), "VCB");
  }
}

TEST(ProcessorTest, DailySignalsStartAtTheNewestFinalBarOfANewSymbol) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  const std::vector<double> closes = GoldenCrossCloses();
  const int cross = GoldenCrossBar(closes);
  // First sight of VCB: a window whose crossing is in the past.
  std::vector<Output> out;
  const std::vector<double> later(closes.begin(), closes.begin() + cross + 3);
  ASSERT_TRUE(processor.Process(0, History(later), &out).ok());
  EXPECT_THAT(Golden(out), IsEmpty()) << "history, not an event";
  // Several new final bars at once (a restart of ingest after days):
  // all of them are evaluated.
  out.clear();
  const std::vector<double> from_scratch(closes.begin(),
                                         closes.begin() + cross - 2);
  prometheus::Registry registry2;
  AnalyticsProcessor fresh(Options(), registry2, [] { return kNow; });
  ASSERT_TRUE(fresh.Process(0, History(from_scratch), &out).ok());
  out.clear();
  ASSERT_TRUE(fresh.Process(0, History(later), &out).ok());
  EXPECT_THAT(Golden(out), SizeIs(1));
}

TEST(ProcessorTest, IntradaySignalsOncePerFinalBarDespiteRevisions) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  const absl::CivilDay day(2026, 3, 2);
  const std::vector<double> closes = GoldenCrossCloses();
  const int cross = GoldenCrossBar(closes);
  std::vector<v1::Signal> golden;
  uint64_t seq = 0;
  for (int i = 0; i < static_cast<int>(closes.size()); ++i) {
    const auto c = static_cast<int64_t>(closes[i]);
    std::vector<Output> out;
    // In progress, revised, final, then a late correction republished
    // final with the same values.
    ASSERT_TRUE(
        processor
            .Process(1, Minute("FPT", ++seq, day, i, c - 100, 10, false), &out)
            .ok());
    ASSERT_TRUE(
        processor
            .Process(1, Minute("FPT", ++seq, day, i, c + 300, 20, false, 1),
                     &out)
            .ok());
    ASSERT_TRUE(
        processor.Process(1, Minute("FPT", ++seq, day, i, c, 30, true, 2), &out)
            .ok());
    ASSERT_TRUE(
        processor.Process(1, Minute("FPT", ++seq, day, i, c, 30, true, 3), &out)
            .ok());
    EXPECT_THAT(
        Decoded<v1::EnrichedIntradayBar>(out, kafka::kIntradayAnalyticsTopic),
        SizeIs(4))
        << "one output per input";
    for (v1::Signal& s : Golden(out)) golden.push_back(s);
  }
  ASSERT_THAT(golden, SizeIs(1));
  EXPECT_EQ(golden[0].interval(), v1::BAR_INTERVAL_ONE_MINUTE);
  EXPECT_TRUE(golden[0].intraday_bar().final());
  EXPECT_EQ(golden[0].intraday_bar().start_time().seconds(),
            Minute("FPT", 0, day, cross, 0, 0, true).start_time().seconds());
  EXPECT_EQ(golden[0].bar_start().seconds(),
            golden[0].intraday_bar().start_time().seconds());
}

// --- Intraday ----------------------------------------------------------------

TEST(ProcessorTest, EnrichesEveryIntradayRecordWithTodaysSession) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  const absl::CivilDay day(2026, 3, 2);
  indicators::IntradaySession reference{indicators::Params()};
  std::vector<Output> out;
  for (int i = 0; i < 40; ++i) {
    const int64_t close = 30'000 + 50 * (i % 7);
    ASSERT_TRUE(
        processor
            .Process(0, Minute("FPT", 2 * i + 1, day, i, close - 500, 5, false),
                     &out)
            .ok());
    ASSERT_TRUE(
        processor
            .Process(0,
                     Minute("FPT", 2 * i + 2, day, i, close, 100 + i, true, 1),
                     &out)
            .ok());
    reference.Apply({.minute = 9 * 60 + 15 + i,
                     .open = static_cast<double>(close),
                     .high = static_cast<double>(close + 50),
                     .low = static_cast<double>(close - 50),
                     .close = static_cast<double>(close),
                     .volume = 100 + i});
  }
  const auto enriched =
      Decoded<v1::EnrichedIntradayBar>(out, kafka::kIntradayAnalyticsTopic);
  ASSERT_THAT(enriched, SizeIs(80));
  const v1::EnrichedIntradayBar& last = enriched.back();
  EXPECT_EQ(last.meta().seq(), 80u);
  EXPECT_EQ(last.bar().revision(), 1u);
  EXPECT_EQ(last.params().volume_profile_days(), 20);
  EXPECT_EQ(last.computed_at().seconds(), 1'800'000'000);
  // Revisions replaced the in-progress bars: the same numbers as a session
  // that only saw the final bars.
  const indicators::IntradaySession::Applied expected =
      reference.Apply(reference.bars().back());
  EXPECT_EQ(last.indicators().rsi(), *expected.current.values.rsi);
  EXPECT_EQ(last.indicators().macd(), *expected.current.values.macd);
  EXPECT_EQ(last.indicators().bb_upper(), *expected.current.values.bb_upper);
  EXPECT_EQ(last.indicators().vwap(), *expected.current.vwap);
  EXPECT_FALSE(last.indicators().has_volume_profile()) << "no earlier day";
  // The next day: its own session; the profile is yesterday's.
  out.clear();
  ASSERT_TRUE(
      processor
          .Process(0, Minute("FPT", 1, day + 1, 0, 31'000, 50, false), &out)
          .ok());
  const auto next =
      Decoded<v1::EnrichedIntradayBar>(out, kafka::kIntradayAnalyticsTopic);
  ASSERT_THAT(next, SizeIs(1));
  EXPECT_EQ(next[0].indicators().vwap(), 31'000);
  EXPECT_EQ(next[0].indicators().volume_profile(), 100);
  EXPECT_EQ(next[0].indicators().volume_profile_ratio(), 0.5);
  EXPECT_FALSE(next[0].indicators().has_rsi());
  // A late bar of the day before: published, without indicators.
  out.clear();
  ASSERT_TRUE(
      processor.Process(0, Minute("FPT", 81, day, 39, 30'000, 1, true, 2), &out)
          .ok());
  const auto stale =
      Decoded<v1::EnrichedIntradayBar>(out, kafka::kIntradayAnalyticsTopic);
  ASSERT_THAT(stale, SizeIs(1));
  EXPECT_FALSE(stale[0].has_indicators());
  EXPECT_THAT(
      Metrics(registry),
      HasSubstr(
          R"(vnstream_analytics_records_in_total{result="stale",topic="stock-intraday"} 1)"));
}

// --- Breadth -----------------------------------------------------------------

TEST(ProcessorTest, BreadthPartialsPerScopeAndPartitionConflatedPerBatch) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  processor.set_partition_count(6);
  std::vector<Output> out;
  // Batch 1: partition 2 has FPT (HOSE, VN30) twice and SHS (HNX); partition
  // 4 has VCB (HOSE, VN30).
  ASSERT_TRUE(
      processor.Process(2, Quote("FPT", 1, v1::EXCHANGE_HOSE, 10'100), &out)
          .ok());
  ASSERT_TRUE(
      processor.Process(2, Quote("FPT", 2, v1::EXCHANGE_HOSE, 10'700), &out)
          .ok());
  ASSERT_TRUE(
      processor.Process(2, Quote("SHS", 1, v1::EXCHANGE_HNX, 9'900), &out)
          .ok());
  ASSERT_TRUE(
      processor.Process(4, Quote("VCB", 1, v1::EXCHANGE_HOSE, 9'300), &out)
          .ok());
  EXPECT_THAT(out, IsEmpty()) << "partials come at the end of the batch";
  processor.FinishBatch(&out);
  std::map<std::pair<std::string, int>, v1::MarketBreadth> partials;
  for (const Output& o : out) {
    if (o.record.topic != kafka::kMarketTopic) continue;
    v1::MarketBreadth b;
    ASSERT_TRUE(b.ParseFromString(o.record.value));
    EXPECT_EQ(o.partition, b.partition()) << "to the input's partition";
    EXPECT_EQ(o.record.key, b.meta().symbol());
    EXPECT_TRUE(
        partials.emplace(std::pair(b.meta().symbol(), b.partition()), b).second)
        << "one per (scope, partition) per batch";
  }
  ASSERT_EQ(partials.size(), 5u);
  const v1::MarketBreadth& hose2 = partials.at({"HOSE", 2});
  EXPECT_EQ(hose2.meta().seq(), 1u);
  EXPECT_EQ(hose2.partitions(), 6);
  EXPECT_EQ(hose2.symbols(), 1);
  EXPECT_EQ(hose2.advancers(), 1);
  EXPECT_EQ(hose2.ceiling(), 1) << "the batch's latest FPT quote";
  EXPECT_EQ(market::ToCivilDay(hose2.meta().trading_date()),
            absl::CivilDay(2026, 3, 2));
  EXPECT_EQ(partials.at({"VN30", 2}).symbols(), 1);
  EXPECT_EQ(partials.at({"HNX", 2}).decliners(), 1);
  EXPECT_EQ(partials.at({"HOSE", 4}).floor(), 1);
  EXPECT_EQ(partials.at({"VN30", 4}).symbols(), 1);

  // Batch 2: a quote whose breadth view did not change (only its seq and
  // order book did) publishes nothing; a changed one publishes its scopes.
  out.clear();
  v1::Quote same = Quote("SHS", 2, v1::EXCHANGE_HNX, 9'900);
  same.add_asks()->set_volume(7);
  ASSERT_TRUE(processor.Process(2, same, &out).ok());
  processor.FinishBatch(&out);
  EXPECT_THAT(Decoded<v1::MarketBreadth>(out, kafka::kMarketTopic), IsEmpty());
  out.clear();
  ASSERT_TRUE(
      processor.Process(2, Quote("FPT", 3, v1::EXCHANGE_HOSE, 10'000), &out)
          .ok());
  processor.FinishBatch(&out);
  const auto second = Decoded<v1::MarketBreadth>(out, kafka::kMarketTopic);
  ASSERT_THAT(second, SizeIs(2));  // HOSE and VN30 of partition 2.
  for (const v1::MarketBreadth& b : second) {
    EXPECT_EQ(b.meta().seq(), 2u) << b.meta().symbol();
    EXPECT_EQ(b.unchanged(), 1);
  }
}

TEST(ProcessorTest, BreadthGroupsFromInstrumentsAndTypes) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  std::vector<Output> out;
  // An index and a covered warrant never count.
  v1::Quote index = Quote("VNINDEX", 1, v1::EXCHANGE_HOSE, 10'100);
  index.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_INDEX);
  v1::Quote warrant = Quote("CFPT2401", 1, v1::EXCHANGE_HOSE, 10'100);
  warrant.mutable_meta()->set_instrument_type(
      v1::INSTRUMENT_TYPE_COVERED_WARRANT);
  v1::Quote etf = Quote("E1VFVN30", 1, v1::EXCHANGE_HOSE, 10'100);
  etf.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_ETF);
  for (const v1::Quote& q : {index, warrant, etf}) {
    ASSERT_TRUE(processor.Process(0, q, &out).ok());
  }
  ASSERT_TRUE(
      processor.Process(0, Quote("FPT", 1, v1::EXCHANGE_HOSE, 10'100), &out)
          .ok());
  processor.FinishBatch(&out);
  std::map<std::string, int> symbols;
  for (const v1::MarketBreadth& b :
       Decoded<v1::MarketBreadth>(out, kafka::kMarketTopic)) {
    symbols[b.meta().symbol()] = b.symbols();
  }
  EXPECT_EQ(symbols["HOSE"], 2) << "FPT and the ETF";
  EXPECT_EQ(symbols["VN30"], 1) << "FPT, from the configured groups";
  // stock-instruments moves FPT from VN30 to a new group: both change.
  out.clear();
  v1::Instrument fpt;
  fpt.mutable_meta()->set_symbol("FPT");
  fpt.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_STOCK);
  fpt.set_exchange(v1::EXCHANGE_HOSE);
  fpt.add_groups("VN100");
  fpt.set_listed(true);
  ASSERT_TRUE(processor.Process(0, fpt, &out).ok());
  processor.FinishBatch(&out);
  symbols.clear();
  for (const v1::MarketBreadth& b :
       Decoded<v1::MarketBreadth>(out, kafka::kMarketTopic)) {
    symbols[b.meta().symbol()] = b.symbols();
  }
  EXPECT_EQ(symbols, (std::map<std::string, int>{
                         {"HOSE", 2}, {"VN30", 0}, {"VN100", 1}}));
}

TEST(ProcessorTest, BreadthCountsOnlyTheNewestTradingDay) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  std::vector<Output> out;
  const absl::CivilDay monday(2026, 3, 2);
  ASSERT_TRUE(
      processor
          .Process(0, Quote("FPT", 1, v1::EXCHANGE_HOSE, 10'100, monday), &out)
          .ok());
  ASSERT_TRUE(
      processor
          .Process(0, Quote("VCB", 1, v1::EXCHANGE_HOSE, 10'100, monday), &out)
          .ok());
  processor.FinishBatch(&out);
  out.clear();
  // Tuesday's first quote: Monday's VCB no longer counts, in every scope.
  ASSERT_TRUE(
      processor
          .Process(0, Quote("FPT", 2, v1::EXCHANGE_HOSE, 9'900, monday + 1),
                   &out)
          .ok());
  processor.FinishBatch(&out);
  for (const v1::MarketBreadth& b :
       Decoded<v1::MarketBreadth>(out, kafka::kMarketTopic)) {
    EXPECT_EQ(b.symbols(), 1) << b.meta().symbol();
    EXPECT_EQ(b.decliners(), 1) << b.meta().symbol();
    EXPECT_EQ(market::ToCivilDay(b.meta().trading_date()), monday + 1);
  }
}

// --- State -------------------------------------------------------------------

// The changelog records among `out`, by partition.
std::vector<Output> Changelog(const std::vector<Output>& out) {
  std::vector<Output> log;
  for (const Output& o : out) {
    if (o.record.topic == kafka::kAnalyticsStateTopic) log.push_back(o);
  }
  return log;
}

TEST(ProcessorTest, StateRoundTripsThroughTheChangelog) {
  prometheus::Registry registry;
  AnalyticsProcessor original(Options(), registry, [] { return kNow; });
  original.set_partition_count(6);
  const absl::CivilDay day(2026, 3, 2);
  std::vector<Output> log;
  auto run = [&](AnalyticsProcessor& p, auto&& feed) {
    std::vector<Output> out;
    feed(p, out);
    p.FinishBatch(&out);
    return out;
  };
  // Three days of 1-minute bars (the profile), quotes, histories: state of
  // every kind, over several batches.
  auto history = [&](AnalyticsProcessor& p, std::vector<Output>& out, int bars,
                     uint64_t seq) {
    const std::vector<double> closes = GoldenCrossCloses();
    ASSERT_TRUE(p.Process(5,
                          History({closes.begin(), closes.begin() + bars}, seq),
                          &out)
                    .ok());
  };
  uint64_t seq = 0;
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < 30; ++i) {
      const std::vector<Output> out = run(original, [&](auto& p, auto& o) {
        ASSERT_TRUE(p.Process(5,
                              Minute("FPT", ++seq, day + d, i,
                                     30'000 + 10 * ((i * 7) % 13),
                                     100 * (d + 1) + i, false),
                              &o)
                        .ok());
        ASSERT_TRUE(p.Process(5,
                              Minute("FPT", ++seq, day + d, i,
                                     30'000 + 10 * ((i * 5) % 11),
                                     100 * (d + 1) + i, true, 1),
                              &o)
                        .ok());
      });
      for (const Output& o : Changelog(out)) log.push_back(o);
    }
  }
  for (const std::vector<Output>&out :
       {run(original,
            [&](auto&p, auto&o) {
              ASSERT_TRUE(
                  p.Process(5, Quote("FPT", 1, v1::EXCHANGE_HOSE, 10'100), &o)
                      .ok());
              ASSERT_TRUE(
                  p.Process(5, Quote("SSI", 1, v1::EXCHANGE_HOSE, 9'800), &o)
                      .ok());
            }),
        run(original, [&](auto&p, auto&o) { history(p, o, 70, 1); })}) {
    for (const Output& o : Changelog(out)) {
      EXPECT_EQ(o.partition, 5) << "the input's partition";
      log.push_back(o);
    }
  }

  // A new replica restores partition 5 from the changelog (in order, as a
  // reader of the topic sees it) ...
  prometheus::Registry registry2;
  AnalyticsProcessor restored(Options(), registry2, [] { return kNow; });
  restored.set_partition_count(6);
  for (const Output& o : log) {
    ASSERT_TRUE(restored.Restore(5, o.record.key, o.record.value).ok())
        << o.record.key;
  }
  restored.FinishRestore(5);
  // ... and from then on both produce the same outputs for the same inputs.
  auto next = [&](AnalyticsProcessor& p, std::vector<Output>& o) {
    // Day 4's first bar (profile of days 1-3), a revision of it, a final
    // one; a quote; the history's next final bars (the daily signal state).
    ASSERT_TRUE(
        p.Process(5, Minute("FPT", 1, day + 3, 0, 30'100, 999, false), &o)
            .ok());
    ASSERT_TRUE(
        p.Process(5, Minute("FPT", 2, day + 3, 0, 30'200, 1'000, true, 1), &o)
            .ok());
    ASSERT_TRUE(
        p.Process(5, Quote("SSI", 2, v1::EXCHANGE_HOSE, 9'700), &o).ok());
    history(p, o, 80, 2);
  };
  const std::vector<Output> a = run(original, next);
  const std::vector<Output> b = run(restored, next);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].record.topic, b[i].record.topic);
    EXPECT_EQ(a[i].record.key, b[i].record.key);
    EXPECT_EQ(a[i].partition, b[i].partition);
    EXPECT_EQ(a[i].record.value, b[i].record.value)
        << a[i].record.topic << " " << a[i].record.key;
  }
  // What the comparison covers: the profile survived (day 4's bar has one),
  // breadth seqs continue, and the daily signals continue their seq.
  const auto bars =
      Decoded<v1::EnrichedIntradayBar>(b, kafka::kIntradayAnalyticsTopic);
  ASSERT_THAT(bars, SizeIs(2));
  // 09:15 on days 1-3: 100, 200 and 300 shares.
  EXPECT_EQ(bars[1].indicators().volume_profile(), 200);
  const auto breadth = Decoded<v1::MarketBreadth>(b, kafka::kMarketTopic);
  ASSERT_THAT(breadth, SizeIs(1));
  EXPECT_EQ(breadth[0].meta().seq(), 2u);
  EXPECT_EQ(breadth[0].symbols(), 2);
  EXPECT_THAT(Golden(b), SizeIs(1));
  // An unreadable record is reported and skipped.
  EXPECT_FALSE(restored.Restore(5, "quote/FPT", "\xff\xff").ok());
  EXPECT_FALSE(restored.Restore(5, "nonsense", "").ok());
}

TEST(ProcessorTest, ChangelogHoldsOneRecordPerKeyPerBatch) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(Options(), registry, [] { return kNow; });
  std::vector<Output> out;
  const absl::CivilDay day(2026, 3, 2);
  for (uint32_t r = 0; r < 5; ++r) {
    ASSERT_TRUE(
        processor
            .Process(1, Minute("FPT", r + 1, day, 0, 30'000 + r, 10, false, r),
                     &out)
            .ok());
    ASSERT_TRUE(processor
                    .Process(1,
                             Quote("FPT", r + 1, v1::EXCHANGE_HOSE, 10'000 + r),
                             &out)
                    .ok());
  }
  processor.FinishBatch(&out);
  std::vector<std::string> keys;
  for (const Output& o : Changelog(out)) keys.push_back(o.record.key);
  EXPECT_THAT(keys, ElementsAre("bar/FPT/555", "breadth/HOSE", "breadth/VN30",
                                "quote/FPT"));
  // The newest value of each.
  internal::StateRecord bar;
  ASSERT_TRUE(bar.ParseFromString(Changelog(out)[0].record.value));
  EXPECT_EQ(bar.intraday_bar().revision(), 4u);
}

}  // namespace
}  // namespace vnstream::analytics
