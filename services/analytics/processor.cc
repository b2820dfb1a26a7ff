#include "services/analytics/processor.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/base/logging.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "libs/service/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace vnstream::analytics {
namespace {

// Changelog keys (see analytics_state.proto).
constexpr char kBarKey[] = "bar";
constexpr char kProfileKey[] = "profile";
constexpr char kQuoteKey[] = "quote";
constexpr char kInstrumentKey[] = "instrument";
constexpr char kSignalKey[] = "signal";
constexpr char kBreadthKey[] = "breadth";

absl::CivilDay QuoteDay(const v1::Quote& q) {
  if (q.meta().has_trading_date()) {
    return market::ToCivilDay(q.meta().trading_date());
  }
  return absl::ToCivilDay(market::FromTimestamp(q.meta().fetched_at()),
                          market::VietnamTime());
}

// What breadth reads of a quote: everything but the order book and the
// record bookkeeping (seq, fetch and publish times).
std::string BreadthView(const v1::Quote& q) {
  v1::Quote view = q;
  view.clear_bids();
  view.clear_asks();
  v1::RecordMeta* meta = view.mutable_meta();
  meta->clear_seq();
  meta->clear_fetched_at();
  meta->clear_published_at();
  meta->clear_source();
  return view.SerializeAsString();
}

bool After(const v1::Date& a, const v1::Date& b) {
  return market::ToCivilDay(a) > market::ToCivilDay(b);
}

internal::VolumeProfile ProfileToProto(const indicators::VolumeProfile& p) {
  internal::VolumeProfile out;
  for (const auto& [minute, volumes] : p.minutes()) {
    internal::VolumeProfile::Minute* m = out.add_minutes();
    m->set_minute(minute);
    m->mutable_volumes()->Add(volumes.begin(), volumes.end());
  }
  return out;
}

}  // namespace

AnalyticsProcessor::AnalyticsProcessor(ProcessorOptions options,
                                       prometheus::Registry& registry,
                                       std::function<absl::Time()> now)
    : options_(std::move(options)),
      now_(std::move(now)),
      records_in_(prometheus::BuildCounter()
                      .Name("vnstream_analytics_records_in_total")
                      .Help("Input records consumed, by topic and result "
                            "(processed; invalid and malformed ones are "
                            "skipped; stale: a 1-minute bar of an earlier day, "
                            "published without indicators).")
                      .Register(registry)),
      signals_(prometheus::BuildCounter()
                   .Name("vnstream_analytics_signals_total")
                   .Help("Signals emitted, by bar interval.")
                   .Register(registry)) {
  for (const auto& [group, symbols] : options_.groups) {
    for (const std::string& symbol : symbols) {
      configured_groups_[symbol].push_back(group);
    }
  }
  auto& state = prometheus::BuildCounter()
                    .Name("vnstream_analytics_state_records_total")
                    .Help(
                        "Changelog records read while restoring state, by "
                        "result (restored; unreadable ones are skipped).")
                    .Register(registry);
  state_restored_ = &state.Add({{"result", "restored"}});
  state_unreadable_ = &state.Add({{"result", "unreadable"}});
  compute_seconds_ =
      &prometheus::BuildHistogram()
           .Name("vnstream_analytics_compute_seconds")
           .Help("Time to compute one daily history's indicators.")
           .Register(registry)
           .Add({}, LatencyBuckets());
}

AnalyticsProcessor::PartitionState& AnalyticsProcessor::State(int partition) {
  return partitions_[partition];
}

void AnalyticsProcessor::CountMalformed(absl::string_view topic) {
  records_in_.Add({{"topic", std::string(topic)}, {"result", "malformed"}})
      .Increment();
}

void AnalyticsProcessor::Log(PartitionState& p, const std::string& key,
                             const internal::StateRecord& record) {
  p.changelog[key] = record.SerializeAsString();
}

// --- Daily histories ---------------------------------------------------------

