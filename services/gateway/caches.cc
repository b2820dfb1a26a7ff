#include "services/gateway/caches.h"

#include <algorithm>
#include <tuple>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/market/breadth.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::gateway {
namespace {

using ::google::protobuf::util::MessageDifferencer;

// Equal apart from metadata (fetched_at and seq differ on every poll).
template <typename Message>
bool SameContent(Message a, Message b) {
  a.clear_meta();
  b.clear_meta();
  return MessageDifferencer::Equals(a, b);
}

absl::Time FetchedAt(const v1::RecordMeta& meta) {
  return market::FromTimestamp(meta.fetched_at());
}

template <typename Record>
std::unique_ptr<Record> Take(RecordPtr record) {
  // The Kafka feed and the fallback decode each topic into its declared
  // type, so a mismatch is a programming error.
  ABSL_HARDENING_ASSERT(record->GetDescriptor() == Record::descriptor());
  return std::unique_ptr<Record>(static_cast<Record*>(record.release()));
}

absl::Status NotHeld(const std::string& symbol, uint64_t since, uint64_t held) {
  return absl::FailedPreconditionError(absl::StrCat(
      symbol, ": resume point seq ", since, " is not in the cache (newest is ",
      held, "); subscribe without since_seq"));
}

// The 1-minute bar of a bars channel event (plain or enriched).
const v1::IntradayBar& BarOf(const v1::MarketEvent& event) {
  return event.has_intraday_analytics() ? event.intraday_analytics().bar()
                                        : event.bar();
}

}  // namespace

uint64_t GapLog::Note(uint64_t held, uint64_t incoming) {
  if (held == 0 || incoming <= held + 1) return 0;
  ranges_.emplace_back(held + 1, incoming - 1);
  if (ranges_.size() > kMaxRanges) ranges_.pop_front();
  return incoming - held - 1;
}

uint64_t GapLog::MissingBetween(uint64_t from, uint64_t to) const {
  uint64_t missing = 0;
  for (const auto& [first, last] : ranges_) {
    const uint64_t lo = std::max(first, from + 1);
    const uint64_t hi = std::min(last, to - 1);
    if (to > 0 && lo <= hi) missing += hi - lo + 1;
  }
  return missing;
}

bool Admission::Admit(v1::Delivery incoming, v1::Delivery held,
                      uint64_t held_seq, v1::RecordMeta& meta, GapLog& gaps,
                      uint64_t* gap_count) {
  if (incoming == v1::DELIVERY_VNSTOCK_FALLBACK) {
    if (held == v1::DELIVERY_KAFKA) return false;
    meta.set_seq(++fallback_seq_);
    return true;
  }
  // Kafka replaces fallback data whatever the numbers say.
  if (held != v1::DELIVERY_KAFKA) {
    gaps.Clear();
    return true;
  }
  if (meta.seq() <= held_seq) return false;
  *gap_count += gaps.Note(held_seq, meta.seq());
  return true;
}

std::shared_ptr<v1::MarketEvent> NewEvent(Channel channel,
                                          v1::Delivery delivery,
                                          bool snapshot) {
  auto event = std::make_shared<v1::MarketEvent>();
  event->set_channel(channel);
  event->set_delivery(delivery);
  event->set_snapshot(snapshot);
  return event;
}

EventPtr SnapshotCopy(const v1::MarketEvent& live, uint32_t conflated) {
  auto event = std::make_shared<v1::MarketEvent>(live);
  event->set_snapshot(true);
  event->set_conflated(conflated);
  return event;
}

std::string ConflationKey(Channel channel, const std::string& symbol,
                          const std::string& suffix) {
  return absl::StrCat(static_cast<int>(channel), "/", symbol, suffix);
}

// The conflated count of a snapshot event: seqs between the previous one
// and this one that the cache no longer holds, less those that never
// arrived.
static uint32_t Conflated(uint64_t previous, uint64_t seq, const GapLog& gaps) {
  if (seq <= previous + 1) return 0;
  const uint64_t between = seq - previous - 1;
  return static_cast<uint32_t>(
      between - std::min(between, gaps.MissingBetween(previous, seq)));
}

