#include "services/gateway/market_state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "prometheus/metric_family.h"

namespace vnstream::gateway {
namespace {

using ::google::protobuf::util::MessageDifferencer;

template <typename Message>
bool SameContent(Message a, Message b) {
  a.clear_meta();
  b.clear_meta();
  return MessageDifferencer::Equals(a, b);
}

absl::Time FetchedAt(const v1::RecordMeta& meta) {
  return market::FromTimestamp(meta.fetched_at());
}

std::string BarKey(const v1::IntradayBar& bar) {
  return absl::StrCat(bar.meta().symbol(), "@", bar.start_time().seconds());
}

}  // namespace

struct MarketState::Entry {
  absl::Mutex mu;
  // Quotes.
  std::optional<v1::Quote> quote ABSL_GUARDED_BY(mu);
  v1::Delivery quote_delivery ABSL_GUARDED_BY(mu) = v1::DELIVERY_UNSPECIFIED;
  // Today's 1-minute bars, latest revision each, by start time (Unix s).
  absl::CivilDay bar_day ABSL_GUARDED_BY(mu);
  uint64_t bar_seq ABSL_GUARDED_BY(mu) = 0;  // Highest seq of bar_day.
  std::map<int64_t, v1::IntradayBar> bars ABSL_GUARDED_BY(mu);
  v1::Delivery bars_delivery ABSL_GUARDED_BY(mu) = v1::DELIVERY_UNSPECIFIED;
  // History with indicators.
  std::shared_ptr<const v1::EnrichedHistory> history ABSL_GUARDED_BY(mu);
  v1::Delivery history_delivery ABSL_GUARDED_BY(mu) = v1::DELIVERY_UNSPECIFIED;
  // Gateway-assigned sequence numbers of fallback records, per channel.
  uint64_t fallback_seq[kChannels] ABSL_GUARDED_BY(mu) = {0, 0, 0};
  std::vector<std::shared_ptr<Subscriber>>
      subscribers[kChannels] ABSL_GUARDED_BY(mu);
  // Dropped from the map (no data, no subscribers): lookups must not use it.
  bool removed ABSL_GUARDED_BY(mu) = false;

  bool Empty() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (const auto& list : subscribers) {
      if (!list.empty()) return false;
    }
    return !quote.has_value() && bars.empty() && history == nullptr;
  }

  void Offer(Channel channel, const EventPtr& event, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (const auto& s : subscribers[static_cast<int>(channel)])
      s->Offer(event, key);
  }

  // Resolves the sequence number of an incoming record against `current`
  // (the delivery of what is held). Returns false to drop it.
  bool Admit(Channel channel, v1::Delivery incoming, v1::Delivery current,
             uint64_t held_seq, v1::RecordMeta& meta)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (incoming == v1::DELIVERY_VNSTOCK_FALLBACK) {
      if (current == v1::DELIVERY_KAFKA) return false;
      meta.set_seq(++fallback_seq[static_cast<int>(channel)]);
      return true;
    }
    // Kafka replaces fallback data whatever the numbers say.
    return current != v1::DELIVERY_KAFKA || meta.seq() > held_seq;
  }
};

MarketState::MarketState(GatewayMetrics* metrics, indicators::Params params)
    : metrics_(metrics), params_(std::move(params)) {}

MarketState::~MarketState() = default;

std::shared_ptr<MarketState::Entry> MarketState::Find(
    const std::string& symbol) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(symbol);
  return it == entries_.end() ? nullptr : it->second;
}

MarketState::LockedEntry MarketState::LockFindOrCreate(
    const std::string& symbol) {
  while (true) {
    std::shared_ptr<Entry> entry;
    {
      absl::MutexLock lock(&mu_);
      std::shared_ptr<Entry>& slot = entries_[symbol];
      if (slot == nullptr) slot = std::make_shared<Entry>();
      entry = slot;
    }
    entry->mu.Lock();
    if (!entry->removed) return LockedEntry(std::move(entry));
    entry->mu.Unlock();  // Pruned meanwhile: look it up again.
  }
}

MarketState::LockedEntry::~LockedEntry() {
  if (entry_ != nullptr) entry_->mu.Unlock();
}