absl::Status AnalyticsProcessor::Process(int partition,
                                         const v1::DailyHistory& history,
                                         std::vector<Output>* out) {
  const absl::Time start = now_();
  v1::EnrichedHistory enriched;
  if (absl::Status s = indicators::Enrich(history, options_.daily, &enriched);
      !s.ok()) {
    records_in_.Add({{"topic", kafka::kHistoricalTopic}, {"result", "invalid"}})
        .Increment();
    return s;
  }
  const absl::Time done = now_();
  *enriched.mutable_computed_at() = market::ToTimestamp(done);
  compute_seconds_->Observe(absl::ToDoubleSeconds(done - start));
  records_in_.Add({{"topic", kafka::kHistoricalTopic}, {"result", "processed"}})
      .Increment();
  out->push_back(
      {kafka::EncodeRecord(kafka::kAnalyticsTopic, enriched, enriched.meta())});
  PartitionState& p = State(partition);
  DailySignals(p, p.symbols[history.meta().symbol()], enriched, out);
  return absl::OkStatus();
}

void AnalyticsProcessor::DailySignals(PartitionState& p, SymbolState& s,
                                      const v1::EnrichedHistory& enriched,
                                      std::vector<Output>* out) {
  // The newest final bar; only today's bar (the last) may be in progress.
  int newest = enriched.bars_size() - 1;
  while (newest >= 0 && !enriched.bars(newest).bar().final()) --newest;
  if (newest < 0) return;
  const v1::Date& newest_date = enriched.bars(newest).bar().date();
  if (s.signal.has_daily_through() &&
      !After(newest_date, s.signal.daily_through())) {
    return;  // Nothing final that was not evaluated (a republished window).
  }
  // Bars after the last evaluated one; the first time a symbol is seen,
  // only its newest final bar (older crossings are history, not events).
  int first = newest;
  if (s.signal.has_daily_through()) {
    while (first > 0 && After(enriched.bars(first - 1).bar().date(),
                              s.signal.daily_through())) {
      --first;
    }
  }
  for (int i = std::max(first, 1); i <= newest; ++i) {
    const v1::EnrichedBar& prev = enriched.bars(i - 1);
    const v1::EnrichedBar& cur = enriched.bars(i);
    const std::vector<Crossing> crossings = DetectSignals(
        options_.daily, prev.indicators(), market::ToDouble(prev.bar().close()),
        cur.indicators(), market::ToDouble(cur.bar().close()));
    const absl::CivilDay day = market::ToCivilDay(cur.bar().date());
    EmitSignals(
        s, enriched.meta(), v1::BAR_INTERVAL_ONE_DAY, day,
        absl::FromCivil(day, market::VietnamTime()), crossings,
        [&](v1::Signal& signal) { *signal.mutable_daily_bar() = cur.bar(); },
        out);
  }
  *s.signal.mutable_daily_through() = newest_date;
  internal::StateRecord record;
  *record.mutable_signal() = s.signal;
  Log(p, absl::StrCat(kSignalKey, "/", enriched.meta().symbol()), record);
}

void AnalyticsProcessor::EmitSignals(
    SymbolState& s, const v1::RecordMeta& input, v1::BarInterval interval,
    absl::CivilDay day, absl::Time bar_start,
    const std::vector<Crossing>& crossings,
    const std::function<void(v1::Signal&)>& set_bar, std::vector<Output>* out) {
  for (const Crossing& c : crossings) {
    v1::Signal signal;
    v1::RecordMeta* meta = signal.mutable_meta();
    meta->set_symbol(input.symbol());
    meta->set_seq(s.signal.seq() + 1);
    meta->set_source(input.source());
    *meta->mutable_fetched_at() = input.fetched_at();
    *meta->mutable_published_at() = market::ToTimestamp(now_());
    *meta->mutable_trading_date() = market::ToDate(day);
    meta->set_instrument_type(input.instrument_type());
    signal.set_kind(c.kind);
    signal.set_interval(interval);
    *signal.mutable_bar_start() = market::ToTimestamp(bar_start);
    set_bar(signal);
    signal.set_value(c.value);
    signal.set_reference(c.reference);
    signal.set_description(c.description);
    s.signal.set_seq(meta->seq());
    out->push_back(
        {kafka::EncodeRecord(kafka::kSignalsTopic, signal, signal.meta())});
    signals_.Add({{"interval", v1::BarInterval_Name(interval)}}).Increment();
  }
}

// --- 1-minute bars -----------------------------------------------------------

