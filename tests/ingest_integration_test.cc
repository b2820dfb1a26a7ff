// vnstock-sim -> vnstream-ingest -> real Kafka -> a consumer that checks the
// records field by field against the CSV the simulator replays; the
// simulator's faults; a restart of ingest (sequence numbers continue); the
// indices in points; and the universe following listing changes while
// ingest runs.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "libs/market/exchange.h"
#include "libs/vnstock/vci.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream {
namespace {

using ::testing::Gt;
using ::vnstream::testing::HttpGet;
using ::vnstream::testing::HttpPost;
using ::vnstream::testing::MetricValue;
using ::vnstream::testing::Runfile;
using ::vnstream::testing::ServiceProcess;
using ::vnstream::testing::StartService;

testing::KafkaEnvironment* kafka_env = nullptr;

constexpr char kCsv[] = "data/vn30/vn30-daily-2016-2019.csv";
constexpr absl::CivilDay kToday(2019, 6, 14);

// symbol -> date -> bar of the CSV the simulator replays.
using CsvBars =
    std::map<std::string, std::map<absl::CivilDay, market::DailyBar>>;

absl::StatusOr<CsvBars> LoadCsv() {
  absl::StatusOr<market::DailyData> data = market::LoadDailyCsv(Runfile(kCsv));
  if (!data.ok()) return data.status();
  CsvBars out;
  for (const market::SymbolHistory& history : data->symbols) {
    for (const market::DailyBar& bar : history.bars) {
      out[history.symbol][bar.date] = bar;
    }
  }
  return out;
}

struct Topics {
  std::map<std::string, std::vector<v1::Quote>> quotes;
  std::map<std::string, std::vector<v1::IntradayBar>> bars;
  std::map<std::string, std::vector<v1::DailyHistory>> histories;
  std::map<std::string, std::vector<v1::Instrument>> instruments;
  int malformed = 0;
};

// The simulated indices, by vnstream symbol.
const std::vector<std::string> kIndices = {"VNINDEX", "VN30", "HNXINDEX",
                                           "HNX30", "UPCOMINDEX"};

// Reads the four topics from the beginning until `done(topics)` or the
// deadline.
class TopicReader {
 public:
  TopicReader() {
    auto conf =
        kafka::MakeConf({{"bootstrap.servers", kafka_env->bootstrap_servers()},
                         {"group.id", "ingest-test"},
                         {"enable.auto.commit", "false"}});
    std::string error;
    consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
    std::vector<RdKafka::TopicPartition*> parts;
    for (const char* topic :
         {kafka::kPricesTopic, kafka::kIntradayTopic, kafka::kHistoricalTopic,
          kafka::kInstrumentsTopic}) {
      for (int p = 0; p < 6; ++p) {
        parts.push_back(RdKafka::TopicPartition::create(
            topic, p, RdKafka::Topic::OFFSET_BEGINNING));
      }
    }
    consumer_->assign(parts);
    RdKafka::TopicPartition::destroy(parts);
  }
  ~TopicReader() { consumer_->close(); }

  bool ReadUntil(const std::function<bool(const Topics&)>& done,
                 absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done(topics)) {
      if (absl::Now() > deadline) return false;
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(200));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      const std::string topic = m->topic_name();
      if (topic == kafka::kPricesTopic) {
        v1::Quote q;
        if (kafka::DecodeRecord(*m, q).ok()) {
          topics.quotes[q.meta().symbol()].push_back(q);
        } else {
          ++topics.malformed;
        }
      } else if (topic == kafka::kIntradayTopic) {
        v1::IntradayBar b;
        if (kafka::DecodeRecord(*m, b).ok()) {
          topics.bars[b.meta().symbol()].push_back(b);
        } else {
          ++topics.malformed;
        }
      } else if (topic == kafka::kInstrumentsTopic) {
        v1::Instrument i;
        if (kafka::DecodeRecord(*m, i).ok()) {
          topics.instruments[i.meta().symbol()].push_back(i);
        } else {
          ++topics.malformed;
        }
      } else {
        v1::DailyHistory h;
        if (kafka::DecodeRecord(*m, h).ok()) {
          topics.histories[h.meta().symbol()].push_back(h);
        } else {
          ++topics.malformed;
        }
      }
    }
    return true;
  }

  Topics topics;

 private:
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
};

absl::StatusOr<ServiceProcess> StartSim(
    const std::string& name, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {
      absl::StrCat("--csv=", Runfile(kCsv)),
      absl::StrCat("--today=", absl::FormatCivilTime(kToday)),
      "--start_time=10:30",
      "--speed=0",
      "--port=0",
      "--host=127.0.0.1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return StartService(name, "tools/vnstock_sim/vnstock-sim", args,
                      "listening on 127.0.0.1:(\\d+)");
}

