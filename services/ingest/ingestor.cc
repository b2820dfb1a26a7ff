#include "services/ingest/ingestor.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/base/logging.h"
#include "libs/kafka/topics.h"
#include "libs/market/decimal.h"
#include "libs/market/instruments.h"
#include "libs/service/metrics.h"
#include "libs/vnstock/records.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace vnstream::ingest {
namespace {

using ::google::protobuf::util::MessageDifferencer;

// Rejections and errors logged per cycle (all are counted).
constexpr size_t kMaxLoggedProblems = 5;

void LogProblems(Schedule schedule, const vnstock::Rejections& rejected,
                 const std::vector<absl::Status>& errors) {
  for (size_t i = 0; i < std::min(rejected.size(), kMaxLoggedProblems); ++i) {
    spdlog::warn("{}: dropped invalid record: {}", ScheduleName(schedule),
                 rejected[i]);
  }
  for (size_t i = 0; i < std::min(errors.size(), kMaxLoggedProblems); ++i) {
    spdlog::warn("{}: upstream batch failed: {}", ScheduleName(schedule),
                 errors[i]);
  }
}

// Whether HOSE is trading (including the auctions and put-through).
bool InSession(v1::TradingSession session) {
  switch (session) {
    case v1::TRADING_SESSION_ATO:
    case v1::TRADING_SESSION_CONTINUOUS:
    case v1::TRADING_SESSION_ATC:
    case v1::TRADING_SESSION_PUT_THROUGH:
      return true;
    default:
      return false;
  }
}

template <typename Message>
Message WithoutMeta(Message message) {
  message.clear_meta();
  return message;
}

// A fingerprint of what a republication of `bar` may change: everything but
// its meta and revision. Serialized deterministically, so equal bars give
// equal bytes.
uint64_t BarFingerprint(v1::IntradayBar bar) {
  bar.clear_meta();
  bar.clear_revision();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    bar.SerializeToCodedStream(&coded);
  }
  return absl::Hash<std::string_view>{}(bytes);
}

// Securities then indices: what the bar schedules fetch.
std::vector<std::string> AllSymbols(const Universe& universe) {
  std::vector<std::string> all = universe.securities;
  all.insert(all.end(), universe.indices.begin(), universe.indices.end());
  return all;
}

int CountMissing(const std::vector<std::string>& symbols,
                 const absl::flat_hash_set<std::string>& seen) {
  int missing = 0;
  for (const std::string& s : symbols) missing += !seen.contains(s);
  return missing;
}

}  // namespace

v1::InstrumentType Universe::TypeOf(const std::string& symbol) const {
  auto it = types.find(symbol);
  return it == types.end() ? v1::INSTRUMENT_TYPE_UNSPECIFIED : it->second;
}

const char* ScheduleName(Schedule schedule) {
  switch (schedule) {
    case Schedule::kPrices:
      return "prices";
    case Schedule::kIntraday:
      return "intraday";
    case Schedule::kHistory:
      return "history";
  }
  return "unknown";
}

Ingestor::Ingestor(IngestOptions options, vnstock::MarketDataSource& source,
                   kafka::RecordSink& sink,
                   const market::TradingCalendar& calendar,
                   prometheus::Registry& registry)
    : options_(std::move(options)),
      source_(source),
      sink_(sink),
      calendar_(calendar),
      cycles_(prometheus::BuildCounter()
                  .Name("vnstream_ingest_cycles_total")
                  .Help("Polls by schedule and result (ok, partial, failed, "
                        "skipped_closed).")
                  .Register(registry)),
      cycle_duration_(prometheus::BuildHistogram()
                          .Name("vnstream_ingest_cycle_duration_seconds")
                          .Help("Duration of a poll: fetch, validate, publish.")
                          .Register(registry)),
      published_(prometheus::BuildCounter()
                     .Name("vnstream_ingest_records_published_total")
                     .Help("Records handed to the Kafka producer, by topic.")
                     .Register(registry)),
      unchanged_(prometheus::BuildCounter()
                     .Name("vnstream_ingest_records_unchanged_total")
                     .Help("Fetched records identical to the last published "
                           "one (not republished), by topic.")
                     .Register(registry)),
      missing_(prometheus::BuildCounter()
                   .Name("vnstream_ingest_symbols_missing_total")
                   .Help("Requested symbols the upstream did not return.")
                   .Register(registry)),
      held_bars_(prometheus::BuildGauge()
                     .Name("vnstream_ingest_held_bars")
                     .Help("1-minute bars of the current trading day kept "
                           "(as fingerprints) to publish only changed ones.")
                     .Register(registry)
                     .Add({})) {
  auto universe = std::make_shared<Universe>();
  universe->securities = options_.symbols;
  universe->indices = options_.indices;
  for (const std::string& index : universe->indices) {
    universe->types[index] = v1::INSTRUMENT_TYPE_INDEX;
  }
  universe_ = std::move(universe);
}