absl::Status AnalyticsProcessor::Process(int partition,
                                         const v1::IntradayBar& bar,
                                         std::vector<Output>* out) {
  const absl::StatusOr<indicators::MinuteBar> minute_bar =
      indicators::MinuteBarFromProto(bar);
  if (!minute_bar.ok()) {
    records_in_.Add({{"topic", kafka::kIntradayTopic}, {"result", "invalid"}})
        .Increment();
    return minute_bar.status();
  }
  const std::string& symbol = bar.meta().symbol();
  const absl::CivilDay day = indicators::TradingDay(bar);
  PartitionState& p = State(partition);
  SymbolState& s = p.symbols[symbol];
  if (s.intraday == nullptr) {
    s.intraday =
        std::make_unique<indicators::SymbolIntraday>(options_.intraday);
  }
  v1::EnrichedIntradayBar enriched;
  *enriched.mutable_meta() = bar.meta();
  *enriched.mutable_bar() = bar;
  *enriched.mutable_params() = options_.intraday.ToProto();
  absl::StatusOr<indicators::SymbolIntraday::Result> result =
      s.intraday->Apply(day, *minute_bar);
  if (!result.ok()) {
    // A bar of a day already over: published as it is, without indicators
    // (today's session does not include it).
    records_in_.Add({{"topic", kafka::kIntradayTopic}, {"result", "stale"}})
        .Increment();
    spdlog::warn("{} seq {}: {}; enriched without indicators", symbol,
                 bar.meta().seq(), result.status());
  } else {
    records_in_.Add({{"topic", kafka::kIntradayTopic}, {"result", "processed"}})
        .Increment();
    *enriched.mutable_indicators() = result->values.ToProto();
    if (result->new_day) {
      internal::StateRecord profile;
      *profile.mutable_volume_profile() = ProfileToProto(s.intraday->profile());
      Log(p, absl::StrCat(kProfileKey, "/", symbol), profile);
    }
    internal::StateRecord record;
    *record.mutable_intraday_bar() = bar;
    Log(p, absl::StrCat(kBarKey, "/", symbol, "/", minute_bar->minute), record);
    const internal::SignalState& through = s.signal;
    const bool evaluated =
        through.has_intraday_day() &&
        (market::ToCivilDay(through.intraday_day()) > day ||
         (market::ToCivilDay(through.intraday_day()) == day &&
          through.intraday_minute() >= minute_bar->minute));
    if (bar.final() && !evaluated) {
      const indicators::IntradaySession::Applied& a = result->applied;
      if (a.previous.has_value()) {
        EmitSignals(
            s, bar.meta(), v1::BAR_INTERVAL_ONE_MINUTE, day,
            market::FromTimestamp(bar.start_time()),
            DetectSignals(options_.intraday.indicators,
                          a.previous->values.ToProto(), a.previous->close,
                          a.current.values.ToProto(), a.current.close),
            [&](v1::Signal& signal) { *signal.mutable_intraday_bar() = bar; },
            out);
      }
      *s.signal.mutable_intraday_day() = market::ToDate(day);
      s.signal.set_intraday_minute(minute_bar->minute);
      internal::StateRecord signal;
      *signal.mutable_signal() = s.signal;
      Log(p, absl::StrCat(kSignalKey, "/", symbol), signal);
    }
  }
  *enriched.mutable_computed_at() = market::ToTimestamp(now_());
  out->push_back({kafka::EncodeRecord(kafka::kIntradayAnalyticsTopic, enriched,
                                      enriched.meta())});
  return absl::OkStatus();
}

// --- Breadth -----------------------------------------------------------------

std::vector<std::string> AnalyticsProcessor::Scopes(
    const std::string& symbol, const SymbolState& s) const {
  std::vector<std::string> scopes;
  if (!s.quote.has_value()) return scopes;
  v1::InstrumentType type = s.quote->meta().instrument_type();
  if (type == v1::INSTRUMENT_TYPE_UNSPECIFIED && s.instrument.has_value()) {
    type = s.instrument->meta().instrument_type();
  }
  if (!CountsInBreadth(type)) return scopes;
  if (std::string exchange = ExchangeScope(s.quote->exchange());
      !exchange.empty()) {
    scopes.push_back(std::move(exchange));
  }
  if (s.instrument.has_value()) {
    // Published instruments override the configured groups.
    if (s.instrument->listed()) {
      scopes.insert(scopes.end(), s.instrument->groups().begin(),
                    s.instrument->groups().end());
    }
  } else if (auto it = configured_groups_.find(symbol);
             it != configured_groups_.end()) {
    scopes.insert(scopes.end(), it->second.begin(), it->second.end());
  }
  return scopes;
}

