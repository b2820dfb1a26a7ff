// The gateway's channels, declared once each (see channel.h).
#include "absl/strings/str_cat.h"
#include "libs/indicators/indicators.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/vnstock/client.h"
#include "libs/vnstock/records.h"
#include "services/gateway/caches.h"
#include "services/gateway/channel.h"

namespace vnstream::gateway {
namespace {

// Bars the fallback asks VNStock for, as ingest does: a whole trading day of
// 1-minute bars (255) with a margin, and the daily window ingest publishes
// (260 trading days, about a year).
constexpr int kFallbackIntradayBars = 300;
constexpr int kFallbackHistoryBars = 260;
// Signals held per symbol for snapshots and resumes.
constexpr size_t kSignalsHeld = 256;

template <typename Record>
std::vector<RecordPtr> Records(std::vector<Record> records) {
  std::vector<RecordPtr> out;
  out.reserve(records.size());
  for (Record& r : records)
    out.push_back(std::make_unique<Record>(std::move(r)));
  return out;
}

absl::StatusOr<std::vector<RecordPtr>> FetchQuote(const FetchContext& context,
                                                  const std::string& symbol) {
  const std::vector<std::string> symbols = {symbol};
  vnstock::PriceBoard board =
      context.source->FetchPriceBoard(symbols, context.deadline);
  if (!board.errors.empty()) return board.errors.front();
  if (board.quotes.empty()) {
    return absl::NotFoundError(
        absl::StrCat("VNStock has no quote for ", symbol));
  }
  return Records(std::move(board.quotes));
}

// The symbol's bars of `time_frame`, or NotFound.
absl::StatusOr<vnstock::SymbolBars> FetchSeries(const FetchContext& context,
                                                const std::string& symbol,
                                                vnstock::TimeFrame time_frame,
                                                int count_back,
                                                const char* what) {
  const std::vector<std::string> symbols = {symbol};
  const bool minutes = time_frame == vnstock::TimeFrame::kOneMinute;
  vnstock::Bars fetched = context.source->FetchBars(
      symbols, time_frame,
      context.now + (minutes ? absl::Minutes(1) : absl::Hours(24)), count_back,
      context.deadline);
  if (!fetched.errors.empty()) return fetched.errors.front();
  if (fetched.series.empty() || fetched.series.front().bars.empty()) {
    return absl::NotFoundError(
        absl::StrCat("VNStock has no ", what, " for ", symbol));
  }
  return std::move(fetched.series.front());
}

absl::StatusOr<std::vector<RecordPtr>> FetchIntradayBars(
    const FetchContext& context, const std::string& symbol) {
  absl::StatusOr<vnstock::SymbolBars> series =
      FetchSeries(context, symbol, vnstock::TimeFrame::kOneMinute,
                  kFallbackIntradayBars, "intraday bars");
  if (!series.ok()) return series.status();
  return Records(vnstock::ToIntradayBars(*series, context.now));
}

// Data the gateway fetched itself is the only data it enriches (labelled
// INDICATORS_STATE_GATEWAY): same library, same numbers as analytics.
absl::StatusOr<std::vector<RecordPtr>> FetchHistory(const FetchContext& context,
                                                    const std::string& symbol) {
  absl::StatusOr<vnstock::SymbolBars> series =
      FetchSeries(context, symbol, vnstock::TimeFrame::kOneDay,
                  kFallbackHistoryBars, "history");
  if (!series.ok()) return series.status();
  const absl::Time now = context.now;
  auto enriched = std::make_unique<v1::EnrichedHistory>();
  if (absl::Status s = indicators::Enrich(
          vnstock::ToDailyHistory(*series, now, *context.calendar),
          *context.indicators, enriched.get());
      !s.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "VNStock history of ", symbol, " is not usable: ", s.message()));
  }
  *enriched->mutable_computed_at() = market::ToTimestamp(now);
  std::vector<RecordPtr> out;
  out.push_back(std::move(enriched));
  return out;
}

