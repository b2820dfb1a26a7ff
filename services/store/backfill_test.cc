#include "services/store/backfill.h"

#include <map>

#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace vnstream::store {
namespace {

// VNStock with `daily[symbol]` and `minutes[symbol]` (oldest first), the
// gap-chart semantics: the last count_back bars with time <= to.
class FakeSource : public vnstock::MarketDataSource {
 public:
  vnstock::PriceBoard FetchPriceBoard(std::span<const std::string>,
                                      absl::Time) override {
    return {};
  }
  vnstock::Bars FetchBars(std::span<const std::string> symbols,
                          vnstock::TimeFrame frame, absl::Time to,
                          int count_back, absl::Time) override {
    ++requests;
    vnstock::Bars out;
    for (const std::string& symbol : symbols) {
      if (failing.contains(symbol)) {
        out.errors.push_back(absl::UnavailableError("HTTP 503"));
        continue;
      }
      auto& all = frame == vnstock::TimeFrame::kOneDay ? daily : minutes;
      auto it = all.find(symbol);
      if (it == all.end()) continue;  // VNStock leaves unknown symbols out.
      vnstock::SymbolBars series{.symbol = symbol,
                                 .source = v1::SOURCE_SIMULATOR,
                                 .fetched_at = fetched_at};
      for (const vnstock::RawBar& bar : it->second) {
        if (bar.time <= to) series.bars.push_back(bar);
      }
      if (static_cast<int>(series.bars.size()) > count_back) {
        series.bars.erase(series.bars.begin(), series.bars.end() - count_back);
      }
      out.series.push_back(std::move(series));
    }
    return out;
  }

  std::map<std::string, std::vector<vnstock::RawBar>> daily, minutes;
  absl::flat_hash_set<std::string> failing;
  absl::Time fetched_at = absl::Now();
  int requests = 0;
};

class FakeStore : public BackfillStore {
 public:
  absl::StatusOr<WriteCounts> Write(const Batch& batch, absl::Time) override {
    if (!down.ok()) return down;
    batches.push_back(batch);
    for (const ProgressRow& p : batch.progress()) {
      finished[p.interval].insert(p.symbol);
    }
    return WriteCounts{};
  }
  absl::StatusOr<std::vector<std::string>> ListedSymbols(absl::Time) override {
    return listed;
  }
  absl::StatusOr<absl::flat_hash_set<std::string>> Finished(
      const std::string& interval, absl::Time) override {
    return finished[interval];
  }

  size_t Rows(bool daily_table) const {
    size_t n = 0;
    for (const Batch& b : batches) {
      n += daily_table ? b.daily().size() : b.minutes().size();
    }
    return n;
  }

  std::vector<std::string> listed;
  std::map<std::string, absl::flat_hash_set<std::string>> finished;
  std::vector<Batch> batches;
  absl::Status down;
};

vnstock::RawBar Raw(absl::Time t, int64_t close) {
  return {t,
          market::MakeDecimal(close),
          market::MakeDecimal(close + 100),
          market::MakeDecimal(close - 100),
          market::MakeDecimal(close),
          1000};
}

std::vector<vnstock::RawBar> DailyBars(int n) {
  std::vector<vnstock::RawBar> bars;
  for (int i = 0; i < n; ++i) {
    bars.push_back(Raw(
        absl::FromCivil(absl::CivilDay(2019, 1, 1) + i, absl::UTCTimeZone()),
        20000 + i));
  }
  return bars;
}

std::vector<vnstock::RawBar> MinuteBars(int n) {
  std::vector<vnstock::RawBar> bars;
  const absl::Time first = absl::FromCivil(absl::CivilMinute(2019, 6, 3, 9, 15),
                                           market::VietnamTime());
  for (int i = 0; i < n; ++i) {
    bars.push_back(Raw(first + absl::Minutes(i), 45000 + i));
  }
  return bars;
}

class BackfillTest : public ::testing::Test {
 protected:
  Backfill Make(BackfillOptions options) {
    return Backfill(options, source_, calendar_, store_, registry_);
  }

