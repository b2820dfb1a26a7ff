#include "services/store/sink.h"

#include <functional>

#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/pg/pg.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace vnstream::store {
namespace {

// Records every batch it is asked to write; `fail` decides the outcome.
class FakeWriter : public Writer {
 public:
  absl::StatusOr<WriteCounts> Write(const Batch& batch,
                                    absl::Time deadline) override {
    attempts.push_back(batch);
    if (fail) {
      if (absl::Status s = fail(batch); !s.ok()) return s;
    }
    written.push_back(batch);
    return WriteCounts{static_cast<int64_t>(batch.daily().size()),
                       static_cast<int64_t>(batch.minutes().size()),
                       static_cast<int64_t>(batch.indicators().size()),
                       static_cast<int64_t>(batch.instruments().size())};
  }

  std::function<absl::Status(const Batch&)> fail;
  std::vector<Batch> attempts;
  std::vector<Batch> written;
};

double Metric(prometheus::Registry& registry, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      bool match = true;
      for (const auto& [key, value] : labels) {
        bool found = false;
        for (const prometheus::ClientMetric::Label& l : m.label) {
          found |= l.name == key && l.value == value;
        }
        match &= found;
      }
      if (match) return m.counter.value + m.gauge.value;
    }
  }
  return -1;
}

v1::DailyBar Day(absl::CivilDay day, int64_t close, bool final = true) {
  v1::DailyBar bar;
  *bar.mutable_date() = market::ToDate(day);
  *bar.mutable_open() = market::MakeDecimal(close - 100);
  *bar.mutable_high() = market::MakeDecimal(close + 200);
  *bar.mutable_low() = market::MakeDecimal(close - 300);
  *bar.mutable_close() = market::MakeDecimal(close);
  bar.set_volume(1000);
  bar.set_final(final);
  return bar;
}

v1::IntradayBar Minute(const std::string& symbol, int minute, int64_t close,
                       uint64_t seq, bool final) {
  v1::IntradayBar bar;
  bar.mutable_meta()->set_symbol(symbol);
  bar.mutable_meta()->set_seq(seq);
  *bar.mutable_start_time() = market::ToTimestamp(absl::FromCivil(
      absl::CivilMinute(2019, 6, 14, 10, minute), market::VietnamTime()));
  *bar.mutable_open() = market::MakeDecimal(close);
  *bar.mutable_high() = market::MakeDecimal(close);
  *bar.mutable_low() = market::MakeDecimal(close);
  *bar.mutable_close() = market::MakeDecimal(close);
  bar.set_volume(100);
  bar.set_final(final);
  return bar;
}

class SinkTest : public ::testing::Test {
 protected:
  SinkTest() : sink_({.batch_rows = 10}, writer_, registry_) {}

  FakeWriter writer_;
  prometheus::Registry registry_;
  Sink sink_;
};

TEST_F(SinkTest, HistoryBecomesDailyRowsCommittedWithTheirOffset) {
  v1::DailyHistory history;
  history.mutable_meta()->set_symbol("FPT");
  history.mutable_meta()->set_seq(42);
  *history.add_bars() = Day(absl::CivilDay(2019, 6, 13), 45000);
  v1::DailyBar broken = Day(absl::CivilDay(2019, 6, 14), 45300);
  *broken.mutable_low() = market::MakeDecimal(0);
  *history.add_bars() = broken;
  *history.add_bars() =
      Day(absl::CivilDay(2019, 6, 17), 45500, /*final=*/false);
  sink_.Add({"stock-historical", 3, 120}, history);
  EXPECT_EQ(sink_.pending_records(), 1u);
  ASSERT_TRUE(sink_.Flush().ok());
  ASSERT_EQ(writer_.written.size(), 1u);
  const Batch& batch = writer_.written[0];
  ASSERT_EQ(batch.daily().size(), 2u);
  EXPECT_EQ(batch.daily()[0].date, absl::CivilDay(2019, 6, 13));
  EXPECT_EQ(batch.daily()[0].bar.close.units(), 45000);
  EXPECT_EQ(batch.daily()[0].version.version, 42);
  EXPECT_TRUE(batch.daily()[0].version.final);
  EXPECT_EQ(batch.daily()[0].version.origin, Origin::kStream);
  EXPECT_FALSE(batch.daily()[1].version.final);
  EXPECT_EQ(batch.offsets().at({"stock-historical", 3}), 121);
  EXPECT_EQ(sink_.pending_records(), 0u);
  EXPECT_EQ(Metric(registry_, "vnstream_store_bars_invalid_total"), 1);
  EXPECT_EQ(Metric(registry_, "vnstream_store_records_total",
                   {{"topic", "stock-historical"}, {"result", "stored"}}),
            1);
  EXPECT_EQ(Metric(registry_, "vnstream_store_rows_written_total",
                   {{"table", "daily_bars"}}),
            2);
}