PerChannel<ChannelDef> Declare() {
  PerChannel<ChannelDef> defs;
  auto declare = [&defs](ChannelDef def) {
    defs[Index(def.id)] = std::move(def);
  };
  declare({.id = v1::CHANNEL_QUOTES,
           .name = "quotes",
           .topics = {{kafka::kPricesTopic, &v1::Quote::default_instance()}},
           .make_cache =
               [] {
                 return std::make_unique<LatestValueCache>(v1::CHANNEL_QUOTES);
               },
           .fallback = FallbackSpec{.fetch = FetchQuote,
                                    .ttl = absl::Seconds(5),
                                    .poll = absl::Seconds(10)}});
  declare({.id = v1::CHANNEL_INTRADAY_BARS,
           .name = "bars",
           .topics = {{kafka::kIntradayTopic,
                       &v1::IntradayBar::default_instance()}},
           .make_cache =
               [] {
                 return std::make_unique<DayBarsCache>(
                     v1::CHANNEL_INTRADAY_BARS);
               },
           .fallback = FallbackSpec{.fetch = FetchIntradayBars,
                                    .ttl = absl::Seconds(20),
                                    .poll = absl::Seconds(60)}});
  declare(
      {.id = v1::CHANNEL_HISTORY,
       .name = "history",
       .topics = {{kafka::kHistoricalTopic,
                   &v1::DailyHistory::default_instance()},
                  {kafka::kAnalyticsTopic,
                   &v1::EnrichedHistory::default_instance()}},
       .make_cache =
           [] { return std::make_unique<HistoryCache>(v1::CHANNEL_HISTORY); },
       .fallback = FallbackSpec{.fetch = FetchHistory,
                                .source_index = HistoryCache::kEnrichedSource,
                                .ttl = absl::Minutes(5),
                                .poll = absl::Minutes(5)}});
  declare({.id = v1::CHANNEL_INTRADAY_ANALYTICS,
           .name = "intraday_analytics",
           .topics = {{kafka::kIntradayAnalyticsTopic,
                       &v1::EnrichedIntradayBar::default_instance()}},
           .make_cache = [] {
             return std::make_unique<DayBarsCache>(
                 v1::CHANNEL_INTRADAY_ANALYTICS);
           }});
  declare({.id = v1::CHANNEL_MARKET,
           .name = "market",
           .topics = {{kafka::kMarketTopic,
                       &v1::MarketBreadth::default_instance()}},
           .make_cache = [] {
             return std::make_unique<BreadthCache>(v1::CHANNEL_MARKET);
           }});
  declare({.id = v1::CHANNEL_SIGNALS,
           .name = "signals",
           .topics = {{kafka::kSignalsTopic, &v1::Signal::default_instance()}},
           .make_cache = [] {
             return std::make_unique<EventLogCache>(v1::CHANNEL_SIGNALS,
                                                    kSignalsHeld);
           }});
  return defs;
}

}  // namespace

const PerChannel<ChannelDef>& Channels() {
  static const PerChannel<ChannelDef>* const defs =
      new PerChannel<ChannelDef>(Declare());
  return *defs;
}

const ChannelDef& Def(Channel channel) { return Channels()[Index(channel)]; }

const v1::RecordMeta* EventMeta(const v1::MarketEvent& event) {
  switch (event.payload_case()) {
    case v1::MarketEvent::kQuote:
      return &event.quote().meta();
    case v1::MarketEvent::kBar:
      return &event.bar().meta();
    case v1::MarketEvent::kHistory:
      return &event.history().meta();
    case v1::MarketEvent::kIntradayAnalytics:
      return &event.intraday_analytics().meta();
    case v1::MarketEvent::kMarket:
      return &event.market().meta();
    case v1::MarketEvent::kSignal:
      return &event.signal().meta();
    default:
      return nullptr;
  }
}

}  // namespace vnstream::gateway