bool MarketState::ApplyQuote(v1::Quote quote, v1::Delivery delivery) {
  LockedEntry entry = LockFindOrCreate(quote.meta().symbol());
  if (delivery == v1::DELIVERY_VNSTOCK_FALLBACK && entry->quote.has_value() &&
      entry->quote_delivery == delivery && SameContent(quote, *entry->quote)) {
    return false;  // A fallback poll that found nothing new.
  }
  if (!entry->Admit(Channel::kQuotes, delivery, entry->quote_delivery,
                    entry->quote ? entry->quote->meta().seq() : 0,
                    *quote.mutable_meta())) {
    return false;
  }
  auto event = std::make_shared<v1::MarketEvent>();
  *event->mutable_quote() = quote;
  event->set_delivery(delivery);
  entry->quote = std::move(quote);
  entry->quote_delivery = delivery;
  entry->Offer(Channel::kQuotes, event, event->quote().meta().symbol());
  return true;
}

bool MarketState::ApplyBar(v1::IntradayBar bar, v1::Delivery delivery) {
  const absl::CivilDay day = market::ToCivilDay(bar.meta().trading_date());
  LockedEntry entry = LockFindOrCreate(bar.meta().symbol());
  if (day < entry->bar_day) return false;  // A previous day's bar.
  const bool new_day = day > entry->bar_day;
  if (!new_day && delivery == v1::DELIVERY_VNSTOCK_FALLBACK) {
    auto it = entry->bars.find(bar.start_time().seconds());
    if (it != entry->bars.end() && SameContent(bar, it->second)) return false;
  }
  // A new trading day restarts numbering (per-day sequence).
  const uint64_t held_seq = new_day ? 0 : entry->bar_seq;
  const v1::Delivery held_delivery =
      new_day && entry->bars_delivery == v1::DELIVERY_VNSTOCK_FALLBACK
          ? v1::DELIVERY_UNSPECIFIED
          : entry->bars_delivery;
  if (!entry->Admit(Channel::kBars, delivery, held_delivery, held_seq,
                    *bar.mutable_meta())) {
    return false;
  }
  if (new_day || held_delivery != delivery) {
    entry->bars.clear();
    entry->bar_day = day;
    entry->bar_seq = 0;
  }
  entry->bars_delivery = delivery;
  entry->bar_seq = std::max(entry->bar_seq, bar.meta().seq());
  auto event = std::make_shared<v1::MarketEvent>();
  *event->mutable_bar() = bar;
  event->set_delivery(delivery);
  entry->bars[bar.start_time().seconds()] = std::move(bar);
  // In-progress versions of a bar are superseded by later ones (and by its
  // final version): one key per bar.
  entry->Offer(Channel::kBars, event, BarKey(event->bar()));
  return true;
}

bool MarketState::ApplyHistory(const v1::DailyHistory& history,
                               v1::Delivery delivery) {
  v1::EnrichedHistory enriched;
  if (absl::Status s = indicators::Enrich(history, params_, &enriched);
      !s.ok()) {
    spdlog::warn("history of {} (seq {}) not usable: {}",
                 history.meta().symbol(), history.meta().seq(), s);
    return false;
  }
  *enriched.mutable_computed_at() = market::ToTimestamp(absl::Now());
  LockedEntry entry = LockFindOrCreate(history.meta().symbol());
  return SetHistoryView(*entry, std::move(enriched), delivery);
}

bool MarketState::ApplyEnriched(v1::EnrichedHistory history,
                                v1::Delivery delivery) {
  LockedEntry entry = LockFindOrCreate(history.meta().symbol());
  // The same record already enriched here: identical numbers, nothing new.
  if (delivery == v1::DELIVERY_KAFKA && entry->history_delivery == delivery &&
      entry->history != nullptr &&
      entry->history->meta().seq() == history.meta().seq()) {
    return false;
  }
  return SetHistoryView(*entry, std::move(history), delivery);
}

bool MarketState::SetHistoryView(Entry& entry, v1::EnrichedHistory view,
                                 v1::Delivery delivery) {
  entry.mu.AssertHeld();
  if (delivery == v1::DELIVERY_VNSTOCK_FALLBACK && entry.history != nullptr &&
      entry.history_delivery == delivery && SameContent(view, *entry.history)) {
    return false;
  }
  auto owned = std::make_shared<v1::EnrichedHistory>(std::move(view));
  if (!entry.Admit(Channel::kHistory, delivery, entry.history_delivery,
                   entry.history ? entry.history->meta().seq() : 0,
                   *owned->mutable_meta())) {
    return false;
  }
  auto event = std::make_shared<v1::MarketEvent>();
  event->set_delivery(delivery);
  v1::HistoryUpdate* update = event->mutable_history();
  *update->mutable_meta() = owned->meta();
  *update->mutable_params() = owned->params();
  *update->mutable_performance() = owned->performance();
  const v1::EnrichedHistory* previous = entry.history.get();
  // Upserts by date are enough unless the window moved (its first date
  // changed) or shrank: then the client replaces everything.
  const bool full = previous == nullptr || entry.history_delivery != delivery ||
                    previous->bars_size() == 0 || owned->bars_size() == 0 ||
                    previous->bars_size() > owned->bars_size() ||
                    !MessageDifferencer::Equals(previous->bars(0).bar().date(),
                                                owned->bars(0).bar().date());
  int first_changed = 0;
  if (!full) {
    while (first_changed < previous->bars_size() &&
           MessageDifferencer::Equals(previous->bars(first_changed),
                                      owned->bars(first_changed))) {
      ++first_changed;
    }
  }
  update->set_full(full);
  for (int i = first_changed; i < owned->bars_size(); ++i) {
    *update->add_bars() = owned->bars(i);
  }
  entry.history = std::move(owned);
  entry.history_delivery = delivery;
  entry.Offer(Channel::kHistory, event, "");
  return true;
}

