#include "tests/analytics_scenario.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/decimal.h"
#include "services/analytics/breadth.h"
#include "services/analytics/processor.h"

namespace vnstream::testing {
namespace {

// Six VN30 stocks with real daily prices (all in the shipped VN30 group)
// and one HNX stock with 1-minute bars and quotes only.
const std::vector<std::string> kDailySymbols = {"FPT", "VCB", "HPG",
                                                "MWG", "SSI", "VNM"};
const std::vector<std::string> kSymbols = {"FPT", "VCB", "HPG", "MWG",
                                           "SSI", "VNM", "SHS"};
constexpr int kMinutesPerDay = 60;
constexpr int kQuotesPerPhase = 7;
const absl::CivilDay kFirstDay(2026, 3, 2);

const std::map<std::string, std::vector<v1::DailyBar>>& DailyBars() {
  static const auto* bars = [] {
    auto* out = new std::map<std::string, std::vector<v1::DailyBar>>();
    absl::StatusOr<market::DailyData> data =
        market::LoadDailyCsv(Runfile("data/vn30/vn30-daily-2016-2019.csv"));
    if (!data.ok()) return out;
    for (const market::SymbolHistory& history : data->symbols) {
      for (const market::DailyBar& row : history.bars) {
        v1::DailyBar& bar = (*out)[history.symbol].emplace_back();
        *bar.mutable_date() = market::ToDate(row.date);
        *bar.mutable_open() = market::MakeDecimal(row.open);
        *bar.mutable_high() = market::MakeDecimal(row.high);
        *bar.mutable_low() = market::MakeDecimal(row.low);
        *bar.mutable_close() = market::MakeDecimal(row.close);
        bar.set_volume(row.volume);
        bar.set_final(true);
      }
    }
    return out;
  }();
  return *bars;
}

v1::RecordMeta Meta(const std::string& symbol, uint64_t seq,
                    absl::CivilDay day) {
  v1::RecordMeta meta;
  meta.set_symbol(symbol);
  meta.set_seq(seq);
  meta.set_source(v1::SOURCE_REPLAY);
  *meta.mutable_fetched_at() = market::ToTimestamp(absl::Now());
  *meta.mutable_trading_date() = market::ToDate(day);
  return meta;
}

// The symbol's first 100 + seq daily bars.
v1::DailyHistory History(const std::string& symbol, uint64_t seq) {
  const std::vector<v1::DailyBar>& bars = DailyBars().at(symbol);
  v1::DailyHistory h;
  for (size_t i = 0; i < 100 + seq && i < bars.size(); ++i) {
    *h.add_bars() = bars[i];
  }
  *h.mutable_meta() =
      Meta(symbol, seq, market::ToCivilDay(h.bars(h.bars_size() - 1).date()));
  return h;
}

v1::IntradayBar Bar(const std::string& symbol, uint64_t seq, absl::CivilDay day,
                    int minute, int64_t close, int64_t volume, bool final,
                    uint32_t revision) {
  v1::IntradayBar bar;
  *bar.mutable_meta() = Meta(symbol, seq, day);
  *bar.mutable_start_time() = market::ToTimestamp(absl::FromCivil(
      absl::CivilMinute(day) + 9 * 60 + 15 + minute, market::VietnamTime()));
  *bar.mutable_open() = market::MakeDecimal(close - 50);
  *bar.mutable_high() = market::MakeDecimal(close + 100);
  *bar.mutable_low() = market::MakeDecimal(close - 100);
  *bar.mutable_close() = market::MakeDecimal(close);
  bar.set_volume(volume);
  bar.set_final(final);
  bar.set_revision(revision);
  return bar;
}

v1::Quote MakeQuote(int s, const std::string& symbol, uint64_t seq,
                    absl::CivilDay day, int update) {
  const int64_t reference = 20'000 + 1'000 * s;
  const int64_t ceiling = reference * 107 / 100 / 100 * 100;
  const int64_t floor = (reference * 93 + 9'999) / 100 / 100 * 100;
  // Up, down, at the ceiling, at the floor, unchanged, no trade yet.
  const int64_t moves[] = {0, 300, -200, ceiling - reference, floor - reference,
                           0, 100};
  const int which = (update + s) % 7;
  v1::Quote q;
  *q.mutable_meta() = Meta(symbol, seq, day);
  q.set_exchange(symbol == "SHS" ? v1::EXCHANGE_HNX : v1::EXCHANGE_HOSE);
  *q.mutable_reference_price() = market::MakeDecimal(reference);
  *q.mutable_ceiling_price() = market::MakeDecimal(ceiling);
  *q.mutable_floor_price() = market::MakeDecimal(floor);
  if (which == 0) return q;  // No match yet.
  const int64_t last = reference + moves[which];
  *q.mutable_last_price() = market::MakeDecimal(last);
  *q.mutable_average_price() = market::MakeDecimal(last, 250'000'000);
  *q.mutable_change() = market::MakeDecimal(last - reference);
  *q.mutable_percent_change() =
      *market::PercentOf(q.change(), q.reference_price());
  q.set_total_volume(1'000 * (update + 1) + 10 * s);
  *q.mutable_total_value() = market::MakeDecimal(q.total_volume() * last);
  q.set_foreign_buy_volume(100 * s + update);
  q.set_foreign_sell_volume(50 * update);
  return q;
}

analytics::ProcessorOptions ReferenceOptions() {
  analytics::ProcessorOptions options;
  options.groups = {{"VN30", {kDailySymbols.begin(), kDailySymbols.end()}}};
  return options;
}

// What one processor computes from `inputs` fed in order: the enriched
// bars' indicators and the signals.
struct Reference {
  std::map<std::tuple<std::string, absl::CivilDay, uint64_t>, std::string>
      intraday_indicators;
  std::set<std::tuple<std::string, int, int64_t, int>> signals;
};

Reference ComputeReference(const Inputs& inputs) {
  prometheus::Registry registry;
  analytics::AnalyticsProcessor processor(ReferenceOptions(), registry);
  std::vector<analytics::Output> out;
  for (const v1::DailyHistory& h : inputs.histories) {
    EXPECT_TRUE(processor.Process(0, h, &out).ok());
  }
  for (const v1::IntradayBar& b : inputs.bars) {
    EXPECT_TRUE(processor.Process(0, b, &out).ok());
  }
  Reference reference;
  for (const analytics::Output& o : out) {
    if (o.record.topic == kafka::kIntradayAnalyticsTopic) {
      v1::EnrichedIntradayBar e;
      EXPECT_TRUE(e.ParseFromString(o.record.value));
      reference.intraday_indicators[{
          e.meta().symbol(), market::ToCivilDay(e.meta().trading_date()),
          e.meta().seq()}] = e.indicators().SerializeAsString();
    } else if (o.record.topic == kafka::kSignalsTopic) {
      v1::Signal s;
      EXPECT_TRUE(s.ParseFromString(o.record.value));
      reference.signals.insert(
          {s.meta().symbol(), s.interval(), s.bar_start().seconds(), s.kind()});
    }
  }
  return reference;
}

template <typename Record>
std::vector<std::pair<int32_t, Record>> Decode(
    const std::vector<Committed>& records, std::vector<std::string>* problems) {
  std::vector<std::pair<int32_t, Record>> out;
  for (const Committed& c : records) {
    Record r;
    if (!r.ParseFromString(c.value) || r.meta().symbol() != c.key) {
      problems->push_back(absl::StrCat(
          "undecodable ", Record::descriptor()->name(), " key ", c.key));
      continue;
    }
    out.emplace_back(c.partition, std::move(r));
  }
  return out;
}

// "1..n" check of a list of seqs.
bool Contiguous(std::vector<uint64_t> seqs) {
  std::sort(seqs.begin(), seqs.end());
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (seqs[i] != i + 1) return false;
  }
  return true;
}

std::vector<std::string> Symbols(std::vector<v1::Mover> movers,
                                 bool (*before)(const v1::Mover&,
                                                const v1::Mover&)) {
  std::sort(movers.begin(), movers.end(), before);
  std::vector<std::string> out;
  for (size_t i = 0; i < movers.size() && i < 10; ++i) {
    out.push_back(movers[i].symbol());
  }
  return out;
}

bool Gainer(const v1::Mover& a, const v1::Mover& b) {
  const int c = market::Compare(a.percent_change(), b.percent_change());
  return c != 0 ? c > 0 : a.symbol() < b.symbol();
}
bool Loser(const v1::Mover& a, const v1::Mover& b) {
  const int c = market::Compare(a.percent_change(), b.percent_change());
  return c != 0 ? c < 0 : a.symbol() < b.symbol();
}
bool ByValue(const v1::Mover& a, const v1::Mover& b) {
  const int c = market::Compare(a.total_value(), b.total_value());
  return c != 0 ? c > 0 : a.symbol() < b.symbol();
}

// Everything that is not (yet) as it should be.
std::vector<std::string> Problems(const std::string& brokers,
                                  const Inputs& inputs,
                                  const Reference& reference,
                                  OutputCounts* counts) {
  std::vector<std::string> problems;
  auto problem = [&](auto&&... parts) {
    if (problems.size() < 20) problems.push_back(absl::StrCat(parts...));
  };

  // stock-analytics: one per history, the library's numbers.
  const auto analytics = Decode<v1::EnrichedHistory>(
      ReadCommitted(brokers, kafka::kAnalyticsTopic), &problems);
  counts->analytics = analytics.size();
  std::map<std::pair<std::string, uint64_t>, int> copies;
  std::map<std::pair<std::string, uint64_t>, const v1::DailyHistory*> wanted;
  for (const v1::DailyHistory& h : inputs.histories) {
    wanted[{h.meta().symbol(), h.meta().seq()}] = &h;
  }
  for (const auto& [partition, e] : analytics) {
    const auto key = std::pair(e.meta().symbol(), e.meta().seq());
    if (++copies[key] > 1) problem("duplicate ", key.first, " ", key.second);
    auto it = wanted.find(key);
    if (it == wanted.end()) {
      problem("unexpected history output ", key.first, " ", key.second);
      continue;
    }
    v1::EnrichedHistory expected;
    EXPECT_TRUE(
        indicators::Enrich(*it->second, indicators::Params(), &expected).ok());
    for (int i = 0; i < expected.bars_size(); ++i) {
      if (i >= e.bars_size() || e.bars(i).SerializeAsString() !=
                                    expected.bars(i).SerializeAsString()) {
        problem("history ", key.first, " ", key.second, " bar ", i,
                " differs from the library");
        break;
      }
    }
  }
  if (copies.size() != wanted.size()) {
    problem("stock-analytics has ", copies.size(), " of ", wanted.size(),
            " histories");
  }

  // stock-intraday-analytics: one per bar, the reference's numbers.
  const auto intraday = Decode<v1::EnrichedIntradayBar>(
      ReadCommitted(brokers, kafka::kIntradayAnalyticsTopic), &problems);
  counts->intraday = intraday.size();
  std::map<std::tuple<std::string, absl::CivilDay, uint64_t>, int> bar_copies;
  int with_profile = 0;
  for (const auto& [partition, e] : intraday) {
    const auto key =
        std::tuple(e.meta().symbol(),
                   market::ToCivilDay(e.meta().trading_date()), e.meta().seq());
    if (++bar_copies[key] > 1) {
      problem("duplicate bar ", e.meta().symbol(), " seq ", e.meta().seq());
    }
    auto it = reference.intraday_indicators.find(key);
    if (it == reference.intraday_indicators.end()) {
      problem("unexpected bar ", e.meta().symbol(), " seq ", e.meta().seq());
    } else if (it->second != e.indicators().SerializeAsString()) {
      problem("bar ", e.meta().symbol(), " ",
              absl::FormatCivilTime(std::get<1>(key)), " seq ", e.meta().seq(),
              ": indicators differ from one processor's");
    }
    with_profile += e.indicators().has_volume_profile();
  }
  if (bar_copies.size() != inputs.bars.size()) {
    problem("stock-intraday-analytics has ", bar_copies.size(), " of ",
            inputs.bars.size(), " bars");
  }
  // A third trading day is compared with earlier days (the profile).
  std::set<absl::CivilDay> days;
  for (const v1::IntradayBar& b : inputs.bars) {
    days.insert(market::ToCivilDay(b.meta().trading_date()));
  }
  if (days.size() > 2 && with_profile == 0) {
    problem("no bar has a volume profile");
  }

  // stock-signals: the reference's, each once, seqs 1..n per symbol.
  const auto signals = Decode<v1::Signal>(
      ReadCommitted(brokers, kafka::kSignalsTopic), &problems);
  counts->signals = signals.size();
  std::map<std::tuple<std::string, int, int64_t, int>, int> signal_copies;
  std::map<std::string, std::vector<uint64_t>> signal_seqs;
  for (const auto& [partition, s] : signals) {
    const auto key =
        std::tuple(s.meta().symbol(), static_cast<int>(s.interval()),
                   s.bar_start().seconds(), static_cast<int>(s.kind()));
    if (++signal_copies[key] > 1) {
      problem("duplicate signal ", s.meta().symbol(), " ",
              v1::SignalKind_Name(s.kind()), " at ", s.bar_start().seconds());
    }
    if (!reference.signals.contains(key)) {
      problem("unexpected signal ", s.meta().symbol(), " ",
              v1::SignalKind_Name(s.kind()));
    }
    signal_seqs[s.meta().symbol()].push_back(s.meta().seq());
  }
  if (signal_copies.size() != reference.signals.size()) {
    problem("stock-signals has ", signal_copies.size(), " of ",
            reference.signals.size(), " signals");
  }
  for (const auto& [symbol, seqs] : signal_seqs) {
    if (!Contiguous(seqs)) problem("signal seqs of ", symbol, " not 1..n");
  }

  // stock-market: seqs 1..n per (scope, partition); the newest partials add
  // up to the breadth of the final quotes.
  const auto market_records = Decode<v1::MarketBreadth>(
      ReadCommitted(brokers, kafka::kMarketTopic), &problems);
  counts->market = market_records.size();
  std::map<std::pair<std::string, int32_t>, std::vector<uint64_t>> seqs;
  std::map<std::pair<std::string, int32_t>, v1::MarketBreadth> newest;
  for (const auto& [partition, b] : market_records) {
    if (b.partition() != partition) {
      problem("partial of partition ", b.partition(), " in partition ",
              partition);
    }
    const auto key = std::pair(b.meta().symbol(), b.partition());
    seqs[key].push_back(b.meta().seq());
    if (!newest.contains(key) || newest[key].meta().seq() < b.meta().seq()) {
      newest[key] = b;
    }
  }
  for (const auto& [key, list] : seqs) {
    if (!Contiguous(list)) {
      problem("breadth seqs of ", key.first, " partition ", key.second,
              " not 1..n: ", absl::StrJoin(list, ","));
    }
  }
  std::map<std::string, v1::Quote> last_quote;
  for (const v1::Quote& q : inputs.quotes) last_quote[q.meta().symbol()] = q;
  // The newest trading day of the quotes (the scenario's or ingest's).
  absl::CivilDay day = absl::CivilDay::min();
  for (const auto& [symbol, q] : last_quote) {
    day = std::max(day, market::ToCivilDay(q.meta().trading_date()));
  }
  std::map<std::string, std::vector<const v1::Quote*>> scopes;
  for (const auto& [symbol, q] : last_quote) {
    if (market::ToCivilDay(q.meta().trading_date()) != day) continue;
    scopes[analytics::ExchangeScope(q.exchange())].push_back(&q);
    if (std::find(kDailySymbols.begin(), kDailySymbols.end(), symbol) !=
        kDailySymbols.end()) {
      scopes["VN30"].push_back(&q);
    }
  }
  for (const auto& [scope, quotes] : scopes) {
    const v1::MarketBreadth want = analytics::ComputeBreadth(quotes);
    v1::MarketBreadth total;
    __int128 value = 0;
    std::vector<v1::Mover> gainers, losers, by_value;
    for (const auto& [key, b] : newest) {
      if (key.first != scope ||
          market::ToCivilDay(b.meta().trading_date()) != day) {
        continue;
      }
      total.set_symbols(total.symbols() + b.symbols());
      total.set_advancers(total.advancers() + b.advancers());
      total.set_decliners(total.decliners() + b.decliners());
      total.set_unchanged(total.unchanged() + b.unchanged());
      total.set_ceiling(total.ceiling() + b.ceiling());
      total.set_floor(total.floor() + b.floor());
      total.set_no_trade(total.no_trade() + b.no_trade());
      total.set_total_volume(total.total_volume() + b.total_volume());
      value += market::ToNanos(b.total_value());
      gainers.insert(gainers.end(), b.top_gainers().begin(),
                     b.top_gainers().end());
      losers.insert(losers.end(), b.top_losers().begin(), b.top_losers().end());
      by_value.insert(by_value.end(), b.top_by_value().begin(),
                      b.top_by_value().end());
    }
    *total.mutable_total_value() = market::FromNanos(value);
    auto names = [](const auto& movers) {
      std::vector<std::string> out;
      for (const v1::Mover& m : movers) out.push_back(m.symbol());
      return out;
    };
    if (total.symbols() != want.symbols() ||
        total.advancers() != want.advancers() ||
        total.decliners() != want.decliners() ||
        total.unchanged() != want.unchanged() ||
        total.ceiling() != want.ceiling() || total.floor() != want.floor() ||
        total.no_trade() != want.no_trade() ||
        total.total_volume() != want.total_volume() ||
        market::Compare(total.total_value(), want.total_value()) != 0 ||
        Symbols(gainers, Gainer) != names(want.top_gainers()) ||
        Symbols(losers, Loser) != names(want.top_losers()) ||
        Symbols(by_value, ByValue) != names(want.top_by_value())) {
      problem("breadth of ", scope, ": partials add up to ",
              total.ShortDebugString(), ", the final quotes give ",
              want.ShortDebugString());
    }
  }
  return problems;
}

}  // namespace

void Inputs::Append(const Inputs& other) {
  histories.insert(histories.end(), other.histories.begin(),
                   other.histories.end());
  bars.insert(bars.end(), other.bars.begin(), other.bars.end());
  quotes.insert(quotes.end(), other.quotes.begin(), other.quotes.end());
}

const std::vector<std::string>& GroupSymbols() { return kDailySymbols; }

absl::StatusOr<Inputs> Phase(int phase) {
  if (DailyBars().empty()) {
    return absl::NotFoundError("cannot read data/vn30's daily prices");
  }
  Inputs in;
  for (uint64_t seq = 5 * phase + 1;
       seq <= 5 * static_cast<uint64_t>(phase) + 5; ++seq) {
    for (const std::string& symbol : kDailySymbols) {
      in.histories.push_back(History(symbol, seq));
    }
  }
  const absl::CivilDay day = kFirstDay + phase;
  for (int i = 0; i < kMinutesPerDay; ++i) {
    for (size_t s = 0; s < kSymbols.size(); ++s) {
      // A wave with a trend that turns: crossings of every kind.
      const double t = i + kMinutesPerDay * phase + 7.0 * s;
      const int64_t close =
          30'000 + 1'000 * static_cast<int64_t>(s) +
          50 * static_cast<int64_t>(
                   std::lround(8 * std::sin(t / 6) + 5 * std::sin(t / 17)));
      const int64_t volume = 1'000 + 100 * ((i * 7 + 3 * s + phase) % 13);
      const auto seq = static_cast<uint64_t>(2 * i);
      in.bars.push_back(
          Bar(kSymbols[s], seq + 1, day, i, close - 50, volume / 2, false, 0));
      in.bars.push_back(
          Bar(kSymbols[s], seq + 2, day, i, close, volume, true, 1));
    }
  }
  for (int u = 0; u < kQuotesPerPhase; ++u) {
    for (size_t s = 0; s < kSymbols.size(); ++s) {
      in.quotes.push_back(
          MakeQuote(static_cast<int>(s), kSymbols[s],
                    static_cast<uint64_t>(kQuotesPerPhase * phase + u + 1), day,
                    kQuotesPerPhase * phase + u));
    }
  }
  return in;
}

absl::Status Publish(kafka::Publisher& publisher, const Inputs& inputs) {
  for (const v1::DailyHistory& h : inputs.histories) {
    publisher.Publish(
        kafka::EncodeRecord(kafka::kHistoricalTopic, h, h.meta()));
  }
  for (const v1::IntradayBar& b : inputs.bars) {
    publisher.Publish(kafka::EncodeRecord(kafka::kIntradayTopic, b, b.meta()));
  }
  for (const v1::Quote& q : inputs.quotes) {
    publisher.Publish(kafka::EncodeRecord(kafka::kPricesTopic, q, q.meta()));
  }
  return publisher.Flush(absl::Seconds(60));
}

std::vector<Committed> ReadCommitted(const std::string& brokers,
                                     const std::string& topic) {
  int partitions = 0;
  for (const kafka::TopicSpec& spec : kafka::DefaultTopics()) {
    if (spec.name == topic) partitions = spec.partitions;
  }
  auto conf = kafka::MakeConf({{"bootstrap.servers", brokers},
                               {"group.id", "analytics-scenario-reader"},
                               {"enable.partition.eof", "true"},
                               {"enable.auto.commit", "false"},
                               {"isolation.level", "read_committed"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions; ++p) {
    parts.push_back(RdKafka::TopicPartition::create(
        topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  consumer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  std::vector<Committed> out;
  std::set<int32_t> at_end;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline &&
         static_cast<int>(at_end.size()) < partitions) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(m->partition());
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    at_end.erase(m->partition());
    out.push_back(
        {m->partition(), m->key() ? *m->key() : "",
         std::string(static_cast<const char*>(m->payload()), m->len())});
  }
  consumer->close();
  return out;
}

absl::StatusOr<Inputs> ReadInputs(const std::string& brokers) {
  Inputs in;
  absl::Status status;
  auto decode = [&](const std::string& topic, auto& out) {
    for (const Committed& c : ReadCommitted(brokers, topic)) {
      typename std::decay_t<decltype(out)>::value_type record;
      if (!record.ParseFromString(c.value) || record.meta().symbol() != c.key) {
        status.Update(absl::DataLossError(absl::StrCat(
            topic, " partition ", c.partition, ": undecodable record")));
        continue;
      }
      out.push_back(std::move(record));
    }
  };
  decode(kafka::kHistoricalTopic, in.histories);
  decode(kafka::kIntradayTopic, in.bars);
  decode(kafka::kPricesTopic, in.quotes);
  if (!status.ok()) return status;
  return in;
}

absl::StatusOr<ServiceProcess> StartAnalytics(
    const std::string& brokers, const std::string& name,
    const std::string& transactional_id, const std::vector<std::string>& args) {
  std::vector<std::string> all = {
      absl::StrCat("--kafka_brokers=", brokers),
      absl::StrCat("--transactional_id=", transactional_id),
      "--metrics_address=127.0.0.1:0", "--grpc_address=127.0.0.1:0",
      // The scenario's group; the six HOSE symbols are in the shipped VN30.
      absl::StrCat("--groups=VN30=", absl::StrJoin(kDailySymbols, " "))};
  all.insert(all.end(), args.begin(), args.end());
  return StartService(name, "services/analytics/vnstream-analytics", all,
                      "metrics :(\\d+); gRPC :(\\d+)");
}

OutputCounts ExpectExactlyOnce(const std::string& brokers, const Inputs& inputs,
                               absl::Duration timeout) {
  const Reference reference = ComputeReference(inputs);
  OutputCounts counts;
  std::vector<std::string> problems;
  const absl::Time deadline = absl::Now() + timeout;
  do {
    problems = Problems(brokers, inputs, reference, &counts);
    if (problems.empty()) break;
  } while (absl::Now() < deadline);
  EXPECT_THAT(problems, ::testing::IsEmpty());
  return counts;
}

}  // namespace vnstream::testing