void Ingestor::SetUniverse(std::shared_ptr<const Universe> universe) {
  absl::MutexLock lock(&universe_mu_);
  universe_ = std::move(universe);
}

std::shared_ptr<const Universe> Ingestor::universe() {
  absl::MutexLock lock(&universe_mu_);
  return universe_;
}

void Ingestor::Recover(const v1::Quote& quote) {
  absl::MutexLock lock(&prices_mu_);
  PriceState& state = prices_[quote.meta().symbol()];
  if (quote.meta().seq() > state.seq) {
    state.seq = quote.meta().seq();
    state.last = WithoutMeta(quote);
  }
}

void Ingestor::Recover(const v1::IntradayBar& bar) {
  const absl::CivilDay day = market::ToCivilDay(bar.meta().trading_date());
  absl::MutexLock lock(&intraday_mu_);
  IntradayState& state = intraday_[bar.meta().symbol()];
  if (day < state.day) return;
  if (day > state.day) StartDay(state, day);
  state.seq = std::max(state.seq, bar.meta().seq());
  auto [known, added] = state.bars.try_emplace(bar.start_time().seconds());
  if (added) held_bars_.Increment();
  if (added || bar.revision() >= known->second.revision) {
    known->second = {.fingerprint = BarFingerprint(bar),
                     .revision = bar.revision()};
  }
}

void Ingestor::StartDay(IntradayState& state, absl::CivilDay day) {
  held_bars_.Decrement(static_cast<double>(state.bars.size()));
  state = IntradayState{.day = day};
}

void Ingestor::Recover(const v1::DailyHistory& history) {
  absl::MutexLock lock(&history_mu_);
  HistoryState& state = history_[history.meta().symbol()];
  if (history.meta().seq() > state.seq) {
    state.seq = history.meta().seq();
    state.last = WithoutMeta(history);
  }
}

bool Ingestor::ShouldPoll(Schedule schedule, absl::Time now) {
  const int index = static_cast<int>(schedule);
  absl::MutexLock lock(&poll_mu_);
  if (!started_[index]) {
    started_[index] = true;
    return true;
  }
  if (options_.ignore_market_hours) return true;
  if (InSession(calendar_.SessionAt(v1::EXCHANGE_HOSE, now))) return true;
  // One last poll after the close of a trading day, for the final values.
  const absl::CivilSecond local =
      absl::ToCivilSecond(now, market::VietnamTime());
  const absl::CivilDay today(local);
  if (calendar_.IsTradingDay(today) && local.hour() >= 15 &&
      final_poll_done_[index] != today) {
    final_poll_done_[index] = today;
    return true;
  }
  return false;
}

std::shared_ptr<prometheus::Collectable> Ingestor::MarketCollector() const {
  class Collector : public prometheus::Collectable {
   public:
    explicit Collector(const Ingestor* ingestor) : ingestor_(ingestor) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
      const absl::Time now = ingestor_->options_.now();
      const market::TradingCalendar& calendar = ingestor_->calendar_;
      const absl::CivilDay today(
          absl::ToCivilSecond(now, market::VietnamTime()));
      const absl::Weekday weekday = absl::GetWeekday(today);
      const bool weekend = weekday == absl::Weekday::saturday ||
                           weekday == absl::Weekday::sunday;
      auto gauge = [](const char* name, const char* help, bool value) {
        prometheus::MetricFamily family{
            .name = name, .help = help, .type = prometheus::MetricType::Gauge};
        prometheus::ClientMetric metric;
        metric.gauge.value = value ? 1 : 0;
        family.metric.push_back(std::move(metric));
        return family;
      };
      return {
          gauge("vnstream_market_open",
                "1 while HOSE trades (09:00-11:30, 13:00-15:00 "
                "Asia/Ho_Chi_Minh on trading days), else 0.",
                InSession(calendar.SessionAt(v1::EXCHANGE_HOSE, now))),
          gauge("vnstream_market_holiday",
                "1 on a weekday that is an exchange holiday (Vietnamese "
                "date; data/calendar/vn-holidays.csv), else 0.",
                !weekend && !calendar.IsTradingDay(today)),
      };
    }

   private:
    const Ingestor* ingestor_;
  };
  return std::make_shared<Collector>(this);
}