absl::Status MarketState::Subscribe(
    Channel channel, const std::vector<std::string>& symbols,
    const ResumeSpec& resume, const std::shared_ptr<Subscriber>& subscriber) {
  const int c = static_cast<int>(channel);

  // The snapshot events of one symbol, or FAILED_PRECONDITION.
  auto snapshot =
      [&](const std::string& symbol, Entry& entry,
          std::vector<EventPtr>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu) {
        const auto since_seq_it = resume.since_seq.find(symbol);
        const std::optional<uint64_t> since_seq =
            since_seq_it == resume.since_seq.end()
                ? std::nullopt
                : std::optional(since_seq_it->second);
        const std::optional<absl::Time> since_time =
            since_seq.has_value() ? std::nullopt : resume.since_time;
        auto make = [](v1::Delivery delivery) {
          auto event = std::make_shared<v1::MarketEvent>();
          event->set_delivery(delivery);
          event->set_snapshot(true);
          return event;
        };
        auto not_held = [&](uint64_t seq) {
          return absl::FailedPreconditionError(
              absl::StrCat(symbol, ": resume point seq ", *since_seq,
                           " is not in the cache (newest is ", seq,
                           "); subscribe without since_seq"));
        };
        switch (channel) {
          case Channel::kQuotes: {
            if (!entry.quote.has_value()) {
              if (since_seq.has_value()) return not_held(0);
              return absl::OkStatus();
            }
            const v1::RecordMeta& meta = entry.quote->meta();
            if (since_seq.has_value() && *since_seq > meta.seq())
              return not_held(meta.seq());
            if ((since_seq && *since_seq == meta.seq()) ||
                (since_time && FetchedAt(meta) < *since_time)) {
              return absl::OkStatus();
            }
            auto event = make(entry.quote_delivery);
            *event->mutable_quote() = *entry.quote;
            out->push_back(std::move(event));
            return absl::OkStatus();
          }
          case Channel::kBars: {
            if (since_seq.has_value() && *since_seq > entry.bar_seq) {
              return not_held(entry.bar_seq);
            }
            if (since_time.has_value() && !entry.bars.empty() &&
                *since_time <
                    absl::FromCivil(entry.bar_day, market::VietnamTime())) {
              return absl::FailedPreconditionError(absl::StrCat(
                  symbol,
                  ": since_time is before the trading day the cache holds (",
                  absl::FormatCivilTime(entry.bar_day), ")"));
            }
            for (const auto& [start, bar] : entry.bars) {
              if (since_seq && bar.meta().seq() <= *since_seq) continue;
              if (since_time && absl::FromUnixSeconds(start) < *since_time)
                continue;
              auto event = make(entry.bars_delivery);
              *event->mutable_bar() = bar;
              out->push_back(std::move(event));
            }
            return absl::OkStatus();
          }
          case Channel::kHistory: {
            if (entry.history == nullptr) {
              if (since_seq.has_value()) return not_held(0);
              return absl::OkStatus();
            }
            const v1::RecordMeta& meta = entry.history->meta();
            if (since_seq.has_value() && *since_seq > meta.seq())
              return not_held(meta.seq());
            if ((since_seq && *since_seq == meta.seq()) ||
                (since_time && FetchedAt(meta) < *since_time)) {
              return absl::OkStatus();
            }
            auto event = make(entry.history_delivery);
            v1::HistoryUpdate* update = event->mutable_history();
            *update->mutable_meta() = meta;
            *update->mutable_params() = entry.history->params();
            *update->mutable_performance() = entry.history->performance();
            *update->mutable_bars() = entry.history->bars();
            update->set_full(true);
            out->push_back(std::move(event));
            return absl::OkStatus();
          }
        }
        return absl::OkStatus();
      };

  // First check every resume point, so a refusal registers nothing.
  for (const std::string& symbol : symbols) {
    std::shared_ptr<Entry> entry = Find(symbol);
    if (entry == nullptr) entry = std::make_shared<Entry>();  // Nothing held.
    absl::MutexLock lock(&entry->mu);
    std::vector<EventPtr> ignored;
    if (absl::Status s = snapshot(symbol, *entry, &ignored); !s.ok()) return s;
  }
  // Then, per symbol and atomically: read the snapshot, register.
  for (const std::string& symbol : symbols) {
    LockedEntry entry = LockFindOrCreate(symbol);
    std::vector<EventPtr> events;
    // Data only grows between the two passes, so this cannot fail now.
    (void)snapshot(symbol, *entry, &events);
    for (EventPtr& event : events) subscriber->OfferSnapshot(std::move(event));
    entry->subscribers[c].push_back(subscriber);
  }
  metrics_->subscriptions[c]->Increment(static_cast<double>(symbols.size()));
  subscriber->EndSnapshot();
  return absl::OkStatus();
}