  FakeSource source_;
  FakeStore store_;
  market::TradingCalendar calendar_;
  prometheus::Registry registry_;
  absl::Notification stop_;
};

TEST_F(BackfillTest, FillsDailyAndEveryMinutePageForTheListedUniverse) {
  store_.listed = {"FPT", "VCB"};
  source_.daily = {{"FPT", DailyBars(30)}, {"VCB", DailyBars(10)}};
  source_.minutes = {{"FPT", MinuteBars(23)}, {"VCB", MinuteBars(5)}};
  absl::StatusOr<BackfillResult> result =
      Make(
          {.symbols = {"HPG"}, .daily_bars = 20, .minute_bars_per_request = 10})
          .Run(stop_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->symbols, 2) << "the listing wins over the configured";
  EXPECT_EQ(result->done, 2);
  EXPECT_EQ(result->failed, 0);
  EXPECT_EQ(store_.Rows(true), 20u + 10u) << "daily_bars per symbol at most";
  EXPECT_EQ(store_.Rows(false), 23u + 5u) << "all minute pages: 10+10+3";
  EXPECT_EQ(result->rows, 20 + 10 + 23 + 5);
  // FPT's minutes: the group's page, two pages back, then (only then) its
  // progress row.
  int fpt_minute_batches = 0;
  for (const Batch& b : store_.batches) {
    if (!b.minutes().empty() && b.minutes()[0].symbol == "FPT") {
      ++fpt_minute_batches;
      EXPECT_TRUE(b.progress().empty());
    }
    for (const ProgressRow& p : b.progress()) {
      if (p.symbol != "FPT" || p.interval != "1m") continue;
      EXPECT_EQ(fpt_minute_batches, 3);
      EXPECT_EQ(p.rows, 23);
      EXPECT_EQ(*p.oldest, MinuteBars(1)[0].time);
    }
  }
  EXPECT_EQ(fpt_minute_batches, 3);
  for (const Batch& b : store_.batches) {
    for (const MinuteRow& row : b.minutes()) {
      EXPECT_EQ(row.version.origin, Origin::kBackfill);
      EXPECT_EQ(row.version.version, absl::ToUnixMicros(source_.fetched_at));
      EXPECT_TRUE(row.version.final);
    }
    for (const DailyRow& row : b.daily()) {
      EXPECT_TRUE(row.version.final) << "2019 days are over";
      EXPECT_EQ(row.date.year(), 2019);
    }
  }
}

TEST_F(BackfillTest, ResumesAfterACrashAndRetriesWhatFailed) {
  store_.listed = {"FPT", "HPG", "VCB"};
  source_.daily = {
      {"FPT", DailyBars(3)}, {"HPG", DailyBars(3)}, {"VCB", DailyBars(3)}};
  source_.minutes = {
      {"FPT", MinuteBars(3)}, {"HPG", MinuteBars(3)}, {"VCB", MinuteBars(3)}};
  source_.failing = {"HPG"};
  absl::StatusOr<BackfillResult> first = Make({.group_size = 1}).Run(stop_);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->done, 2);
  EXPECT_EQ(first->failed, 1);
  EXPECT_FALSE(store_.finished["1D"].contains("HPG"));
  // The next run does only HPG.
  source_.failing.clear();
  const size_t batches = store_.batches.size();
  absl::StatusOr<BackfillResult> second = Make({.group_size = 1}).Run(stop_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->done, 3);
  EXPECT_EQ(second->failed, 0);
  for (size_t i = batches; i < store_.batches.size(); ++i) {
    for (const DailyRow& row : store_.batches[i].daily()) {
      EXPECT_EQ(row.symbol, "HPG");
    }
  }
  // refresh: everything again.
  absl::StatusOr<BackfillResult> refresh =
      Make({.group_size = 1, .refresh = true}).Run(stop_);
  ASSERT_TRUE(refresh.ok());
  EXPECT_EQ(refresh->rows, 3 * (3 + 3));
}

TEST_F(BackfillTest,
       UnknownSymbolsFinishEmptyAndTheConfiguredListIsTheFallback) {
  source_.daily = {{"FPT", DailyBars(2)}};
  absl::StatusOr<BackfillResult> result =
      Make({.symbols = {"fpt", "XYZ"}}).Run(stop_);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->symbols, 2);
  EXPECT_EQ(result->done, 2);
  EXPECT_TRUE(store_.finished["1D"].contains("XYZ"));
  EXPECT_TRUE(store_.finished["1m"].contains("XYZ"));
  EXPECT_EQ(store_.Rows(true), 2u);
}

TEST_F(BackfillTest, ADatabaseOutageFailsTheSymbolsNotTheRun) {
  store_.listed = {"FPT"};
  source_.daily = {{"FPT", DailyBars(2)}};
  store_.down = absl::FailedPreconditionError("constraint");  // Not retried.
  absl::StatusOr<BackfillResult> result = Make({}).Run(stop_);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->failed, 1);
  EXPECT_TRUE(store_.finished.empty() || store_.finished["1D"].empty());
}

TEST_F(BackfillTest, TodaysBarsAreNotFinalWhileTheDayRuns) {
  store_.listed = {"FPT"};
  const absl::Time now = absl::Now();
  source_.fetched_at = now;
  // A minute that has not ended yet, and today's daily bar.
  source_.minutes = {{"FPT", {Raw(now - absl::Seconds(10), 45000)}}};
  const absl::CivilDay today = absl::ToCivilDay(now, market::VietnamTime());
  source_.daily = {
      {"FPT", {Raw(absl::FromCivil(today, absl::UTCTimeZone()), 45000)}}};
  ASSERT_TRUE(Make({}).Run(stop_).ok());
  for (const Batch& b : store_.batches) {
    for (const MinuteRow& row : b.minutes()) EXPECT_FALSE(row.version.final);
    for (const DailyRow& row : b.daily()) {
      const bool over = !calendar_.IsTradingDay(today) ||
                        absl::ToCivilMinute(now, market::VietnamTime()) >=
                            absl::CivilMinute(today) + 15 * 60;
      EXPECT_EQ(row.version.final, over);
    }
  }
}

TEST_F(BackfillTest, ReportsProgressAsMetrics) {
  store_.listed = {"FPT", "VCB"};
  source_.daily = {{"FPT", DailyBars(2)}, {"VCB", DailyBars(2)}};
  ASSERT_TRUE(Make({.group_size = 1}).Run(stop_).ok());
  double total = -1, done = -1, rows = -1;
  for (const prometheus::MetricFamily& f : registry_.Collect()) {
    for (const prometheus::ClientMetric& m : f.metric) {
      if (f.name == "vnstream_store_backfill_symbols") {
        if (m.label[0].value == "total") total = m.gauge.value;
        if (m.label[0].value == "done") done = m.gauge.value;
      }
      if (f.name == "vnstream_store_backfill_rows_total" &&
          m.label[0].value == "1D") {
        rows = m.counter.value;
      }
    }
  }
  EXPECT_EQ(total, 2);
  EXPECT_EQ(done, 2);
  EXPECT_EQ(rows, 4);
}

}  // namespace
}  // namespace vnstream::store
