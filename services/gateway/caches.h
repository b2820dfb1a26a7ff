// The kinds of per-symbol state a channel can hold (ChannelCache
// implementations). Each decides, for its channel, which records are
// admitted, what a snapshot is and what may be conflated:
//   LatestValueCache   the newest record (quotes); conflated per symbol.
//   DayBarsCache       today's bars by start time, latest revision each
//                      (1-minute bars, enriched 1-minute bars); per-day
//                      sequence numbers; conflated per bar.
//   HistoryCache       the daily history view: raw history from
//                      stock-historical at once (indicators PENDING), then
//                      the analytics record of the same seq; never
//                      conflated.
//   BreadthCache       per-partition breadth partials merged into a total;
//                      conflated per scope.
//   EventLogCache      recent events (signals); never conflated.
//
// Common rules (Admission): Kafka data wins; fallback records are applied
// only while Kafka has nothing and are numbered by the gateway; a Kafka
// record is applied only if its seq is greater than the one held.
//
// Every snapshot event carries `conflated` = the sequence numbers between
// the resume point (or the previous snapshot event) and the event that the
// cache no longer holds because newer versions replaced them, so clients
// tell conflation from loss (seqs that never reached the gateway are
// remembered as gaps and not counted as conflated).
//
// Not thread-safe: MarketState calls them under the symbol's lock.
#ifndef VNSTREAM_SERVICES_GATEWAY_CACHES_H_
#define VNSTREAM_SERVICES_GATEWAY_CACHES_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "services/gateway/channel.h"

namespace vnstream::gateway {

// Sequence numbers that never reached the gateway, as ranges (bounded: the
// oldest are forgotten, and then counted as conflated).
class GapLog {
 public:
  // Records that the seqs in (held, incoming) are missing; returns how many.
  uint64_t Note(uint64_t held, uint64_t incoming);
  // How many seqs in (from, to) are recorded as missing.
  uint64_t MissingBetween(uint64_t from, uint64_t to) const;
  void Clear() { ranges_.clear(); }

 private:
  static constexpr size_t kMaxRanges = 64;
  std::deque<std::pair<uint64_t, uint64_t>> ranges_;  // Inclusive.
};

// Kafka-wins admission and gateway numbering of fallback records.
class Admission {
 public:
  // Resolves `meta.seq` of an incoming record against what is held
  // (`held` delivery, `held_seq`). Returns false to drop it. Kafka records
  // skipping seqs are noted in `gaps` (and counted in *gap_count).
  bool Admit(v1::Delivery incoming, v1::Delivery held, uint64_t held_seq,
             v1::RecordMeta& meta, GapLog& gaps, uint64_t* gap_count);

 private:
  uint64_t fallback_seq_ = 0;
};

// A new event of `channel`, from `delivery`.
std::shared_ptr<v1::MarketEvent> NewEvent(Channel channel,
                                          v1::Delivery delivery,
                                          bool snapshot = false);
// A snapshot copy of a held live event, with its conflated count.
EventPtr SnapshotCopy(const v1::MarketEvent& live, uint32_t conflated);
// The conflation key of a symbol's events on a channel ("" + suffix
// distinguishes several records per symbol, e.g. bars).
std::string ConflationKey(Channel channel, const std::string& symbol,
                          const std::string& suffix = "");

// Quotes: the newest record.
class LatestValueCache final : public ChannelCache {
 public:
  explicit LatestValueCache(Channel channel) : channel_(channel) {}
  std::vector<KeyedEvent> Apply(RecordPtr record, int source,
                                v1::Delivery delivery, uint64_t* gaps) override;
  absl::Status Snapshot(const std::string& symbol, const ResumePoint& resume,
                        std::vector<EventPtr>* out) const override;
  bool empty() const override { return latest_ == nullptr; }
  size_t size() const override { return empty() ? 0 : 1; }
  v1::Delivery delivery() const override { return delivery_; }
  const v1::RecordMeta* newest() const override;
  // The held event (null when empty), shared, never modified: unary reads
  // copy what they need from it instead of a snapshot copy of the event.
  const EventPtr& latest() const { return latest_; }

 private:
  const Channel channel_;
  Admission admission_;
  GapLog gaps_;
  EventPtr latest_;  // Its payload is the record.
  v1::Delivery delivery_ = v1::DELIVERY_UNSPECIFIED;
};

// 1-minute bars (plain or enriched) of the current trading day.
class DayBarsCache final : public ChannelCache {
 public:
  explicit DayBarsCache(Channel channel) : channel_(channel) {}
  std::vector<KeyedEvent> Apply(RecordPtr record, int source,
                                v1::Delivery delivery, uint64_t* gaps) override;
  absl::Status Snapshot(const std::string& symbol, const ResumePoint& resume,
                        std::vector<EventPtr>* out) const override;
  bool empty() const override { return bars_.empty(); }
  size_t size() const override { return bars_.size(); }
  v1::Delivery delivery() const override { return delivery_; }
  const v1::RecordMeta* newest() const override;