void Ingestor::Finish(Schedule schedule, const CycleStats& stats,
                      absl::Time started) {
  const std::string name = ScheduleName(schedule);
  const char* result =
      stats.errors == 0 ? "ok" : (stats.fetched > 0 ? "partial" : "failed");
  cycles_.Add({{"schedule", name}, {"result", result}}).Increment();
  const absl::Duration took = options_.now() - started;
  cycle_duration_.Add({{"schedule", name}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(took));
  if (stats.missing > 0) {
    missing_.Add({{"schedule", name}}).Increment(stats.missing);
  }
  spdlog::info(
      "{} poll {}: fetched {}, published {}, unchanged {}, rejected {}, "
      "missing {}, failed batches {}, {}",
      name, result, stats.fetched, stats.published, stats.unchanged,
      stats.rejected, stats.missing, stats.errors, absl::FormatDuration(took));
}

void Ingestor::PublishQuote(v1::Quote quote, CycleStats& stats) {
  PriceState& state = prices_[quote.meta().symbol()];
  v1::Quote bare = WithoutMeta(quote);
  if (state.seq > 0 && MessageDifferencer::Equals(bare, state.last)) {
    ++stats.unchanged;
    return;
  }
  quote.mutable_meta()->set_seq(++state.seq);
  *quote.mutable_meta()->mutable_published_at() =
      market::ToTimestamp(options_.now());
  sink_.Publish(kafka::EncodeRecord(kafka::kPricesTopic, quote, quote.meta()));
  state.last = std::move(bare);
  ++stats.published;
}

CycleStats Ingestor::RunPrices(absl::Time deadline) {
  const absl::Time started = options_.now();
  const std::shared_ptr<const Universe> universe = this->universe();
  vnstock::PriceBoard board =
      source_.FetchPriceBoard(universe->securities, deadline);
  LogProblems(Schedule::kPrices, board.rejected, board.errors);
  CycleStats stats{.fetched = static_cast<int>(board.quotes.size()),
                   .rejected = static_cast<int>(board.rejected.size()),
                   .errors = static_cast<int>(board.errors.size())};
  absl::flat_hash_set<std::string> seen;
  {
    absl::MutexLock lock(&prices_mu_);
    for (v1::Quote& quote : board.quotes) {
      const std::string& symbol = quote.meta().symbol();
      seen.insert(symbol);
      // The listing's type wins over the board's own.
      if (const v1::InstrumentType type = universe->TypeOf(symbol);
          type != v1::INSTRUMENT_TYPE_UNSPECIFIED) {
        quote.mutable_meta()->set_instrument_type(type);
      }
      PublishQuote(std::move(quote), stats);
    }
  }
  if (stats.errors == 0)
    stats.missing = CountMissing(universe->securities, seen);
  if (!universe->indices.empty()) {
    PublishIndexQuotes(*universe, deadline, stats);
  }
  published_.Add({{"topic", kafka::kPricesTopic}}).Increment(stats.published);
  unchanged_.Add({{"topic", kafka::kPricesTopic}}).Increment(stats.unchanged);
  Finish(Schedule::kPrices, stats, started);
  return stats;
}

std::optional<v1::Decimal> Ingestor::PreviousClose(const std::string& symbol,
                                                   absl::CivilDay day) {
  absl::MutexLock lock(&history_mu_);
  auto it = history_.find(symbol);
  if (it == history_.end()) return std::nullopt;
  const auto& bars = it->second.last.bars();
  for (auto bar = bars.rbegin(); bar != bars.rend(); ++bar) {
    if (market::ToCivilDay(bar->date()) < day) return bar->close();
  }
  return std::nullopt;
}

void Ingestor::PublishIndexQuotes(const Universe& universe, absl::Time deadline,
                                  CycleStats& stats) {
  const absl::Time now = options_.now();
  vnstock::Bars fetched = source_.FetchBars(
      universe.indices, vnstock::TimeFrame::kOneMinute, now + absl::Minutes(1),
      options_.intraday_count_back, deadline);
  LogProblems(Schedule::kPrices, fetched.rejected, fetched.errors);
  stats.rejected += static_cast<int>(fetched.rejected.size());
  stats.errors += static_cast<int>(fetched.errors.size());
  absl::flat_hash_set<std::string> seen;
  absl::MutexLock lock(&prices_mu_);
  for (const vnstock::SymbolBars& series : fetched.series) {
    if (series.bars.empty()) continue;
    seen.insert(series.symbol);
    const absl::CivilDay day =
        absl::ToCivilDay(series.bars.back().time, market::VietnamTime());
    // The reference is yesterday's close, from the published history: none
    // yet (the first history poll still running) means no quote this time.
    const std::optional<v1::Decimal> previous =
        PreviousClose(series.symbol, day);
    if (!previous.has_value()) {
      spdlog::debug("prices: no previous close of {} yet", series.symbol);
      continue;
    }
    const market::MarketIndex* index = market::FindIndex(series.symbol);
    ++stats.fetched;
    PublishQuote(
        vnstock::IndexQuote(
            series, *previous,
            index != nullptr ? index->exchange : v1::EXCHANGE_HOSE, calendar_),
        stats);
  }
  if (fetched.errors.empty())
    stats.missing += CountMissing(universe.indices, seen);
}

CycleStats Ingestor::RunIntraday(absl::Time deadline) {
  const absl::Time started = options_.now();
  const std::shared_ptr<const Universe> universe = this->universe();
  const std::vector<std::string> symbols = AllSymbols(*universe);
  vnstock::Bars fetched = source_.FetchBars(
      symbols, vnstock::TimeFrame::kOneMinute, started + absl::Minutes(1),
      options_.intraday_count_back, deadline);
  LogProblems(Schedule::kIntraday, fetched.rejected, fetched.errors);
  CycleStats stats{.rejected = static_cast<int>(fetched.rejected.size()),
                   .errors = static_cast<int>(fetched.errors.size())};
  absl::flat_hash_set<std::string> seen;
  absl::MutexLock lock(&intraday_mu_);
  for (const vnstock::SymbolBars& series : fetched.series) {
    std::vector<v1::IntradayBar> bars =
        vnstock::ToIntradayBars(series, started);
    if (bars.empty()) continue;
    seen.insert(series.symbol);
    stats.fetched += static_cast<int>(bars.size());
    const absl::CivilDay day =
        market::ToCivilDay(bars.front().meta().trading_date());
    IntradayState& state = intraday_[series.symbol];
    if (day < state.day) continue;  // A stale response.
    if (day > state.day) StartDay(state, day);
    const v1::InstrumentType type = universe->TypeOf(series.symbol);
    for (v1::IntradayBar& bar : bars) {
      v1::RecordMeta meta = std::move(*bar.mutable_meta());
      meta.set_instrument_type(type);
      bar.clear_meta();
      const uint64_t fingerprint = BarFingerprint(bar);
      auto [known, added] = state.bars.try_emplace(bar.start_time().seconds());
      if (added) {
        held_bars_.Increment();
      } else {
        if (fingerprint == known->second.fingerprint) {
          ++stats.unchanged;
          continue;
        }
        bar.set_revision(known->second.revision + 1);
      }
      known->second = {.fingerprint = fingerprint, .revision = bar.revision()};
      meta.set_seq(++state.seq);
      *meta.mutable_published_at() = market::ToTimestamp(options_.now());
      *bar.mutable_meta() = std::move(meta);
      sink_.Publish(
          kafka::EncodeRecord(kafka::kIntradayTopic, bar, bar.meta()));
      ++stats.published;
    }
  }
  if (stats.errors == 0) stats.missing = CountMissing(symbols, seen);
  published_.Add({{"topic", kafka::kIntradayTopic}}).Increment(stats.published);
  unchanged_.Add({{"topic", kafka::kIntradayTopic}}).Increment(stats.unchanged);
  Finish(Schedule::kIntraday, stats, started);
  return stats;
}

CycleStats Ingestor::RunHistory(absl::Time deadline) {
  const absl::Time started = options_.now();
  const std::shared_ptr<const Universe> universe = this->universe();
  const std::vector<std::string> symbols = AllSymbols(*universe);
  vnstock::Bars fetched = source_.FetchBars(
      symbols, vnstock::TimeFrame::kOneDay, started + absl::Hours(24),
      options_.history_bars, deadline);
  LogProblems(Schedule::kHistory, fetched.rejected, fetched.errors);
  CycleStats stats{.rejected = static_cast<int>(fetched.rejected.size()),
                   .errors = static_cast<int>(fetched.errors.size())};
  absl::flat_hash_set<std::string> seen;
  absl::MutexLock lock(&history_mu_);
  for (const vnstock::SymbolBars& series : fetched.series) {
    v1::DailyHistory history =
        vnstock::ToDailyHistory(series, started, calendar_);
    if (history.bars().empty()) continue;
    seen.insert(series.symbol);
    ++stats.fetched;
    v1::RecordMeta meta = std::move(*history.mutable_meta());
    meta.set_instrument_type(universe->TypeOf(series.symbol));
    history.clear_meta();
    HistoryState& state = history_[series.symbol];
    if (state.seq > 0 && MessageDifferencer::Equals(history, state.last)) {
      ++stats.unchanged;
      continue;
    }
    state.last = history;
    meta.set_seq(++state.seq);
    *meta.mutable_published_at() = market::ToTimestamp(options_.now());
    *history.mutable_meta() = std::move(meta);
    sink_.Publish(
        kafka::EncodeRecord(kafka::kHistoricalTopic, history, history.meta()));
    ++stats.published;
  }
  if (stats.errors == 0) stats.missing = CountMissing(symbols, seen);
  published_.Add({{"topic", kafka::kHistoricalTopic}})
      .Increment(stats.published);
  unchanged_.Add({{"topic", kafka::kHistoricalTopic}})
      .Increment(stats.unchanged);
  Finish(Schedule::kHistory, stats, started);
  return stats;
}

}  // namespace vnstream::ingest