void MarketState::Unsubscribe(Channel channel,
                              const std::vector<std::string>& symbols,
                              const Subscriber* subscriber) {
  const int c = static_cast<int>(channel);
  int removed = 0;
  for (const std::string& symbol : symbols) {
    std::shared_ptr<Entry> entry = Find(symbol);
    if (entry == nullptr) continue;
    absl::MutexLock lock(&entry->mu);
    auto& list = entry->subscribers[c];
    const auto end =
        std::remove_if(list.begin(), list.end(),
                       [&](const auto& s) { return s.get() == subscriber; });
    removed += static_cast<int>(list.end() - end);
    list.erase(end, list.end());
    if (entry->Empty()) {
      // Nothing held and nobody listening (e.g. an unknown symbol): drop
      // it so subscriptions to made-up symbols cannot grow the map.
      entry->removed = true;
      absl::MutexLock map_lock(&mu_);
      if (auto it = entries_.find(symbol);
          it != entries_.end() && it->second == entry) {
        entries_.erase(it);
      }
    }
  }
  metrics_->subscriptions[c]->Decrement(removed);
}

std::optional<v1::QuoteItem> MarketState::GetQuote(const std::string& symbol) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return std::nullopt;
  absl::MutexLock lock(&entry->mu);
  if (!entry->quote.has_value()) return std::nullopt;
  v1::QuoteItem item;
  *item.mutable_quote() = *entry->quote;
  item.set_delivery(entry->quote_delivery);
  return item;
}

std::optional<v1::GetIntradayBarsResponse> MarketState::GetBars(
    const std::string& symbol, std::optional<absl::Time> since) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return std::nullopt;
  absl::MutexLock lock(&entry->mu);
  if (entry->bars.empty()) return std::nullopt;
  v1::GetIntradayBarsResponse response;
  response.set_symbol(symbol);
  response.set_delivery(entry->bars_delivery);
  for (const auto& [start, bar] : entry->bars) {
    if (since && absl::FromUnixSeconds(start) < *since) continue;
    *response.add_bars() = bar;
  }
  return response;
}

std::optional<v1::GetHistoryResponse> MarketState::GetHistory(
    const std::string& symbol, int limit) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return std::nullopt;
  std::shared_ptr<const v1::EnrichedHistory> history;
  v1::GetHistoryResponse response;
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->history == nullptr) return std::nullopt;
    history = entry->history;
    response.set_delivery(entry->history_delivery);
  }
  // Copied outside the lock: the view is immutable once published.
  v1::EnrichedHistory* out = response.mutable_history();
  *out->mutable_meta() = history->meta();
  *out->mutable_params() = history->params();
  *out->mutable_performance() = history->performance();
  *out->mutable_computed_at() = history->computed_at();
  const int first = limit > 0 ? std::max(0, history->bars_size() - limit) : 0;
  for (int i = first; i < history->bars_size(); ++i)
    *out->add_bars() = history->bars(i);
  return response;
}

