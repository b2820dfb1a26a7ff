#include "services/gateway/market_state.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "libs/market/calendar.h"
#include "libs/market/exchange.h"
#include "libs/market/record_meta.h"
#include "prometheus/gauge.h"
#include "services/gateway/caches.h"

namespace vnstream::gateway {
namespace {

absl::Time FetchedAt(const v1::RecordMeta& meta) {
  return market::FromTimestamp(meta.fetched_at());
}

}  // namespace

ResumePoint ResumeSpec::For(const std::string& symbol) const {
  ResumePoint point;
  if (auto it = since_seq.find(symbol); it != since_seq.end()) {
    point.since_seq = it->second;
  } else {
    point.since_time = since_time;
  }
  return point;
}

struct MarketState::Entry {
  absl::Mutex mu;
  // Created with the channel's first record.
  PerChannel<std::unique_ptr<ChannelCache>> caches ABSL_GUARDED_BY(mu);
  PerChannel<std::vector<std::shared_ptr<Subscriber>>> subscribers
      ABSL_GUARDED_BY(mu);
  // The listing entry (stock-instruments), if any.
  std::optional<v1::Instrument> instrument ABSL_GUARDED_BY(mu);
  // Dropped from the map (no data, no subscribers): lookups must not use it.
  bool removed ABSL_GUARDED_BY(mu) = false;

  const ChannelCache* cache(Channel channel) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return caches[Index(channel)].get();
  }

  // The held quote event, null when none: read without a snapshot copy.
  const EventPtr& latest_quote() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    static const EventPtr kNone;
    const auto* quotes =
        static_cast<const LatestValueCache*>(cache(v1::CHANNEL_QUOTES));
    return quotes != nullptr ? quotes->latest() : kNone;
  }

  bool Empty() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (instrument.has_value()) return false;
    for (int c = 0; c < kChannelCount; ++c) {
      if (!subscribers[c].empty()) return false;
      if (caches[c] != nullptr && !caches[c]->empty()) return false;
    }
    return true;
  }

  // The snapshot events of `symbol` on `channel` (none when nothing held).
  absl::Status Snapshot(Channel channel, const std::string& symbol,
                        const ResumePoint& resume,
                        std::vector<EventPtr>* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (const ChannelCache* c = cache(channel); c != nullptr) {
      return c->Snapshot(symbol, resume, out);
    }
    if (resume.since_seq.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat(symbol, ": resume point seq ", *resume.since_seq,
                       " is not in the cache (nothing held); subscribe "
                       "without since_seq"));
    }
    return absl::OkStatus();
  }
};

MarketState::MarketState(GatewayMetrics* metrics) : metrics_(metrics) {}

MarketState::~MarketState() = default;

MarketState::LockedEntry::~LockedEntry() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (entry_ != nullptr) entry_->mu.Unlock();
}

std::shared_ptr<MarketState::Entry> MarketState::Find(
    const std::string& symbol) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(symbol);
  return it == entries_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::shared_ptr<MarketState::Entry>>>
MarketState::All() {
  absl::MutexLock lock(&mu_);
  return {entries_.begin(), entries_.end()};
}