TEST_F(SinkTest, RevisionsInOneBatchCollapseToTheNewest) {
  sink_.Add({"stock-intraday", 0, 10}, Minute("FPT", 1, 45000, 7, false));
  sink_.Add({"stock-intraday", 0, 11}, Minute("VCB", 1, 70000, 3, true));
  sink_.Add({"stock-intraday", 0, 12}, Minute("FPT", 1, 45100, 8, true));
  ASSERT_TRUE(sink_.Flush().ok());
  ASSERT_EQ(writer_.written.size(), 1u);
  const Batch& batch = writer_.written[0];
  ASSERT_EQ(batch.minutes().size(), 2u);
  EXPECT_EQ(batch.minutes()[0].bar.close.units(), 45100);
  EXPECT_EQ(batch.minutes()[0].version.version, 8);
  EXPECT_EQ(batch.offsets().at({"stock-intraday", 0}), 13);
}

TEST_F(SinkTest, FullAfterBatchRows) {
  for (int i = 0; i < 9; ++i) {
    sink_.Add({"stock-intraday", 0, i}, Minute("FPT", i, 45000, i + 1, true));
  }
  EXPECT_FALSE(sink_.Full());
  sink_.Add({"stock-intraday", 0, 9}, Minute("FPT", 9, 45000, 10, true));
  EXPECT_TRUE(sink_.Full());
}

TEST_F(SinkTest, MalformedRecordsOnlyMoveTheOffset) {
  sink_.AddMalformed({"stock-analytics", 1, 5},
                     absl::InvalidArgumentError("bad type header"));
  ASSERT_TRUE(sink_.Flush().ok());
  ASSERT_EQ(writer_.written.size(), 1u);
  EXPECT_EQ(writer_.written[0].rows(), 0u);
  EXPECT_EQ(writer_.written[0].offsets().at({"stock-analytics", 1}), 6);
  EXPECT_EQ(Metric(registry_, "vnstream_store_records_total",
                   {{"topic", "stock-analytics"}, {"result", "malformed"}}),
            1);
  EXPECT_EQ(Metric(registry_, "vnstream_store_records_total",
                   {{"topic", "stock-analytics"}, {"result", "stored"}}),
            -1);
}

TEST_F(SinkTest, AFailedWriteKeepsTheBatchForTheNextFlush) {
  bool down = true;
  writer_.fail = [&](const Batch&) {
    return down ? absl::UnavailableError("postgres: connection refused")
                : absl::OkStatus();
  };
  sink_.Add({"stock-intraday", 2, 7}, Minute("HPG", 1, 25000, 1, true));
  EXPECT_EQ(sink_.Flush().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sink_.pending_records(), 1u);
  EXPECT_EQ(sink_.pending_rows(), 1u);
  EXPECT_EQ(Metric(registry_, "vnstream_store_write_errors_total",
                   {{"code", "UNAVAILABLE"}}),
            1);
  down = false;
  ASSERT_TRUE(sink_.Flush().ok());
  ASSERT_EQ(writer_.written.size(), 1u);
  EXPECT_EQ(writer_.written[0].minutes().size(), 1u);
  EXPECT_EQ(writer_.written[0].offsets().at({"stock-intraday", 2}), 8);
}