// The snapshot of a cache holding one latest event (`latest`, null when
// none): that event, unless the resume point already has it (or is newer
// than its fetch time); FAILED_PRECONDITION when the resume point is not
// held. `conflated` gives the snapshot event's conflated count.
static absl::Status SnapshotOfLatest(
    const std::string& symbol, const ResumePoint& resume,
    const EventPtr& latest,
    absl::FunctionRef<uint32_t(const v1::RecordMeta&)> conflated,
    std::vector<EventPtr>* out) {
  if (latest == nullptr) {
    if (resume.since_seq.has_value())
      return NotHeld(symbol, *resume.since_seq, 0);
    return absl::OkStatus();
  }
  const v1::RecordMeta& meta = *EventMeta(*latest);
  if (resume.since_seq.has_value()) {
    if (*resume.since_seq > meta.seq())
      return NotHeld(symbol, *resume.since_seq, meta.seq());
    if (*resume.since_seq == meta.seq()) return absl::OkStatus();
  } else if (resume.since_time.has_value() &&
             FetchedAt(meta) < *resume.since_time) {
    return absl::OkStatus();
  }
  out->push_back(SnapshotCopy(*latest, conflated(meta)));
  return absl::OkStatus();
}

// --- LatestValueCache -------------------------------------------------------

std::vector<KeyedEvent> LatestValueCache::Apply(RecordPtr record, int,
                                                v1::Delivery delivery,
                                                uint64_t* gaps) {
  std::unique_ptr<v1::Quote> quote = Take<v1::Quote>(std::move(record));
  const v1::Quote* held = latest_ ? &latest_->quote() : nullptr;
  if (delivery == v1::DELIVERY_VNSTOCK_FALLBACK && held != nullptr &&
      delivery_ == delivery && SameContent(*quote, *held)) {
    return {};  // A fallback poll that found nothing new.
  }
  if (!admission_.Admit(delivery, delivery_, held ? held->meta().seq() : 0,
                        *quote->mutable_meta(), gaps_, gaps)) {
    return {};
  }
  std::shared_ptr<v1::MarketEvent> event = NewEvent(channel_, delivery);
  const std::string key = ConflationKey(channel_, quote->meta().symbol());
  event->set_allocated_quote(quote.release());
  latest_ = event;
  delivery_ = delivery;
  return {{std::move(event), key}};
}

absl::Status LatestValueCache::Snapshot(const std::string& symbol,
                                        const ResumePoint& resume,
                                        std::vector<EventPtr>* out) const {
  return SnapshotOfLatest(
      symbol, resume, latest_,
      [&](const v1::RecordMeta& meta) {
        return Conflated(resume.since_seq.value_or(0), meta.seq(), gaps_);
      },
      out);
}

const v1::RecordMeta* LatestValueCache::newest() const {
  return latest_ ? &latest_->quote().meta() : nullptr;
}

// --- DayBarsCache -----------------------------------------------------------

std::vector<KeyedEvent> DayBarsCache::Apply(RecordPtr record, int,
                                            v1::Delivery delivery,
                                            uint64_t* gaps) {
  std::shared_ptr<v1::MarketEvent> event = NewEvent(channel_, delivery);
  v1::RecordMeta* meta;
  const v1::IntradayBar* bar;
  if (channel_ == v1::CHANNEL_INTRADAY_ANALYTICS) {
    v1::EnrichedIntradayBar* enriched = event->mutable_intraday_analytics();
    enriched->Swap(Take<v1::EnrichedIntradayBar>(std::move(record)).get());
    meta = enriched->mutable_meta();
    bar = &enriched->bar();
  } else {
    v1::IntradayBar* plain = event->mutable_bar();
    plain->Swap(Take<v1::IntradayBar>(std::move(record)).get());
    meta = plain->mutable_meta();
    bar = plain;
  }
  const absl::CivilDay day = market::ToCivilDay(meta->trading_date());
  if (day < day_) return {};  // A previous day's bar.
  const bool new_day = day > day_;
  const int64_t start = bar->start_time().seconds();
  if (!new_day && delivery == v1::DELIVERY_VNSTOCK_FALLBACK) {
    auto it = bars_.find(start);
    if (it != bars_.end() &&
        MessageDifferencer::Equals(*bar, BarOf(*it->second)))
      return {};  // Nothing new.
    // (Fallback bars carry gateway seqs: compare the bars, not the meta.)
  }
  // A new trading day restarts numbering (per-day sequence).
  const v1::Delivery held_delivery =
      new_day && delivery_ == v1::DELIVERY_VNSTOCK_FALLBACK
          ? v1::DELIVERY_UNSPECIFIED
          : delivery_;
  if (new_day) gaps_.Clear();
  if (!admission_.Admit(delivery, held_delivery, new_day ? 0 : day_seq_, *meta,
                        gaps_, gaps)) {
    return {};
  }
  if (new_day || held_delivery != delivery) {
    bars_.clear();
    day_ = day;
    day_seq_ = 0;
  }
  delivery_ = delivery;
  day_seq_ = std::max(day_seq_, meta->seq());
  // In-progress versions of a bar are superseded by later ones (and by its
  // final version): one key per bar.
  KeyedEvent out{
      event, ConflationKey(channel_, meta->symbol(), absl::StrCat("@", start))};
  bars_[start] = std::move(event);
  return {std::move(out)};
}

