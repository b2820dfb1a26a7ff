// Channels: the kinds of data the gateway serves (v1::Channel). A channel is
// declared once, as a ChannelDef (channels.cc): its topics and record
// types, the cache that holds it per symbol (which decides admission,
// snapshot and conflation), its metrics label and its VNStock fallback. The
// cache (MarketState), the Kafka feed, the fallback, the subscriptions and
// the metrics are all built from these declarations; adding a kind of data
// is adding a declaration (and, if no existing cache fits, a cache class).
#ifndef VNSTREAM_SERVICES_GATEWAY_CHANNEL_H_
#define VNSTREAM_SERVICES_GATEWAY_CHANNEL_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "vnstream/v1/market_data_service.pb.h"

namespace vnstream::vnstock {
class MarketDataSource;
}  // namespace vnstream::vnstock
namespace vnstream::market {
class TradingCalendar;
}  // namespace vnstream::market
namespace vnstream::indicators {
struct Params;
}  // namespace vnstream::indicators

namespace vnstream::gateway {

using Channel = v1::Channel;
// Channels are numbered 1..kChannelCount (v1::Channel without UNSPECIFIED);
// per-channel arrays are indexed by Index(channel).
inline constexpr int kChannelCount = v1::Channel_MAX;
inline constexpr int Index(Channel channel) {
  return static_cast<int>(channel) - 1;
}
inline constexpr Channel ChannelAt(int index) {
  return static_cast<Channel>(index + 1);
}
template <typename T>
using PerChannel = std::array<T, kChannelCount>;

using EventPtr = std::shared_ptr<const v1::MarketEvent>;
using RecordPtr = std::unique_ptr<google::protobuf::Message>;

// An event to offer subscribers, with its conflation key: a pending event
// with the same key is replaced by a newer one. Empty key: never conflated.
struct KeyedEvent {
  EventPtr event;
  std::string key;
};

// Where a subscriber resumes from (SubscribeRequest), for one symbol.
struct ResumePoint {
  // Replay only records with a greater seq.
  std::optional<uint64_t> since_seq;
  // Or: records fetched (bars: starting) at or after this time.
  std::optional<absl::Time> since_time;
};

// What the gateway holds of one channel for one symbol, and how records
// change it. Called with the symbol's lock held; not thread-safe itself.
class ChannelCache {
 public:
  virtual ~ChannelCache() = default;

  // Offers `record` (of the type of the channel's topic `source`) that
  // arrived by `delivery`. Returns the events for live subscribers; empty
  // when the record was not applied (older than what is held, fallback data
  // for a symbol Kafka serves, or nothing new). `gaps` counts sequence
  // numbers skipped between the held record and this one (records that
  // never reached the gateway), when the cache can tell.
  virtual std::vector<KeyedEvent> Apply(RecordPtr record, int source,
                                        v1::Delivery delivery,
                                        uint64_t* gaps) = 0;

  // The snapshot (or resume replay) events for `symbol`, oldest first.
  // FAILED_PRECONDITION when the resume point is not held.
  virtual absl::Status Snapshot(const std::string& symbol,
                                const ResumePoint& resume,
                                std::vector<EventPtr>* out) const = 0;

  // Whether anything is held.
  virtual bool empty() const = 0;
  // Items held: quotes, bars, daily bars of the history, breadth partials,
  // signals (what vnstream_gateway_cached_items counts).
  virtual size_t size() const = 0;
  // How the held data arrived (UNSPECIFIED when empty).
  virtual v1::Delivery delivery() const = 0;
  // Metadata of the newest record held; null when empty.
  virtual const v1::RecordMeta* newest() const = 0;
};

// What a fallback fetch may use.
struct FetchContext {
  vnstock::MarketDataSource* source;
  const market::TradingCalendar* calendar;
  // For data the gateway enriches itself (the fallback's history).
  const indicators::Params* indicators;
  absl::Time now;
  // The fetch gives up at this time.
  absl::Time deadline;
};

// How a channel's data is fetched directly from VNStock when Kafka has none
// for a symbol.
struct FallbackSpec {
  // Fetches `symbol` and returns records to apply (as source
  // `source_index`). NotFound: VNStock does not know the symbol.
  using Fetch = std::function<absl::StatusOr<std::vector<RecordPtr>>(
      const FetchContext& context, const std::string& symbol)>;
  Fetch fetch;
  // Topic index (in ChannelDef::topics) the fetched records are applied as.
  int source_index = 0;
  // How long a fetched result is reused before fetching again, and the
  // default period at which subscribed symbols without Kafka data are
  // refetched.
  absl::Duration ttl;
  absl::Duration poll;
};

struct TopicSource {
  // Kafka topic name (libs/kafka/topics.h).
  const char* topic;
  // The record type on the topic.
  const google::protobuf::Message* prototype;
};

struct ChannelDef {
  Channel id;
  // Lower-case label for metrics and logs, e.g. "quotes".
  const char* name;
  // The topics the channel is built from, in the order the cache numbers
  // its sources.
  std::vector<TopicSource> topics;
  // A new, empty cache for one symbol.
  std::function<std::unique_ptr<ChannelCache>()> make_cache;
  // Unset: no fallback (the data exists only through the pipeline).
  std::optional<FallbackSpec> fallback;
};

// The channels, indexed by Index(channel) (channels.cc).
const PerChannel<ChannelDef>& Channels();
const ChannelDef& Def(Channel channel);
inline const char* ChannelName(Channel channel) { return Def(channel).name; }

// The record metadata of a data event (quote, bar, history, ...); null for
// control events (status, heartbeat, SnapshotEnd, ...).
const v1::RecordMeta* EventMeta(const v1::MarketEvent& event);

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_CHANNEL_H_