MarketState::LockedEntry MarketState::LockFindOrCreate(
    const std::string& symbol) ABSL_NO_THREAD_SAFETY_ANALYSIS {
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

MarketState::Applied MarketState::Apply(Channel channel, int source,
                                        RecordPtr record,
                                        v1::Delivery delivery) {
  v1::RecordMeta* meta = market::MutableRecordMetaOf(*record);
  if (meta == nullptr)
    return {};  // Not a record type (impossible by declaration).
  // Before the symbol's lock: the wait for it is the gateway's own latency.
  *meta->mutable_received_at() = market::ToTimestamp(absl::Now());
  const std::string symbol = meta->symbol();
  LockedEntry locked = LockFindOrCreate(symbol);
  Entry& entry = *locked;
  entry.mu.AssertHeld();
  std::unique_ptr<ChannelCache>& cache = entry.caches[Index(channel)];
  if (cache == nullptr) cache = Def(channel).make_cache();
  Applied result;
  const size_t held = cache->size();
  const std::vector<KeyedEvent> events =
      cache->Apply(std::move(record), source, delivery, &result.gaps);
  metrics_->cached_items[Index(channel)]->Increment(
      static_cast<double>(cache->size()) - static_cast<double>(held));
  result.applied = !events.empty();
  const auto& subscribers = entry.subscribers[Index(channel)];
  for (const KeyedEvent& e : events) {
    if (subscribers.empty()) break;
    // Serialized once for every stream it goes to.
    const OutgoingPtr event = Prepare(e.event, e.key);
    for (const auto& s : subscribers) s->Offer(event);
  }
  return result;
}

bool MarketState::ApplyInstrument(v1::Instrument instrument) {
  LockedEntry locked = LockFindOrCreate(instrument.meta().symbol());
  Entry& entry = *locked;
  entry.mu.AssertHeld();
  if (entry.instrument.has_value() &&
      entry.instrument->meta().seq() >= instrument.meta().seq()) {
    return false;
  }
  entry.instrument = std::move(instrument);
  return true;
}

absl::Status MarketState::Subscribe(
    Channel channel, const std::vector<std::string>& symbols,
    const ResumeSpec& resume, std::vector<EventPtr> preamble, EventPtr end,
    const std::shared_ptr<Subscriber>& subscriber) {
  // First check every resume point, so a refusal offers and registers
  // nothing.
  for (const std::string& symbol : symbols) {
    std::shared_ptr<Entry> entry = Find(symbol);
    if (entry == nullptr) entry = std::make_shared<Entry>();  // Nothing held.
    absl::MutexLock lock(&entry->mu);
    std::vector<EventPtr> ignored;
    if (absl::Status s =
            entry->Snapshot(channel, symbol, resume.For(symbol), &ignored);
        !s.ok()) {
      return s;
    }
  }
  subscriber->BeginSnapshot();
  for (EventPtr& event : preamble) subscriber->OfferSnapshot(std::move(event));
  // Then, per symbol and atomically: read the snapshot, register.
  for (const std::string& symbol : symbols) {
    LockedEntry locked = LockFindOrCreate(symbol);
    Entry& entry = *locked;
    entry.mu.AssertHeld();
    std::vector<EventPtr> events;
    // Data only grows between the two passes, so this cannot fail now.
    (void)entry.Snapshot(channel, symbol, resume.For(symbol), &events);
    for (EventPtr& event : events) subscriber->OfferSnapshot(std::move(event));
    entry.subscribers[Index(channel)].push_back(subscriber);
  }
  metrics_->subscriptions[Index(channel)]->Increment(
      static_cast<double>(symbols.size()));
  subscriber->EndSnapshot(std::move(end));
  return absl::OkStatus();
}

void MarketState::Unsubscribe(Channel channel,
                              const std::vector<std::string>& symbols,
                              const Subscriber* subscriber) {
  int removed = 0;
  for (const std::string& symbol : symbols) {
    std::shared_ptr<Entry> entry = Find(symbol);
    if (entry == nullptr) continue;
    absl::MutexLock lock(&entry->mu);
    auto& list = entry->subscribers[Index(channel)];
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
  metrics_->subscriptions[Index(channel)]->Decrement(removed);
}

std::optional<v1::QuoteItem> MarketState::GetQuote(const std::string& symbol) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return std::nullopt;
  EventPtr latest;
  {
    absl::MutexLock lock(&entry->mu);
    latest = entry->latest_quote();
  }
  if (latest == nullptr) return std::nullopt;
  // Copied outside the lock: the held event is immutable.
  v1::QuoteItem item;
  *item.mutable_quote() = latest->quote();
  item.set_delivery(latest->delivery());
  return item;
}

std::optional<v1::GetIntradayBarsResponse> MarketState::GetBars(
    const std::string& symbol, std::optional<absl::Time> since) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return std::nullopt;
  std::vector<EventPtr> events;
  {
    absl::MutexLock lock(&entry->mu);
    const ChannelCache* cache = entry->cache(v1::CHANNEL_INTRADAY_BARS);
    if (cache == nullptr || cache->empty()) return std::nullopt;
    (void)cache->Snapshot(symbol, {}, &events);
  }
  v1::GetIntradayBarsResponse response;
  response.set_symbol(symbol);
  std::vector<const v1::IntradayBar*> bars;
  for (const EventPtr& event : events) {
    response.set_delivery(event->delivery());
    if (since && market::FromTimestamp(event->bar().start_time()) < *since)
      continue;
    bars.push_back(&event->bar());
  }
  // Oldest first by start time (the snapshot is in seq order).
  std::sort(bars.begin(), bars.end(), [](const auto* a, const auto* b) {
    return a->start_time().seconds() < b->start_time().seconds();
  });
  for (const v1::IntradayBar* bar : bars) *response.add_bars() = *bar;
  return response;
}

std::optional<v1::GetHistoryResponse> MarketState::GetHistory(
    const std::string& symbol, int limit) {
  std::optional<HeldHistory> held = GetHeldHistory(symbol);
  if (!held.has_value()) return std::nullopt;
  return HistoryResponse(*held, limit);
}

std::optional<MarketState::HeldHistory> MarketState::GetHeldHistory(
    const std::string& symbol) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return std::nullopt;
  absl::MutexLock lock(&entry->mu);
  const auto* cache =
      static_cast<const HistoryCache*>(entry->cache(v1::CHANNEL_HISTORY));
  if (cache == nullptr || cache->empty()) return std::nullopt;
  return HeldHistory{.view = cache->view(),
                     .delivery = cache->delivery(),
                     .indicators_state = cache->indicators_state()};
}

v1::GetHistoryResponse MarketState::HistoryResponse(const HeldHistory& held,
                                                    int limit) {
  // No lock: the view is immutable once published.
  v1::GetHistoryResponse response;
  response.set_delivery(held.delivery);
  response.set_indicators_state(held.indicators_state);
  const v1::EnrichedHistory& history = *held.view;
  v1::EnrichedHistory* out = response.mutable_history();
  *out->mutable_meta() = history.meta();
  *out->mutable_params() = history.params();
  *out->mutable_performance() = history.performance();
  *out->mutable_computed_at() = history.computed_at();
  const int first = limit > 0 ? std::max(0, history.bars_size() - limit) : 0;
  for (int i = first; i < history.bars_size(); ++i)
    *out->add_bars() = history.bars(i);
  return response;
}