absl::Status DayBarsCache::Snapshot(const std::string& symbol,
                                    const ResumePoint& resume,
                                    std::vector<EventPtr>* out) const {
  if (resume.since_seq.has_value() && *resume.since_seq > day_seq_)
    return NotHeld(symbol, *resume.since_seq, day_seq_);
  if (resume.since_time.has_value() && !resume.since_seq.has_value() &&
      !bars_.empty() &&
      *resume.since_time < absl::FromCivil(day_, market::VietnamTime())) {
    return absl::FailedPreconditionError(absl::StrCat(
        symbol, ": since_time is before the trading day the cache holds (",
        absl::FormatCivilTime(day_), ")"));
  }
  // In seq order (a late correction of an earlier minute comes after the
  // bars published before it), so clients can drop seqs not greater than
  // the last one they applied.
  std::vector<const v1::MarketEvent*> held;
  for (const auto& [start, event] : bars_) {
    const uint64_t seq = EventMeta(*event)->seq();
    if (resume.since_seq.has_value() && seq <= *resume.since_seq) continue;
    if (!resume.since_seq.has_value() && resume.since_time.has_value() &&
        absl::FromUnixSeconds(start) < *resume.since_time) {
      continue;
    }
    held.push_back(event.get());
  }
  std::sort(held.begin(), held.end(), [](const auto* a, const auto* b) {
    return EventMeta(*a)->seq() < EventMeta(*b)->seq();
  });
  uint64_t previous = resume.since_seq.value_or(0);
  for (const v1::MarketEvent* event : held) {
    const uint64_t seq = EventMeta(*event)->seq();
    out->push_back(SnapshotCopy(*event, Conflated(previous, seq, gaps_)));
    previous = seq;
  }
  return absl::OkStatus();
}

const v1::RecordMeta* DayBarsCache::newest() const {
  if (bars_.empty()) return nullptr;
  return EventMeta(*bars_.rbegin()->second);
}

// --- HistoryCache -----------------------------------------------------------

std::vector<KeyedEvent> HistoryCache::Apply(RecordPtr record, int source,
                                            v1::Delivery delivery,
                                            uint64_t* gaps) {
  const uint64_t held_seq = view_ ? view_->meta().seq() : 0;
  if (source == kRawSource) {
    std::unique_ptr<v1::DailyHistory> raw =
        Take<v1::DailyHistory>(std::move(record));
    if (!admission_.Admit(delivery, delivery_, held_seq, *raw->mutable_meta(),
                          gaps_, gaps)) {
      return {};
    }
    // Served at once; the analytics record of this seq follows.
    auto pending = std::make_shared<v1::EnrichedHistory>();
    *pending->mutable_meta() = std::move(*raw->mutable_meta());
    for (v1::DailyBar& bar : *raw->mutable_bars()) {
      *pending->add_bars()->mutable_bar() = std::move(bar);
    }
    const std::shared_ptr<const v1::EnrichedHistory> previous = view_;
    return {Publish(std::move(pending), previous.get(),
                    v1::INDICATORS_STATE_PENDING, delivery)};
  }
  std::unique_ptr<v1::EnrichedHistory> enriched =
      Take<v1::EnrichedHistory>(std::move(record));
  if (delivery == v1::DELIVERY_KAFKA && delivery_ == v1::DELIVERY_KAFKA &&
      enriched->meta().seq() == held_seq &&
      state_ == v1::INDICATORS_STATE_PENDING) {
    // The indicators of the history served as PENDING.
  } else {
    if (delivery == v1::DELIVERY_VNSTOCK_FALLBACK && view_ != nullptr &&
        delivery_ == delivery && SameContent(*enriched, *view_)) {
      return {};
    }
    if (!admission_.Admit(delivery, delivery_, held_seq,
                          *enriched->mutable_meta(), gaps_, gaps)) {
      return {};
    }
  }
  const v1::IndicatorsState state = delivery == v1::DELIVERY_KAFKA
                                        ? v1::INDICATORS_STATE_ANALYTICS
                                        : v1::INDICATORS_STATE_GATEWAY;
  // Diffed against the previous view with indicators of the same delivery:
  // the bars a PENDING update changed differ from it too, so the client
  // ends up with every bar enriched.
  const std::shared_ptr<const v1::EnrichedHistory> previous =
      delivery_ == delivery ? enriched_ : nullptr;
  std::shared_ptr<const v1::EnrichedHistory> view = std::move(enriched);
  enriched_ = view;
  return {Publish(std::move(view), previous.get(), state, delivery)};
}