 private:
  const Channel channel_;
  Admission admission_;
  GapLog gaps_;  // Of day_.
  absl::CivilDay day_;
  uint64_t day_seq_ = 0;  // Highest seq of day_.
  // By start time (Unix seconds); each event's payload is the bar.
  std::map<int64_t, EventPtr> bars_;
  v1::Delivery delivery_ = v1::DELIVERY_UNSPECIFIED;
};

// Daily history with indicators. Source 0: v1::DailyHistory
// (stock-historical); source 1: v1::EnrichedHistory (stock-analytics, or
// the gateway's own enrichment of fallback data).
class HistoryCache final : public ChannelCache {
 public:
  static constexpr int kRawSource = 0;
  static constexpr int kEnrichedSource = 1;

  explicit HistoryCache(Channel channel) : channel_(channel) {}
  std::vector<KeyedEvent> Apply(RecordPtr record, int source,
                                v1::Delivery delivery, uint64_t* gaps) override;
  absl::Status Snapshot(const std::string& symbol, const ResumePoint& resume,
                        std::vector<EventPtr>* out) const override;
  bool empty() const override { return view_ == nullptr; }
  size_t size() const override {
    return empty() ? 0 : static_cast<size_t>(view_->bars_size());
  }
  v1::Delivery delivery() const override { return delivery_; }
  const v1::RecordMeta* newest() const override;

  // The view served (immutable once published) and who computed its
  // indicators; null when empty.
  std::shared_ptr<const v1::EnrichedHistory> view() const { return view_; }
  v1::IndicatorsState indicators_state() const { return state_; }

 private:
  // Makes `view` current and returns the update event (bars that changed
  // against `previous`, or the whole series).
  KeyedEvent Publish(std::shared_ptr<const v1::EnrichedHistory> view,
                     const v1::EnrichedHistory* previous,
                     v1::IndicatorsState state, v1::Delivery delivery);

  const Channel channel_;
  Admission admission_;
  GapLog gaps_;
  std::shared_ptr<const v1::EnrichedHistory> view_;
  // The newest view with indicators (what enriched updates are diffed
  // against while a PENDING view is current).
  std::shared_ptr<const v1::EnrichedHistory> enriched_;
  v1::IndicatorsState state_ = v1::INDICATORS_STATE_UNSPECIFIED;
  v1::Delivery delivery_ = v1::DELIVERY_UNSPECIFIED;
};

// Market breadth of one scope: the newest partial of each stock-prices
// partition, and their total (the newest trading date's partials only).
class BreadthCache final : public ChannelCache {
 public:
  explicit BreadthCache(Channel channel) : channel_(channel) {}
  std::vector<KeyedEvent> Apply(RecordPtr record, int source,
                                v1::Delivery delivery, uint64_t* gaps) override;
  absl::Status Snapshot(const std::string& symbol, const ResumePoint& resume,
                        std::vector<EventPtr>* out) const override;
  bool empty() const override { return total_ == nullptr; }
  size_t size() const override { return partials_.size(); }
  v1::Delivery delivery() const override {
    return empty() ? v1::DELIVERY_UNSPECIFIED : v1::DELIVERY_KAFKA;
  }
  const v1::RecordMeta* newest() const override;

 private:
  const Channel channel_;
  absl::flat_hash_map<int, v1::MarketBreadth> partials_;
  absl::flat_hash_map<int, GapLog> gaps_;
  EventPtr total_;
};

// The newest `capacity` events of a symbol (signals), in seq order.
class EventLogCache final : public ChannelCache {
 public:
  EventLogCache(Channel channel, size_t capacity)
      : channel_(channel), capacity_(capacity) {}
  std::vector<KeyedEvent> Apply(RecordPtr record, int source,
                                v1::Delivery delivery, uint64_t* gaps) override;
  absl::Status Snapshot(const std::string& symbol, const ResumePoint& resume,
                        std::vector<EventPtr>* out) const override;
  bool empty() const override { return events_.empty(); }
  size_t size() const override { return events_.size(); }
  v1::Delivery delivery() const override {
    return empty() ? v1::DELIVERY_UNSPECIFIED : v1::DELIVERY_KAFKA;
  }
  const v1::RecordMeta* newest() const override;

 private:
  const Channel channel_;
  const size_t capacity_;
  GapLog gaps_;
  std::deque<EventPtr> events_;
  // Events were evicted: the log does not reach back to the first seq.
  bool truncated_ = false;
};

// Merges breadth partials into one total (partition = -1): counts and
// values add, rankings merge (top 10 each). Exposed for tests.
v1::MarketBreadth MergeBreadth(const std::vector<const v1::MarketBreadth*>&);

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_CACHES_H_