absl::StatusOr<ServiceProcess> StartIngest(
    const std::string& name, const std::string& sim_port,
    const std::string& symbols, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {
      absl::StrCat("--kafka_brokers=", kafka_env->bootstrap_servers()),
      absl::StrCat("--vnstock_url=http://127.0.0.1:", sim_port, "/api/"),
      absl::StrCat("--symbols=", symbols),  // Empty: discovery.
      "--ignore_market_hours",
      "--price_interval=1s",
      "--intraday_interval=1s",
      "--history_interval=1s",
      "--history_bars=30",
      "--vnstock_backoff=50ms",
      "--metrics_address=127.0.0.1:0",
      "--grpc_address=127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return StartService(name, "services/ingest/vnstream-ingest", args,
                      "metrics :(\\d+); gRPC :(\\d+)");
}

int64_t Units(const v1::Decimal& d) {
  EXPECT_EQ(d.nanos(), 0);
  return d.units();
}

void ExpectContiguous(const std::vector<uint64_t>& seqs,
                      const std::string& what) {
  for (size_t i = 0; i < seqs.size(); ++i) {
    EXPECT_EQ(seqs[i], i + 1) << what << " seq #" << i;
  }
}

TEST(IngestIntegrationTest, RecordsMatchTheCsvFieldByField) {
  const absl::StatusOr<CsvBars> csv = LoadCsv();
  ASSERT_TRUE(csv.ok()) << csv.status();
  absl::StatusOr<ServiceProcess> sim = StartSim("sim-fields");
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::vector<std::string> symbols = {"FPT", "VCB", "SSI", "HPG", "VIC"};
  absl::StatusOr<ServiceProcess> ingest = StartIngest(
      "ingest-fields", sim->captured[0], absl::StrJoin(symbols, ","));
  ASSERT_TRUE(ingest.ok()) << ingest.status();

  TopicReader reader;
  ASSERT_TRUE(reader.ReadUntil(
      [&](const Topics& t) {
        for (const std::string& s : symbols) {
          if (t.quotes.count(s) == 0 || t.histories.count(s) == 0 ||
              t.bars.count(s) == 0 || t.bars.at(s).size() < 75) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(90)))
      << "not every record arrived; see " << ingest->log_path;
  EXPECT_EQ(reader.topics.malformed, 0);

  for (const std::string& symbol : symbols) {
    SCOPED_TRACE(symbol);
    const auto& rows = csv->at(symbol);
    auto yesterday = rows.find(kToday);
    ASSERT_NE(yesterday, rows.begin());
    --yesterday;
    const market::DailyBar& today = rows.at(kToday);

    // History: the CSV verbatim up to yesterday, then today's partial bar.
    const v1::DailyHistory& h = reader.topics.histories.at(symbol).front();
    EXPECT_EQ(h.meta().seq(), 1u);
    EXPECT_EQ(h.meta().source(), v1::SOURCE_SIMULATOR);
    EXPECT_EQ(market::ToCivilDay(h.meta().trading_date()), kToday);
    ASSERT_EQ(h.bars_size(), 30);
    auto row = rows.find(kToday);
    for (int i = 28; i >= 0; --i) {
      --row;
      const v1::DailyBar& bar = h.bars(i);
      ASSERT_EQ(market::ToCivilDay(bar.date()), row->first) << "bar " << i;
      EXPECT_EQ(Units(bar.open()), row->second.open) << row->first;
      EXPECT_EQ(Units(bar.high()), row->second.high) << row->first;
      EXPECT_EQ(Units(bar.low()), row->second.low) << row->first;
      EXPECT_EQ(Units(bar.close()), row->second.close) << row->first;
      EXPECT_EQ(bar.volume(), row->second.volume) << row->first;
      EXPECT_TRUE(bar.final());
    }
    const v1::DailyBar& partial = h.bars(29);
    EXPECT_EQ(market::ToCivilDay(partial.date()), kToday);

    // Quote: reference = yesterday's close on a tick; band from the rules.
    const v1::Quote& q = reader.topics.quotes.at(symbol).front();
    EXPECT_EQ(q.meta().seq(), 1u);
    EXPECT_EQ(q.meta().source(), v1::SOURCE_SIMULATOR);
    EXPECT_EQ(market::ToCivilDay(q.meta().trading_date()), kToday);
    EXPECT_EQ(q.exchange(), v1::EXCHANGE_HOSE);
    EXPECT_EQ(q.session(), v1::TRADING_SESSION_CONTINUOUS);
    const int64_t reference =
        market::RoundToTick(v1::EXCHANGE_HOSE, yesterday->second.close);
    EXPECT_EQ(Units(q.reference_price()), reference);
    EXPECT_EQ(Units(q.ceiling_price()),
              market::CeilingPrice(v1::EXCHANGE_HOSE, reference));
    EXPECT_EQ(Units(q.floor_price()),
              market::FloorPrice(v1::EXCHANGE_HOSE, reference));
    EXPECT_EQ(market::DecimalToString(q.change()),
              market::DecimalToString(
                  market::Subtract(q.last_price(), q.reference_price())));
    EXPECT_EQ(market::DecimalToString(q.percent_change()),
              market::DecimalToString(
                  *market::PercentOf(q.change(), q.reference_price())));
    EXPECT_GE(q.bids_size(), 1);
    EXPECT_EQ(Units(partial.close()), Units(q.last_price()));
    EXPECT_EQ(Units(partial.high()), Units(q.high_price()));
    EXPECT_EQ(Units(partial.low()), Units(q.low_price()));
    EXPECT_EQ(partial.volume(), q.total_volume());

    // Intraday: the minutes so far, consistent with the quote and the day.
    const std::vector<v1::IntradayBar>& bars = reader.topics.bars.at(symbol);
    // Frozen at 10:30:00: the minutes 09:15 .. 10:29.
    EXPECT_EQ(bars.size(), 75u);
    int64_t volume = 0;
    int64_t high = 0;
    int64_t low = INT64_MAX;
    std::vector<uint64_t> seqs;
    std::set<int64_t> starts;
    for (const v1::IntradayBar& bar : bars) {
      seqs.push_back(bar.meta().seq());
      EXPECT_TRUE(starts.insert(bar.start_time().seconds()).second)
          << "one record per bar";
      EXPECT_EQ(market::ToCivilDay(bar.meta().trading_date()), kToday);
      for (const v1::Decimal* p :
           {&bar.open(), &bar.high(), &bar.low(), &bar.close()}) {
        const int64_t price = Units(*p);
        EXPECT_EQ(price % market::TickSize(v1::EXCHANGE_HOSE, price), 0)
            << price;
        EXPECT_GE(price, Units(q.floor_price()));
        EXPECT_LE(price, Units(q.ceiling_price()));
      }
      volume += bar.volume();
      high = std::max(high, Units(bar.high()));
      low = std::min(low, Units(bar.low()));
    }
    ExpectContiguous(seqs, "intraday");
    const absl::CivilMinute first_minute =
        absl::ToCivilMinute(market::FromTimestamp(bars.front().start_time()),
                            market::VietnamTime());
    EXPECT_EQ(first_minute.hour(), 9);
    EXPECT_EQ(first_minute.minute(), 15);
    EXPECT_EQ(Units(bars.front().open()),
              std::clamp(market::RoundToTick(v1::EXCHANGE_HOSE, today.open),
                         Units(q.floor_price()), Units(q.ceiling_price())));
    EXPECT_EQ(volume, q.total_volume());
    EXPECT_EQ(high, Units(q.high_price()));
    EXPECT_EQ(low, Units(q.low_price()));
    EXPECT_EQ(Units(bars.back().close()), Units(q.last_price()));
  }

  absl::StatusOr<std::string> metrics = HttpGet(
      absl::StrCat("http://127.0.0.1:", ingest->captured[0], "/metrics"));
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(MetricValue(*metrics, "vnstream_ingest_records_produced_total",
                          {{"topic", "stock-prices"}}),
              ::testing::Optional(Gt(4)));
  EXPECT_THAT(
      MetricValue(*metrics, "vnstream_ingest_last_publish_timestamp_seconds",
                  {{"topic", "stock-historical"}}),
      ::testing::Optional(Gt(1.7e9)));
  EXPECT_TRUE(MetricValue(*metrics,
                          "vnstream_ingest_cycle_duration_seconds_count",
                          {{"schedule", "prices"}})
                  .has_value());
}

// The simulator injects each fault kind in turn on the price board; ingest
// retries what is retryable, honours Retry-After, never publishes garbage,
// and counts every failure.
TEST(IngestIntegrationTest, RecoversFromEveryFaultAndPublishesNothingInvalid) {
  absl::StatusOr<ServiceProcess> sim = StartSim("sim-faults");
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::string sim_url =
      absl::StrCat("http://127.0.0.1:", sim->captured[0]);
  absl::StatusOr<ServiceProcess> ingest =
      StartIngest("ingest-faults", sim->captured[0], "MWG,MSN",
                  {"--intraday_interval=1h", "--history_interval=1h"});
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  const std::string metrics_url =
      absl::StrCat("http://127.0.0.1:", ingest->captured[0], "/metrics");
  TopicReader reader;
  auto quotes_of = [&](size_t n) {
    return [n](const Topics& t) {
      return t.quotes.count("MWG") && t.quotes.count("MSN") &&
             t.quotes.at("MWG").size() >= n && t.quotes.at("MSN").size() >= n;
    };
  };
  ASSERT_TRUE(reader.ReadUntil(quotes_of(1), absl::Seconds(60)));

  auto outcome = [&](const std::string& name) {
    absl::StatusOr<std::string> text = HttpGet(metrics_url);
    return text.ok()
               ? MetricValue(*text, "vnstream_vnstock_requests_total",
                             {{"endpoint", "price_board"}, {"outcome", name}})
                     .value_or(0)
               : -1;
  };
  struct Step {
    std::string fault;  // The fault rule's JSON fields.
    std::string outcome;
    std::string clock;  // Virtual time after the fault: new prices.
  };
  const std::vector<Step> steps = {
      {R"("kind":"http_500","count":2)", "http_5xx", "10:31"},
      {R"("kind":"http_429","count":1,"retry_after_s":1)", "http_429", "10:32"},
      {R"("kind":"truncated","count":1)", "bad_response", "10:33"},
      {R"("kind":"http_403","count":1)", "http_403", "10:34"},
      {R"("kind":"cloudflare_1015","count":1,"retry_after_s":1)", "http_429",
       "10:35"},
  };
  size_t expected_quotes = 1;
  for (const Step& step : steps) {
    SCOPED_TRACE(step.fault);
    const double before = outcome(step.outcome);
    ASSERT_TRUE(
        HttpPost(sim_url + "/sim/faults",
                 absl::StrCat(R"({"route":"price_board",)", step.fault, "}"))
            .ok());
    ASSERT_TRUE(HttpPost(sim_url + "/sim/clock",
                         absl::StrCat(R"({"time":")", step.clock, R"("})"))
                    .ok());
    ++expected_quotes;
    ASSERT_TRUE(reader.ReadUntil(quotes_of(expected_quotes), absl::Seconds(60)))
        << "no recovery; see " << ingest->log_path;
    EXPECT_GT(outcome(step.outcome), before);
  }
  // An empty board: the symbols are reported missing, nothing is published.
  ASSERT_TRUE(HttpPost(sim_url + "/sim/faults",
                       R"({"route":"price_board","kind":"empty",
                                                    "count":2})")
                  .ok());
  ASSERT_TRUE(vnstream::PollUntil(
      [&] {
        absl::StatusOr<std::string> text = HttpGet(metrics_url);
        return text.ok() &&
               MetricValue(*text, "vnstream_ingest_symbols_missing_total",
                           {{"schedule", "prices"}})
                       .value_or(0) >= 4;
      },
      absl::Seconds(30)));
  absl::StatusOr<std::string> text = HttpGet(metrics_url);
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(MetricValue(*text, "vnstream_vnstock_retries_total",
                          {{"endpoint", "price_board"}}),
              ::testing::Optional(::testing::Ge(4)));

  // Every quote that reached Kafka is valid and numbered without gaps.
  for (const std::string symbol : {"MWG", "MSN"}) {
    std::vector<uint64_t> seqs;
    for (const v1::Quote& q : reader.topics.quotes.at(symbol)) {
      seqs.push_back(q.meta().seq());
      EXPECT_LE(market::Compare(q.floor_price(), q.last_price()), 0);
      EXPECT_LE(market::Compare(q.last_price(), q.ceiling_price()), 0);
      EXPECT_LE(market::Compare(q.low_price(), q.last_price()), 0);
      EXPECT_LE(market::Compare(q.last_price(), q.high_price()), 0);
    }
    ExpectContiguous(seqs, symbol);
  }
  EXPECT_EQ(reader.topics.malformed, 0);
}

// A quote's session and trading date are the simulator's (its virtual clock
// is on 2019-06-14, whatever the real clock says): the ATO before the first
// match, when the board has no match time; CLOSED after the close, when the
// last match was the 14:45 ATC.
TEST(IngestIntegrationTest, QuotesCarryTheSimulatorsSession) {
  absl::StatusOr<ServiceProcess> sim = StartSim("sim-session");
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::string sim_url =
      absl::StrCat("http://127.0.0.1:", sim->captured[0]);
  ASSERT_TRUE(HttpPost(sim_url + "/sim/clock", R"({"time":"09:05"})").ok());
  absl::StatusOr<ServiceProcess> ingest =
      StartIngest("ingest-session", sim->captured[0], "SAB",
                  {"--intraday_interval=1h", "--history_interval=1h"});
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  TopicReader reader;
  auto quotes_of = [](size_t n) {
    return [n](const Topics& t) {
      return t.quotes.count("SAB") && t.quotes.at("SAB").size() >= n;
    };
  };
  ASSERT_TRUE(reader.ReadUntil(quotes_of(1), absl::Seconds(60)));
  const v1::Quote before = reader.topics.quotes.at("SAB")[0];
  EXPECT_FALSE(before.has_last_price());
  EXPECT_FALSE(before.has_exchange_time());
  EXPECT_EQ(before.session(), v1::TRADING_SESSION_ATO);
  EXPECT_EQ(market::ToCivilDay(before.meta().trading_date()), kToday);

  ASSERT_TRUE(HttpPost(sim_url + "/sim/clock", R"({"time":"15:05"})").ok());
  ASSERT_TRUE(reader.ReadUntil(quotes_of(2), absl::Seconds(60)));
  const v1::Quote after = reader.topics.quotes.at("SAB")[1];
  EXPECT_TRUE(after.has_last_price());
  EXPECT_EQ(after.session(), v1::TRADING_SESSION_CLOSED);
  EXPECT_EQ(market::FromTimestamp(after.exchange_time()),
            absl::FromCivil(absl::CivilSecond(2019, 6, 14, 14, 45, 0),
                            market::VietnamTime()));
  EXPECT_EQ(market::ToCivilDay(after.meta().trading_date()), kToday);
}

// A restarted ingest continues every sequence where Kafka ends and does not
// republish what did not change.
TEST(IngestIntegrationTest, RestartContinuesSequences) {
  absl::StatusOr<ServiceProcess> sim = StartSim("sim-restart");
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::string sim_url =
      absl::StrCat("http://127.0.0.1:", sim->captured[0]);
  const std::vector<std::string> args = {"--history_bars=10"};
  absl::StatusOr<ServiceProcess> ingest =
      StartIngest("ingest-restart-1", sim->captured[0], "GAS,VNM", args);
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  TopicReader reader;
  auto have = [](size_t quotes, size_t histories, size_t bars) {
    return [=](const Topics& t) {
      for (const char* s : {"GAS", "VNM"}) {
        if (!t.quotes.count(s) || t.quotes.at(s).size() < quotes ||
            !t.histories.count(s) || t.histories.at(s).size() < histories ||
            !t.bars.count(s) || t.bars.at(s).size() < bars) {
          return false;
        }
      }
      // The indices' quotes too (they need the indices' history first).
      for (const std::string& index : kIndices) {
        if (!t.quotes.count(index)) return false;
      }
      return true;
    };
  };
  ASSERT_TRUE(reader.ReadUntil(have(1, 1, 75), absl::Seconds(60)));
  ASSERT_TRUE(ingest->process->Terminate().ok());

  absl::StatusOr<ServiceProcess> again =
      StartIngest("ingest-restart-2", sim->captured[0], "GAS,VNM", args);
  ASSERT_TRUE(again.ok()) << again.status();
  // The first poll after the restart: 2 stocks and 5 indices, unchanged.
  absl::StatusOr<std::vector<std::string>> first_poll =
      vnstream::testing::WaitForLog(
          *again,
          "prices poll [a-z]+: fetched \\d+, published (\\d+), "
          "unchanged (\\d+)",
          absl::Seconds(60));
  ASSERT_TRUE(first_poll.ok()) << first_poll.status();
  EXPECT_EQ((*first_poll)[0], "0")
      << "the restarted ingest republished unchanged quotes";
  EXPECT_EQ((*first_poll)[1], "7");
  // New prices: the sequences continue.
  ASSERT_TRUE(HttpPost(sim_url + "/sim/clock", R"({"time":"10:40"})").ok());
  ASSERT_TRUE(reader.ReadUntil(have(2, 2, 85), absl::Seconds(60)));
  for (const char* symbol : {"GAS", "VNM"}) {
    SCOPED_TRACE(symbol);
    std::vector<uint64_t> seqs;
    for (const auto& q : reader.topics.quotes.at(symbol))
      seqs.push_back(q.meta().seq());
    ExpectContiguous(seqs, "quotes");
    seqs.clear();
    for (const auto& h : reader.topics.histories.at(symbol))
      seqs.push_back(h.meta().seq());
    ExpectContiguous(seqs, "history");
    seqs.clear();
    std::set<std::pair<int64_t, uint32_t>> versions;
    for (const auto& b : reader.topics.bars.at(symbol)) {
      seqs.push_back(b.meta().seq());
      EXPECT_TRUE(
          versions.insert({b.start_time().seconds(), b.revision()}).second)
          << "a bar version published twice";
    }
    ExpectContiguous(seqs, "intraday");
  }
}

// The sim's bars of `symbol` (gap-chart), parsed as ingest parses them.
std::vector<vnstock::RawBar> SimBars(const std::string& sim_url,
                                     const std::string& symbol,
                                     vnstock::TimeFrame frame, int count,
                                     absl::CivilDay today) {
  const std::vector<std::string> symbols = {symbol};
  absl::StatusOr<std::string> body = HttpPost(
      sim_url + "/api/chart/OHLCChart/gap-chart",
      vnstock::GapChartRequest(
          symbols, frame,
          absl::FromCivil(absl::CivilSecond(today + 1), absl::UTCTimeZone()),
          count));
  EXPECT_TRUE(body.ok()) << body.status();
  vnstock::Rejections rejected;
  absl::StatusOr<std::vector<vnstock::SymbolBars>> series =
      vnstock::ParseGapChart(body.value_or("[]"), &rejected);
  EXPECT_TRUE(series.ok() && series->size() == 1 && rejected.empty() &&
              !(*series)[0].bars.empty())
      << symbol << ": " << body.value_or("");
  return series.ok() && series->size() == 1 ? (*series)[0].bars
                                            : std::vector<vnstock::RawBar>{};
}

std::string Text(const v1::Decimal& d) { return market::DecimalToString(d); }

// VNINDEX, VN30, HNXINDEX, HNX30 and UPCOMINDEX flow like stocks: quotes,
// 1-minute bars and daily history in points, typed INDEX, equal to what
// the simulator computes; the instruments topic describes them. The other
// tests publish the indices of 2019-06-14 to the same broker: this one
// serves the same prices as the next trading day, 2019-06-17, and looks at
// that day's records only.
TEST(IngestIntegrationTest, IndicesFlowInPointsTypedIndex) {
  constexpr absl::CivilDay kDay(2019, 6, 17);
  absl::StatusOr<ServiceProcess> sim =
      StartSim("sim-indices", {"--today=2019-06-17"});
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::string sim_url =
      absl::StrCat("http://127.0.0.1:", sim->captured[0]);
  std::map<std::string, std::vector<vnstock::RawBar>> minutes, days;
  for (const std::string& index : kIndices) {
    minutes[index] =
        SimBars(sim_url, index, vnstock::TimeFrame::kOneMinute, 1000, kDay);
    days[index] =
        SimBars(sim_url, index, vnstock::TimeFrame::kOneDay, 30, kDay);
    ASSERT_GT(minutes[index].size(), 60u) << index;
    ASSERT_EQ(days[index].size(), 30u) << index;
  }
  absl::StatusOr<ServiceProcess> ingest =
      StartIngest("ingest-indices", sim->captured[0], "CTD");
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  // This day's records of each kind.
  auto of_day = [&](const auto& records) {
    std::remove_cvref_t<decltype(records)> out;
    for (const auto& r : records) {
      if (market::ToCivilDay(r.meta().trading_date()) == kDay) out.push_back(r);
    }
    return out;
  };
  TopicReader reader;
  ASSERT_TRUE(reader.ReadUntil(
      [&](const Topics& t) {
        for (const std::string& s : kIndices) {
          if (!t.quotes.count(s) || of_day(t.quotes.at(s)).empty() ||
              !t.histories.count(s) || of_day(t.histories.at(s)).empty() ||
              !t.instruments.count(s) || !t.bars.count(s) ||
              of_day(t.bars.at(s)).size() < minutes[s].size()) {
            return false;
          }
          // Until this run's first history poll, the reference may come
          // from the history recovered from the other tests' runs (the
          // sim maps the CSV onto other dates there): the quote is
          // republished once the reference changes.
          if (market::DecimalToString(
                  of_day(t.quotes.at(s)).back().reference_price()) !=
              market::DecimalToString(days[s][28].close)) {
            return false;
          }
        }
        return t.quotes.count("CTD") && t.bars.count("CTD") &&
               t.histories.count("CTD") && t.instruments.count("CTD");
      },
      absl::Seconds(90)))
      << "not every record arrived; see " << ingest->log_path;
  EXPECT_EQ(reader.topics.malformed, 0);

  bool fractional = false;
  for (const std::string& index : kIndices) {
    SCOPED_TRACE(index);
    const std::vector<vnstock::RawBar>& sim_days = days[index];
    const std::vector<vnstock::RawBar>& sim_minutes = minutes[index];
    // History: the sim's daily bars exactly, in points.
    const v1::DailyHistory h = of_day(reader.topics.histories.at(index)).back();
    EXPECT_EQ(h.meta().instrument_type(), v1::INSTRUMENT_TYPE_INDEX);
    EXPECT_EQ(h.meta().source(), v1::SOURCE_SIMULATOR);
    ASSERT_EQ(h.bars_size(), 30);
    for (int i = 0; i < 30; ++i) {
      const v1::DailyBar& bar = h.bars(i);
      const vnstock::RawBar& want = sim_days[i];
      EXPECT_EQ(market::ToCivilDay(bar.date()),
                absl::ToCivilDay(want.time, absl::UTCTimeZone()));
      EXPECT_EQ(Text(bar.open()), Text(want.open)) << i;
      EXPECT_EQ(Text(bar.high()), Text(want.high)) << i;
      EXPECT_EQ(Text(bar.low()), Text(want.low)) << i;
      EXPECT_EQ(Text(bar.close()), Text(want.close)) << i;
      EXPECT_EQ(bar.volume(), want.volume) << i;
      fractional |= bar.close().nanos() != 0;
    }
    // 1-minute bars: the sim's, one record each (frozen clock).
    const std::vector<v1::IntradayBar> bars =
        of_day(reader.topics.bars.at(index));
    ASSERT_EQ(bars.size(), sim_minutes.size());
    std::vector<uint64_t> seqs;
    for (size_t i = 0; i < bars.size(); ++i) {
      EXPECT_EQ(bars[i].meta().instrument_type(), v1::INSTRUMENT_TYPE_INDEX);
      EXPECT_EQ(market::FromTimestamp(bars[i].start_time()),
                sim_minutes[i].time);
      EXPECT_EQ(Text(bars[i].close()), Text(sim_minutes[i].close));
      EXPECT_EQ(Text(bars[i].high()), Text(sim_minutes[i].high));
      seqs.push_back(bars[i].meta().seq());
    }
    ExpectContiguous(seqs, "intraday");
    // The quote: the newest minute against yesterday's close.
    const v1::Quote q = of_day(reader.topics.quotes.at(index)).back();
    EXPECT_EQ(q.meta().instrument_type(), v1::INSTRUMENT_TYPE_INDEX);
    EXPECT_EQ(Text(q.last_price()), Text(sim_minutes.back().close));
    EXPECT_EQ(Text(q.reference_price()), Text(sim_days[28].close));
    EXPECT_EQ(Text(q.change()), Text(market::Subtract(sim_minutes.back().close,
                                                      sim_days[28].close)));
    EXPECT_EQ(Text(q.high_price()), Text(sim_days[29].high));
    EXPECT_EQ(Text(q.low_price()), Text(sim_days[29].low));
    EXPECT_EQ(q.total_volume(), sim_days[29].volume);
    EXPECT_FALSE(q.has_ceiling_price());
    // The instrument.
    const v1::Instrument& i = reader.topics.instruments.at(index).back();
    EXPECT_EQ(i.meta().instrument_type(), v1::INSTRUMENT_TYPE_INDEX);
    EXPECT_TRUE(i.listed());
    EXPECT_THAT(i.name(), ::testing::HasSubstr("(simulated)"));
  }
  EXPECT_TRUE(fractional) << "index points carry decimals";
  EXPECT_EQ(reader.topics.instruments.at("UPCOMINDEX").back().exchange(),
            v1::EXCHANGE_UPCOM);
  EXPECT_EQ(reader.topics.instruments.at("HNX30").back().exchange(),
            v1::EXCHANGE_HNX);

  // The stock next to them is typed STOCK everywhere.
  EXPECT_EQ(reader.topics.quotes.at("CTD").back().meta().instrument_type(),
            v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_EQ(reader.topics.bars.at("CTD").back().meta().instrument_type(),
            v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_EQ(reader.topics.histories.at("CTD").back().meta().instrument_type(),
            v1::INSTRUMENT_TYPE_STOCK);
  const v1::Instrument& ctd = reader.topics.instruments.at("CTD").back();
  EXPECT_EQ(ctd.name(), "Cotec Construction JSC");
  EXPECT_EQ(ctd.exchange(), v1::EXCHANGE_HOSE);
  EXPECT_THAT(ctd.groups(), ::testing::ElementsAre("VN30"));
  EXPECT_TRUE(ctd.listed());
}

// Discovery (no --symbols): the sim's listing is the universe. A symbol
// listed and one delisted while ingest runs are picked up without a
// restart: the new one is published and polled, the delisted one gets a
// last Instrument with listed = false and is no longer polled.
TEST(IngestIntegrationTest, UniverseFollowsTheListingWithoutRestart) {
  absl::StatusOr<ServiceProcess> sim =
      StartSim("sim-universe", {"--delisted=TCB"});
  ASSERT_TRUE(sim.ok()) << sim.status();
  const std::string sim_url =
      absl::StrCat("http://127.0.0.1:", sim->captured[0]);
  absl::StatusOr<ServiceProcess> ingest =
      StartIngest("ingest-universe", sim->captured[0], "",
                  {"--universe_interval=2s", "--universe_retry=1s",
                   "--indices=VNINDEX", "--intraday_interval=1h"});
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  const std::string metrics_url =
      absl::StrCat("http://127.0.0.1:", ingest->captured[0], "/metrics");
  ASSERT_TRUE(vnstream::testing::WaitForLog(*ingest,
                                            "polling 21 securities and 1 "
                                            "indices",
                                            absl::Seconds(60))
                  .ok());
  auto newest = [](const Topics& t, const std::string& symbol) {
    return t.instruments.count(symbol) ? &t.instruments.at(symbol).back()
                                       : nullptr;
  };
  TopicReader reader;
  ASSERT_TRUE(reader.ReadUntil(
      [&](const Topics& t) {
        const v1::Instrument* fpt = newest(t, "FPT");
        return fpt != nullptr && fpt->listed() && t.quotes.count("VRE") &&
               t.quotes.count("CTD") && newest(t, "VNINDEX") != nullptr;
      },
      absl::Seconds(60)));
  EXPECT_EQ(newest(reader.topics, "TCB"), nullptr);
  EXPECT_EQ(reader.topics.quotes.count("TCB"), 0u);

  // TCB is listed: an Instrument, then its data, same process.
  ASSERT_TRUE(
      HttpPost(sim_url + "/sim/listing", R"({"symbol":"TCB","listed":true})")
          .ok());
  ASSERT_TRUE(reader.ReadUntil(
      [&](const Topics& t) {
        const v1::Instrument* tcb = newest(t, "TCB");
        return tcb != nullptr && tcb->listed() && t.quotes.count("TCB") &&
               t.histories.count("TCB");
      },
      absl::Seconds(60)))
      << "TCB was not picked up; see " << ingest->log_path;
  const v1::Instrument& tcb = *newest(reader.topics, "TCB");
  EXPECT_EQ(tcb.meta().seq(), 1u);
  EXPECT_EQ(tcb.meta().instrument_type(), v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_EQ(tcb.exchange(), v1::EXCHANGE_HOSE);
  EXPECT_FALSE(tcb.name().empty());
  EXPECT_EQ(reader.topics.quotes.at("TCB").front().meta().seq(), 1u);

  // FPT is delisted: one last Instrument with listed = false.
  ASSERT_TRUE(
      HttpPost(sim_url + "/sim/listing", R"({"symbol":"FPT","listed":false})")
          .ok());
  ASSERT_TRUE(reader.ReadUntil(
      [&](const Topics& t) { return !newest(t, "FPT")->listed(); },
      absl::Seconds(60)));
  const v1::Instrument& fpt = *newest(reader.topics, "FPT");
  EXPECT_EQ(fpt.name(), reader.topics.instruments.at("FPT").front().name());
  EXPECT_EQ(fpt.meta().seq(),
            reader.topics.instruments.at("FPT").end()[-2].meta().seq() + 1);
  // ... and it is no longer polled: once the refresh is applied, the price
  // polls stop reporting it missing.
  ASSERT_TRUE(vnstream::testing::WaitForLog(
                  *ingest, "universe: 21 securities .* 1 delisted now",
                  absl::Seconds(30))
                  .ok());
  auto metric =
      [&](const std::string& name,
          const std::vector<std::pair<std::string, std::string>>& labels) {
        absl::StatusOr<std::string> text = HttpGet(metrics_url);
        return text.ok() ? MetricValue(*text, name, labels).value_or(0) : -1;
      };
  auto polls = [&] {
    return metric("vnstream_ingest_cycles_total",
                  {{"schedule", "prices"}, {"result", "ok"}});
  };
  auto missing = [&] {
    return metric("vnstream_ingest_symbols_missing_total",
                  {{"schedule", "prices"}});
  };
  // A poll that started before the switch may still ask for FPT.
  const double switched = polls() + 1;
  ASSERT_TRUE(vnstream::PollUntil([&] { return polls() >= switched; },
                                  absl::Seconds(30)));
  const double missing_before = missing();
  const double polls_before = polls();
  ASSERT_TRUE(vnstream::PollUntil([&] { return polls() >= polls_before + 3; },
                                  absl::Seconds(30)));
  EXPECT_EQ(missing(), missing_before)
      << "FPT is still requested; see " << ingest->log_path;
  EXPECT_TRUE(ingest->process->Running()) << "no restart";
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