KeyedEvent HistoryCache::Publish(
    std::shared_ptr<const v1::EnrichedHistory> view,
    const v1::EnrichedHistory* previous, v1::IndicatorsState state,
    v1::Delivery delivery) {
  if (delivery_ != delivery) previous = nullptr;
  std::shared_ptr<v1::MarketEvent> event = NewEvent(channel_, delivery);
  v1::HistoryUpdate* update = event->mutable_history();
  *update->mutable_meta() = view->meta();
  *update->mutable_params() = view->params();
  *update->mutable_performance() = view->performance();
  update->set_indicators_state(state);
  // Upserts by date are enough unless the window moved (its first date
  // changed) or shrank: then the client replaces everything.
  const bool full = previous == nullptr || previous->bars_size() == 0 ||
                    view->bars_size() == 0 ||
                    previous->bars_size() > view->bars_size() ||
                    !MessageDifferencer::Equals(previous->bars(0).bar().date(),
                                                view->bars(0).bar().date());
  int first_changed = 0;
  if (!full) {
    // A PENDING view has no indicators: compare bars only against an
    // enriched one, or everything would count as changed.
    const bool bars_only = state == v1::INDICATORS_STATE_PENDING;
    while (
        first_changed < previous->bars_size() &&
        (bars_only
             ? MessageDifferencer::Equals(previous->bars(first_changed).bar(),
                                          view->bars(first_changed).bar())
             : MessageDifferencer::Equals(previous->bars(first_changed),
                                          view->bars(first_changed)))) {
      ++first_changed;
    }
  }
  update->set_full(full);
  for (int i = first_changed; i < view->bars_size(); ++i) {
    *update->add_bars() = view->bars(i);
  }
  view_ = std::move(view);
  state_ = state;
  delivery_ = delivery;
  return {std::move(event), ""};
}

absl::Status HistoryCache::Snapshot(const std::string& symbol,
                                    const ResumePoint& resume,
                                    std::vector<EventPtr>* out) const {
  if (view_ == nullptr) {
    if (resume.since_seq.has_value())
      return NotHeld(symbol, *resume.since_seq, 0);
    return absl::OkStatus();
  }
  const v1::RecordMeta& meta = view_->meta();
  if (resume.since_seq.has_value()) {
    if (*resume.since_seq > meta.seq())
      return NotHeld(symbol, *resume.since_seq, meta.seq());
    // Equal seq: the client has this history, unless it only has it
    // PENDING; it then gets the enriched one (full, same seq).
    if (*resume.since_seq == meta.seq() &&
        state_ == v1::INDICATORS_STATE_PENDING) {
      return absl::OkStatus();
    }
  } else if (resume.since_time.has_value() &&
             FetchedAt(meta) < *resume.since_time) {
    return absl::OkStatus();
  }
  std::shared_ptr<v1::MarketEvent> event =
      NewEvent(channel_, delivery_, /*snapshot=*/true);
  event->set_conflated(
      Conflated(resume.since_seq.value_or(0), meta.seq(), gaps_));
  v1::HistoryUpdate* update = event->mutable_history();
  *update->mutable_meta() = meta;
  *update->mutable_params() = view_->params();
  *update->mutable_performance() = view_->performance();
  *update->mutable_bars() = view_->bars();
  update->set_full(true);
  update->set_indicators_state(state_);
  out->push_back(std::move(event));
  return absl::OkStatus();
}

const v1::RecordMeta* HistoryCache::newest() const {
  return view_ ? &view_->meta() : nullptr;
}