std::vector<v1::SymbolInfo> MarketState::ListSymbols() {
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> entries;
  {
    absl::MutexLock lock(&mu_);
    entries.assign(entries_.begin(), entries_.end());
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<v1::SymbolInfo> out;
  for (const auto& [symbol, entry] : entries) {
    absl::MutexLock lock(&entry->mu);
    v1::SymbolInfo info;
    info.set_symbol(symbol);
    info.set_has_quote(entry->quote.has_value());
    info.set_has_intraday(!entry->bars.empty());
    info.set_has_history(entry->history != nullptr);
    if (!info.has_quote() && !info.has_intraday() && !info.has_history())
      continue;
    absl::Time newest = absl::InfinitePast();
    v1::Delivery delivery = v1::DELIVERY_UNSPECIFIED;
    auto consider = [&](const v1::RecordMeta& meta, v1::Delivery d) {
      if (FetchedAt(meta) > newest) {
        newest = FetchedAt(meta);
        delivery = d;
      }
    };
    if (entry->quote) {
      info.set_exchange(entry->quote->exchange());
      consider(entry->quote->meta(), entry->quote_delivery);
    }
    if (!entry->bars.empty())
      consider(entry->bars.rbegin()->second.meta(), entry->bars_delivery);
    if (entry->history)
      consider(entry->history->meta(), entry->history_delivery);
    info.set_delivery(delivery);
    *info.mutable_last_update() = market::ToTimestamp(newest);
    out.push_back(std::move(info));
  }
  return out;
}

bool MarketState::HasKafkaData(Channel channel, const std::string& symbol) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return false;
  absl::MutexLock lock(&entry->mu);
  switch (channel) {
    case Channel::kQuotes:
      return entry->quote_delivery == v1::DELIVERY_KAFKA;
    case Channel::kBars:
      return entry->bars_delivery == v1::DELIVERY_KAFKA;
    case Channel::kHistory:
      return entry->history_delivery == v1::DELIVERY_KAFKA;
  }
  return false;
}

std::vector<std::string> MarketState::SubscribedWithoutKafkaData(
    Channel channel) {
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> entries;
  {
    absl::MutexLock lock(&mu_);
    entries.assign(entries_.begin(), entries_.end());
  }
  std::vector<std::string> out;
  const int c = static_cast<int>(channel);
  for (const auto& [symbol, entry] : entries) {
    absl::MutexLock lock(&entry->mu);
    const v1::Delivery delivery =
        channel == Channel::kQuotes ? entry->quote_delivery
        : channel == Channel::kBars ? entry->bars_delivery
                                    : entry->history_delivery;
    if (!entry->subscribers[c].empty() && delivery != v1::DELIVERY_KAFKA) {
      out.push_back(symbol);
    }
  }
  return out;
}

std::shared_ptr<prometheus::Collectable> MarketState::CacheCollector() {
  // Computed at scrape time from the cache itself.
  class Collector : public prometheus::Collectable {
   public:
    explicit Collector(MarketState* state) : state_(state) {}
    std::vector<prometheus::MetricFamily> Collect() const override {
      int count[kChannels] = {0, 0, 0};
      absl::Time oldest[kChannels] = {absl::InfiniteFuture(),
                                      absl::InfiniteFuture(),
                                      absl::InfiniteFuture()};
      std::vector<std::shared_ptr<Entry>> entries;
      {
        absl::MutexLock lock(&state_->mu_);
        for (const auto& [symbol, entry] : state_->entries_)
          entries.push_back(entry);
      }
      for (const auto& entry : entries) {
        absl::MutexLock lock(&entry->mu);
        auto count_one = [&](Channel c, const v1::RecordMeta& meta) {
          const int i = static_cast<int>(c);
          ++count[i];
          oldest[i] = std::min(oldest[i], FetchedAt(meta));
        };
        if (entry->quote) count_one(Channel::kQuotes, entry->quote->meta());
        if (!entry->bars.empty())
          count_one(Channel::kBars, entry->bars.rbegin()->second.meta());
        if (entry->history)
          count_one(Channel::kHistory, entry->history->meta());
      }
      prometheus::MetricFamily symbols{"vnstream_gateway_cache_symbols",
                                       "Symbols with data in the cache.",
                                       prometheus::MetricType::Gauge,
                                       {}};
      prometheus::MetricFamily age{
          "vnstream_gateway_cache_oldest_update_age_seconds",
          "Age of the stalest symbol's newest record "
          "(meta.fetched_at), seconds.",
          prometheus::MetricType::Gauge,
          {}};
      const absl::Time now = absl::Now();
      for (int c = 0; c < kChannels; ++c) {
        prometheus::ClientMetric metric;
        metric.label = {{"channel", ChannelName(static_cast<Channel>(c))}};
        metric.gauge.value = count[c];
        symbols.metric.push_back(metric);
        metric.gauge.value =
            count[c] == 0 ? 0 : absl::ToDoubleSeconds(now - oldest[c]);
        age.metric.push_back(metric);
      }
      return {symbols, age};
    }

   private:
    MarketState* state_;
  };
  return std::make_shared<Collector>(this);
}

}  // namespace vnstream::gateway