void AnalyticsProcessor::MarkScopes(PartitionState& p,
                                    const std::vector<std::string>& scopes) {
  p.dirty_scopes.insert(scopes.begin(), scopes.end());
}

absl::Status AnalyticsProcessor::Process(int partition, const v1::Quote& quote,
                                         std::vector<Output>* out) {
  (void)out;  // Partials are emitted by FinishBatch.
  const std::string& symbol = quote.meta().symbol();
  PartitionState& p = State(partition);
  SymbolState& s = p.symbols[symbol];
  records_in_.Add({{"topic", kafka::kPricesTopic}, {"result", "processed"}})
      .Increment();
  const absl::CivilDay day = QuoteDay(quote);
  if (!p.quotes_day.has_value() || day > *p.quotes_day) {
    // A new trading day: yesterday's quotes stop counting everywhere.
    p.quotes_day = day;
    for (const auto& [scope, seq] : p.breadth_seq) p.dirty_scopes.insert(scope);
  }
  if (s.quote.has_value() && BreadthView(*s.quote) == BreadthView(quote)) {
    return absl::OkStatus();  // Nothing breadth reads changed.
  }
  MarkScopes(p, Scopes(symbol, s));
  v1::Quote& stored = s.quote.emplace(quote);
  stored.clear_bids();
  stored.clear_asks();
  MarkScopes(p, Scopes(symbol, s));
  internal::StateRecord record;
  *record.mutable_quote() = stored;
  Log(p, absl::StrCat(kQuoteKey, "/", symbol), record);
  return absl::OkStatus();
}

absl::Status AnalyticsProcessor::Process(int partition,
                                         const v1::Instrument& instrument,
                                         std::vector<Output>* out) {
  (void)out;
  const std::string& symbol = instrument.meta().symbol();
  PartitionState& p = State(partition);
  SymbolState& s = p.symbols[symbol];
  records_in_
      .Add({{"topic", kafka::kInstrumentsTopic}, {"result", "processed"}})
      .Increment();
  MarkScopes(p, Scopes(symbol, s));
  s.instrument = instrument;
  MarkScopes(p, Scopes(symbol, s));
  internal::StateRecord record;
  *record.mutable_instrument() = instrument;
  Log(p, absl::StrCat(kInstrumentKey, "/", symbol), record);
  return absl::OkStatus();
}

void AnalyticsProcessor::FinishBatch(std::vector<Output>* out) {
  const absl::Time now = now_();
  for (auto& [partition, p] : partitions_) {
    for (const std::string& scope : p.dirty_scopes) {
      std::vector<const v1::Quote*> quotes;
      const v1::Quote* newest = nullptr;
      for (const auto& [symbol, s] : p.symbols) {
        if (!s.quote.has_value() || QuoteDay(*s.quote) != p.quotes_day) {
          continue;
        }
        const std::vector<std::string> scopes = Scopes(symbol, s);
        if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) {
          continue;
        }
        quotes.push_back(&*s.quote);
        if (newest == nullptr ||
            market::FromTimestamp(s.quote->meta().fetched_at()) >
                market::FromTimestamp(newest->meta().fetched_at())) {
          newest = &*s.quote;
        }
      }
      v1::MarketBreadth breadth = ComputeBreadth(quotes);
      uint64_t& seq = p.breadth_seq[scope];
      v1::RecordMeta* meta = breadth.mutable_meta();
      meta->set_symbol(scope);
      meta->set_seq(++seq);
      if (newest != nullptr) {
        meta->set_source(newest->meta().source());
        *meta->mutable_fetched_at() = newest->meta().fetched_at();
      }
      *meta->mutable_published_at() = market::ToTimestamp(now);
      if (p.quotes_day.has_value()) {
        *meta->mutable_trading_date() = market::ToDate(*p.quotes_day);
      }
      breadth.set_partition(partition);
      breadth.set_partitions(partition_count_);
      out->push_back({kafka::EncodeRecord(kafka::kMarketTopic, breadth, *meta),
                      partition});
      internal::StateRecord record;
      record.mutable_breadth()->set_seq(seq);
      Log(p, absl::StrCat(kBreadthKey, "/", scope), record);
    }
    p.dirty_scopes.clear();
    for (auto& [key, value] : p.changelog) {
      out->push_back(
          {{.topic = kafka::kAnalyticsStateTopic,
            .key = key,
            .value = std::move(value),
            .headers = {{kafka::kHeaderType,
                         internal::StateRecord::descriptor()->full_name()}}},
           partition});
    }
    p.changelog.clear();
  }
}