// --- BreadthCache -----------------------------------------------------------

namespace {

bool Before(const v1::Date& a, const v1::Date& b) {
  return std::make_tuple(a.year(), a.month(), a.day()) <
         std::make_tuple(b.year(), b.month(), b.day());
}

// The top market::kBreadthTopMovers of the partials' rankings `field`, by
// `order` (a three-way comparison; ties by symbol).
template <typename Field, typename Order>
void MergeMovers(const std::vector<const v1::MarketBreadth*>& parts,
                 Field field, Order order,
                 google::protobuf::RepeatedPtrField<v1::Mover>* out) {
  std::vector<const v1::Mover*> all;
  for (const v1::MarketBreadth* part : parts) {
    for (const v1::Mover& m : field(*part)) all.push_back(&m);
  }
  std::stable_sort(all.begin(), all.end(),
                   [&](const v1::Mover* a, const v1::Mover* b) {
                     const int c = order(*a, *b);
                     return c != 0 ? c < 0 : a->symbol() < b->symbol();
                   });
  for (size_t i = 0;
       i < all.size() && i < static_cast<size_t>(market::kBreadthTopMovers);
       ++i) {
    *out->Add() = *all[i];
  }
}

}  // namespace

v1::MarketBreadth MergeBreadth(
    const std::vector<const v1::MarketBreadth*>& parts) {
  v1::MarketBreadth total;
  total.set_partition(-1);
  v1::Decimal value, net;
  uint64_t seq = 0;
  for (const v1::MarketBreadth* p : parts) {
    seq += p->meta().seq();
    if (total.meta().symbol().empty() ||
        market::FromTimestamp(p->meta().fetched_at()) >
            market::FromTimestamp(total.meta().fetched_at())) {
      *total.mutable_meta() = p->meta();
    }
    total.set_partitions(std::max(total.partitions(), p->partitions()));
    total.set_symbols(total.symbols() + p->symbols());
    total.set_advancers(total.advancers() + p->advancers());
    total.set_decliners(total.decliners() + p->decliners());
    total.set_unchanged(total.unchanged() + p->unchanged());
    total.set_ceiling(total.ceiling() + p->ceiling());
    total.set_floor(total.floor() + p->floor());
    total.set_no_trade(total.no_trade() + p->no_trade());
    total.set_total_volume(total.total_volume() + p->total_volume());
    total.set_foreign_buy_volume(total.foreign_buy_volume() +
                                 p->foreign_buy_volume());
    total.set_foreign_sell_volume(total.foreign_sell_volume() +
                                  p->foreign_sell_volume());
    value = market::Add(value, p->total_value());
    net = market::Add(net, p->foreign_net_value());
  }
  // Totals are numbered by the sum of their partials' seqs: every gateway
  // replica numbers them alike, and each new partial increases it.
  total.mutable_meta()->set_seq(seq);
  *total.mutable_total_value() = value;
  *total.mutable_foreign_net_value() = net;
  auto by_change = [](const v1::Mover& a, const v1::Mover& b) {
    return market::Compare(b.percent_change(), a.percent_change());
  };
  auto by_change_asc = [](const v1::Mover& a, const v1::Mover& b) {
    return market::Compare(a.percent_change(), b.percent_change());
  };
  auto by_value = [](const v1::Mover& a, const v1::Mover& b) {
    return market::Compare(b.total_value(), a.total_value());
  };
  MergeMovers(
      parts,
      [](const v1::MarketBreadth& b) -> auto& { return b.top_gainers(); },
      by_change, total.mutable_top_gainers());
  MergeMovers(
      parts, [](const v1::MarketBreadth& b) -> auto& { return b.top_losers(); },
      by_change_asc, total.mutable_top_losers());
  MergeMovers(
      parts,
      [](const v1::MarketBreadth& b) -> auto& { return b.top_by_value(); },
      by_value, total.mutable_top_by_value());
  return total;
}