std::vector<v1::SymbolInfo> MarketState::ListSymbols(
    const v1::ListSymbolsRequest& filter) {
  const absl::flat_hash_set<int> exchanges(filter.exchanges().begin(),
                                           filter.exchanges().end());
  const absl::flat_hash_set<int> types(filter.types().begin(),
                                       filter.types().end());
  absl::flat_hash_set<std::string> groups;
  for (const std::string& g : filter.groups())
    groups.insert(market::NormalizeSymbol(g));
  auto entries = All();
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<v1::SymbolInfo> out;
  // The caches are read here, under the entry's lock, not in the lambda
  // (which the thread-safety analysis checks on its own).
  const auto has = [](const ChannelCache* cache) {
    return cache != nullptr && !cache->empty();
  };
  for (const auto& [symbol, entry] : entries) {
    absl::MutexLock lock(&entry->mu);
    v1::SymbolInfo info;
    info.set_symbol(symbol);
    info.set_has_quote(has(entry->cache(v1::CHANNEL_QUOTES)));
    info.set_has_intraday(has(entry->cache(v1::CHANNEL_INTRADAY_BARS)));
    info.set_has_history(has(entry->cache(v1::CHANNEL_HISTORY)));
    // The newest record of any per-symbol channel (breadth scopes are not
    // symbols).
    absl::Time newest = absl::InfinitePast();
    for (int c = 0; c < kChannelCount; ++c) {
      if (ChannelAt(c) == v1::CHANNEL_MARKET) continue;
      const ChannelCache* cache = entry->caches[c].get();
      const v1::RecordMeta* meta = cache ? cache->newest() : nullptr;
      if (meta == nullptr) continue;
      if (info.instrument_type() == v1::INSTRUMENT_TYPE_UNSPECIFIED)
        info.set_instrument_type(meta->instrument_type());
      if (FetchedAt(*meta) > newest) {
        newest = FetchedAt(*meta);
        info.set_delivery(cache->delivery());
      }
    }
    if (const EventPtr& quote = entry->latest_quote(); quote != nullptr)
      info.set_exchange(quote->quote().exchange());
    if (entry->instrument.has_value()) {
      const v1::Instrument& listing = *entry->instrument;
      if (!listing.listed() && newest == absl::InfinitePast()) continue;
      info.set_exchange(listing.exchange());
      info.set_instrument_type(listing.meta().instrument_type());
      info.set_name(listing.name());
      *info.mutable_groups() = listing.groups();
    } else if (newest == absl::InfinitePast()) {
      continue;  // Neither listed nor with data (a pending subscription).
    }
    if (newest != absl::InfinitePast())
      *info.mutable_last_update() = market::ToTimestamp(newest);
    // Records written before instrument types existed are stocks.
    const int type = info.instrument_type() == v1::INSTRUMENT_TYPE_UNSPECIFIED
                         ? v1::INSTRUMENT_TYPE_STOCK
                         : info.instrument_type();
    if (!exchanges.empty() && !exchanges.contains(info.exchange())) continue;
    if (!types.empty() && !types.contains(type)) continue;
    if (!groups.empty() &&
        std::none_of(info.groups().begin(), info.groups().end(),
                     [&](const std::string& g) { return groups.contains(g); }))
      continue;
    out.push_back(std::move(info));
  }
  return out;
}

bool MarketState::HasKafkaData(Channel channel, const std::string& symbol) {
  std::shared_ptr<Entry> entry = Find(symbol);
  if (entry == nullptr) return false;
  absl::MutexLock lock(&entry->mu);
  const ChannelCache* cache = entry->cache(channel);
  return cache != nullptr && cache->delivery() == v1::DELIVERY_KAFKA;
}

std::vector<std::string> MarketState::SubscribedWithoutKafkaData(
    Channel channel) {
  std::vector<std::string> out;
  for (const auto& [symbol, entry] : All()) {
    absl::MutexLock lock(&entry->mu);
    const ChannelCache* cache = entry->cache(channel);
    if (!entry->subscribers[Index(channel)].empty() &&
        (cache == nullptr || cache->delivery() != v1::DELIVERY_KAFKA)) {
      out.push_back(symbol);
    }
  }
  return out;
}

PerChannel<CacheStats> MarketState::Stats() {
  PerChannel<CacheStats> stats;
  for (const auto& [symbol, entry] : All()) {
    absl::MutexLock lock(&entry->mu);
    for (int c = 0; c < kChannelCount; ++c) {
      const ChannelCache* cache = entry->caches[c].get();
      const v1::RecordMeta* meta = cache ? cache->newest() : nullptr;
      if (meta == nullptr) continue;
      ++stats[c].symbols;
      stats[c].oldest_update =
          std::min(stats[c].oldest_update, FetchedAt(*meta));
    }
  }
  return stats;
}

}  // namespace vnstream::gateway