// --- State -------------------------------------------------------------------

void AnalyticsProcessor::Drop(int partition) { partitions_.erase(partition); }

absl::Status AnalyticsProcessor::Restore(int partition, absl::string_view key,
                                         absl::string_view value) {
  internal::StateRecord record;
  const std::vector<std::string> parts = absl::StrSplit(key, '/');
  auto unreadable = [&](absl::string_view why) {
    state_unreadable_->Increment();
    return absl::InvalidArgumentError(absl::StrCat(
        "state record '", key, "' of partition ", partition, ": ", why));
  };
  if (parts.size() < 2 || parts[1].empty()) return unreadable("bad key");
  if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return unreadable("not a StateRecord");
  }
  PartitionState& p = State(partition);
  const std::string& kind = parts[0];
  const std::string& name = parts[1];
  int minute = 0;
  if (kind == kBarKey && record.has_intraday_bar() && parts.size() == 3 &&
      absl::SimpleAtoi(parts[2], &minute)) {
    p.restored_bars[name][minute] = record.intraday_bar();
  } else if (kind == kProfileKey && record.has_volume_profile()) {
    p.restored_profiles[name] = record.volume_profile();
  } else if (kind == kQuoteKey && record.has_quote()) {
    p.symbols[name].quote = record.quote();
  } else if (kind == kInstrumentKey && record.has_instrument()) {
    p.symbols[name].instrument = record.instrument();
  } else if (kind == kSignalKey && record.has_signal()) {
    p.symbols[name].signal = record.signal();
  } else if (kind == kBreadthKey && record.has_breadth()) {
    p.breadth_seq[name] = record.breadth().seq();
  } else {
    return unreadable("the key does not match the record");
  }
  state_restored_->Increment();
  return absl::OkStatus();
}

void AnalyticsProcessor::FinishRestore(int partition) {
  PartitionState& p = State(partition);
  for (const auto& [symbol, s] : p.symbols) {
    if (s.quote.has_value() &&
        (!p.quotes_day.has_value() || QuoteDay(*s.quote) > *p.quotes_day)) {
      p.quotes_day = QuoteDay(*s.quote);
    }
  }
  for (const auto& [symbol, profile] : p.restored_profiles) {
    SymbolState& s = p.symbols[symbol];
    s.intraday =
        std::make_unique<indicators::SymbolIntraday>(options_.intraday);
    for (const internal::VolumeProfile::Minute& m : profile.minutes()) {
      s.intraday->mutable_profile().SetMinute(
          m.minute(), {m.volumes().begin(), m.volumes().end()});
    }
  }
  for (const auto& [symbol, bars] : p.restored_bars) {
    SymbolState& s = p.symbols[symbol];
    if (s.intraday == nullptr) {
      s.intraday =
          std::make_unique<indicators::SymbolIntraday>(options_.intraday);
    }
    // Only the newest day's bars: older keys are yesterday's minutes that
    // today has not reached (yet).
    absl::CivilDay day;
    bool any = false;
    for (const auto& [minute, bar] : bars) {
      if (!any || indicators::TradingDay(bar) > day) {
        day = indicators::TradingDay(bar);
        any = true;
      }
    }
    for (const auto& [minute, bar] : bars) {
      if (indicators::TradingDay(bar) != day) continue;
      absl::StatusOr<indicators::MinuteBar> m =
          indicators::MinuteBarFromProto(bar);
      if (m.ok()) (void)s.intraday->Apply(day, *m);
    }
  }
  p.restored_bars.clear();
  p.restored_profiles.clear();
}

}  // namespace vnstream::analytics