std::vector<KeyedEvent> BreadthCache::Apply(RecordPtr record, int,
                                            v1::Delivery delivery,
                                            uint64_t* gaps) {
  // Breadth exists only through the pipeline.
  if (delivery != v1::DELIVERY_KAFKA) return {};
  std::unique_ptr<v1::MarketBreadth> partial =
      Take<v1::MarketBreadth>(std::move(record));
  const int partition = partial->partition();
  if (partition < 0) return {};
  auto it = partials_.find(partition);
  if (it != partials_.end()) {
    if (partial->meta().seq() <= it->second.meta().seq()) return {};
    *gaps +=
        gaps_[partition].Note(it->second.meta().seq(), partial->meta().seq());
  }
  partials_[partition] = std::move(*partial);
  // The newest trading date's partials make the total: a partition whose
  // quotes did not change today yet still holds yesterday's.
  v1::Date newest;
  for (const auto& [p, part] : partials_) {
    if (Before(newest, part.meta().trading_date()))
      newest = part.meta().trading_date();
  }
  std::vector<const v1::MarketBreadth*> parts;
  for (const auto& [p, part] : partials_) {
    if (MessageDifferencer::Equals(part.meta().trading_date(), newest))
      parts.push_back(&part);
  }
  std::shared_ptr<v1::MarketEvent> event = NewEvent(channel_, delivery);
  *event->mutable_market() = MergeBreadth(parts);
  const std::string key =
      ConflationKey(channel_, event->market().meta().symbol());
  total_ = event;
  return {{std::move(event), key}};
}

absl::Status BreadthCache::Snapshot(const std::string& symbol,
                                    const ResumePoint& resume,
                                    std::vector<EventPtr>* out) const {
  // Totals replace each other: every skipped total counts as conflated.
  return SnapshotOfLatest(
      symbol, resume, total_,
      [&](const v1::RecordMeta& meta) {
        return resume.since_seq.has_value()
                   ? static_cast<uint32_t>(meta.seq() - *resume.since_seq - 1)
                   : 0;
      },
      out);
}

const v1::RecordMeta* BreadthCache::newest() const {
  return total_ ? &total_->market().meta() : nullptr;
}

// --- EventLogCache ----------------------------------------------------------

std::vector<KeyedEvent> EventLogCache::Apply(RecordPtr record, int,
                                             v1::Delivery delivery,
                                             uint64_t* gaps) {
  if (delivery != v1::DELIVERY_KAFKA) return {};
  std::unique_ptr<v1::Signal> signal = Take<v1::Signal>(std::move(record));
  const uint64_t held =
      events_.empty() ? 0 : events_.back()->signal().meta().seq();
  if (signal->meta().seq() <= held) return {};
  *gaps += gaps_.Note(held, signal->meta().seq());
  std::shared_ptr<v1::MarketEvent> event = NewEvent(channel_, delivery);
  event->set_allocated_signal(signal.release());
  events_.push_back(event);
  if (events_.size() > capacity_) {
    events_.pop_front();
    truncated_ = true;
  }
  return {{std::move(event), ""}};
}

absl::Status EventLogCache::Snapshot(const std::string& symbol,
                                     const ResumePoint& resume,
                                     std::vector<EventPtr>* out) const {
  const uint64_t newest_seq =
      events_.empty() ? 0 : events_.back()->signal().meta().seq();
  const uint64_t oldest_seq =
      events_.empty() ? 0 : events_.front()->signal().meta().seq();
  if (resume.since_seq.has_value()) {
    if (*resume.since_seq > newest_seq ||
        (truncated_ && *resume.since_seq + 1 < oldest_seq)) {
      return NotHeld(symbol, *resume.since_seq, newest_seq);
    }
  } else if (resume.since_time.has_value() && truncated_ &&
             FetchedAt(events_.front()->signal().meta()) > *resume.since_time) {
    return absl::FailedPreconditionError(absl::StrCat(
        symbol, ": since_time is before the oldest signal the cache holds"));
  }
  // Without a resume point: the newest trading date's signals.
  const v1::Date* today = events_.empty()
                              ? nullptr
                              : &events_.back()->signal().meta().trading_date();
  for (const EventPtr& event : events_) {
    const v1::RecordMeta& meta = event->signal().meta();
    if (resume.since_seq.has_value()) {
      if (meta.seq() <= *resume.since_seq) continue;
    } else if (resume.since_time.has_value()) {
      if (FetchedAt(meta) < *resume.since_time) continue;
    } else if (!MessageDifferencer::Equals(meta.trading_date(), *today)) {
      continue;
    }
    // Signals are never conflated: a skipped seq is a gap.
    out->push_back(SnapshotCopy(*event, 0));
  }
  return absl::OkStatus();
}

const v1::RecordMeta* EventLogCache::newest() const {
  return events_.empty() ? nullptr : &events_.back()->signal().meta();
}

}  // namespace vnstream::gateway