TEST_F(SinkTest, BadDataIsIsolatedToItsRecord) {
  writer_.fail = [](const Batch& batch) {
    for (const MinuteRow& row : batch.minutes()) {
      if (row.symbol == "BAD") {
        return pg::StatusForSqlState("22P02", "invalid input syntax");
      }
    }
    return absl::OkStatus();
  };
  sink_.Add({"stock-intraday", 0, 1}, Minute("FPT", 1, 45000, 1, true));
  sink_.Add({"stock-intraday", 0, 2}, Minute("BAD", 1, 1, 1, true));
  sink_.Add({"stock-intraday", 0, 3}, Minute("VCB", 1, 70000, 1, true));
  ASSERT_TRUE(sink_.Flush().ok());
  EXPECT_EQ(sink_.pending_records(), 0u);
  // The whole batch, then record by record, with BAD replaced by its offset.
  ASSERT_EQ(writer_.written.size(), 3u);
  EXPECT_EQ(writer_.written[0].minutes()[0].symbol, "FPT");
  EXPECT_EQ(writer_.written[1].rows(), 0u);
  EXPECT_EQ(writer_.written[1].offsets().at({"stock-intraday", 0}), 3);
  EXPECT_EQ(writer_.written[2].minutes()[0].symbol, "VCB");
  EXPECT_EQ(writer_.written[2].offsets().at({"stock-intraday", 0}), 4);
  EXPECT_EQ(Metric(registry_, "vnstream_store_records_total",
                   {{"topic", "stock-intraday"}, {"result", "rejected"}}),
            1);
  EXPECT_EQ(Metric(registry_, "vnstream_store_records_total",
                   {{"topic", "stock-intraday"}, {"result", "stored"}}),
            2);
}

TEST_F(SinkTest, TheDatabaseGoingAwayDuringIsolationKeepsTheRest) {
  int calls = 0;
  writer_.fail = [&](const Batch& batch) {
    ++calls;
    if (calls == 1) return pg::StatusForSqlState("23514", "check violation");
    if (calls == 3) return absl::UnavailableError("postgres: gone");
    return absl::OkStatus();
  };
  sink_.Add({"stock-intraday", 0, 1}, Minute("FPT", 1, 45000, 1, true));
  sink_.Add({"stock-intraday", 0, 2}, Minute("HPG", 1, 25000, 1, true));
  sink_.Add({"stock-intraday", 0, 3}, Minute("VCB", 1, 70000, 1, true));
  EXPECT_EQ(sink_.Flush().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sink_.pending_records(), 2u) << "FPT was written alone";
  ASSERT_TRUE(sink_.Flush().ok());
  ASSERT_EQ(writer_.written.size(), 2u);
  EXPECT_EQ(writer_.written[1].minutes().size(), 2u);
  EXPECT_EQ(writer_.written[1].offsets().at({"stock-intraday", 0}), 4);
}

TEST_F(SinkTest, AnalyticsAndInstruments) {
  v1::EnrichedHistory enriched;
  enriched.mutable_meta()->set_symbol("FPT");
  enriched.mutable_meta()->set_seq(9);
  enriched.mutable_params()->set_sma_short_period(20);
  v1::EnrichedBar* bar = enriched.add_bars();
  *bar->mutable_bar() = Day(absl::CivilDay(2019, 6, 14), 45300);
  bar->mutable_indicators()->set_rsi(55.5);
  sink_.Add({"stock-analytics", 0, 0}, enriched);
  v1::Instrument instrument;
  instrument.mutable_meta()->set_symbol("VNINDEX");
  instrument.mutable_meta()->set_seq(2);
  instrument.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_INDEX);
  instrument.set_exchange(v1::EXCHANGE_HOSE);
  instrument.set_name("VN-Index");
  instrument.add_groups("VNINDEX");
  instrument.set_listed(true);
  sink_.Add({"stock-instruments", 4, 0}, instrument);
  ASSERT_TRUE(sink_.Flush().ok());
  const Batch& batch = writer_.written.at(0);
  ASSERT_EQ(batch.indicators().size(), 1u);
  EXPECT_EQ(batch.indicators()[0].values.rsi(), 55.5);
  EXPECT_EQ(batch.indicators()[0].version, 9);
  EXPECT_NE(batch.indicator_params()[0].find("\"sma_short_period\":20"),
            std::string::npos);
  ASSERT_EQ(batch.instruments().size(), 1u);
  EXPECT_EQ(batch.instruments()[0].type, v1::INSTRUMENT_TYPE_INDEX);
  EXPECT_EQ(batch.instruments()[0].groups, std::vector<std::string>{"VNINDEX"});
  EXPECT_EQ(batch.offsets().size(), 2u);
}

}  // namespace
}  // namespace vnstream::store
