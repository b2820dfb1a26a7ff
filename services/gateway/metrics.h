// The gateway's own metrics (the gRPC ones come from libs/service), one
// series per channel (labelled with its ChannelDef name). Prometheus types
// are only declared (libs/service/prometheus_fwd.h): the domain records into
// them without depending on the metrics library.
#ifndef VNSTREAM_SERVICES_GATEWAY_METRICS_H_
#define VNSTREAM_SERVICES_GATEWAY_METRICS_H_

#include <array>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "libs/service/prometheus_fwd.h"
#include "services/gateway/channel.h"

namespace vnstream::gateway {

// Stream-level series are labelled with the channel of a server stream, or
// "all" for MarketDataStream streams (which carry any channel): index
// kAnyChannel.
inline constexpr int kAnyChannel = kChannelCount;
template <typename T>
using PerStreamKind = std::array<T, kChannelCount + 1>;

// Thread-safe (prometheus-cpp metrics are).
struct GatewayMetrics {
  explicit GatewayMetrics(prometheus::Registry& registry);

  // Where the series are: the gRPC adapter records its streams'
  // go-grpc-prometheus metrics there too.
  prometheus::Registry& registry;

  // vnstream_gateway_active_streams{channel}
  PerStreamKind<prometheus::Gauge*> active_streams;
  // vnstream_gateway_slow_consumer_disconnects_total{channel}
  PerStreamKind<prometheus::Counter*> slow_consumers;
  // vnstream_gateway_messages_dropped_total{channel}: discarded when a slow
  // consumer was disconnected (the client resumes and gets them again).
  PerStreamKind<prometheus::Counter*> dropped;
  // vnstream_gateway_stream_bytes_exceeded_total{channel}: those of the
  // slow consumers whose queue went over stream_max_queued_bytes (quota
  // stream_bytes).
  PerStreamKind<prometheus::Counter*> byte_budget_exceeded;
  // vnstream_gateway_stream_stalls_total{channel}: those of the slow
  // consumers ended because their stream was not drained for
  // stream_stall_timeout (the client stopped reading).
  PerStreamKind<prometheus::Counter*> stalls;
  // vnstream_gateway_undrained_streams_cancelled_total{channel}: ending
  // streams (slow consumers, shutdown) cancelled because their client still
  // had not read stream_stall_timeout later.
  PerStreamKind<prometheus::Counter*> undrained_cancels;
  // vnstream_gateway_queued_bytes{channel}: serialized bytes queued on
  // streams (snapshots included), not yet written.
  PerStreamKind<prometheus::Gauge*> queued_bytes;
  // vnstream_gateway_subscriptions{channel}: (stream, symbol) pairs.
  PerChannel<prometheus::Gauge*> subscriptions;
  // vnstream_gateway_messages_conflated_total{channel}: replaced by a newer
  // version before it was sent (the newer one says so in `conflated`).
  PerChannel<prometheus::Counter*> conflated;
  // vnstream_gateway_sequence_gaps_total{channel}: sequence numbers that
  // never reached the gateway (records lost upstream), counted once the
  // Kafka feed has caught up.
  PerChannel<prometheus::Counter*> sequence_gaps;
  // vnstream_gateway_delivery_latency_seconds{channel}: record fetch time
  // (meta.fetched_at) to the moment the gateway writes it to a stream.
  PerChannel<prometheus::Histogram*> delivery_latency;
  // vnstream_gateway_added_latency_seconds{channel}: the gateway's own
  // share, from its receipt of the record (meta.received_at) to the write.
  PerChannel<prometheus::Histogram*> added_latency;
  // vnstream_gateway_cached_items{channel}: items held for snapshots and
  // reads (ChannelCache::size): what the gateway's memory grows with.
  PerChannel<prometheus::Gauge*> cached_items;
  // vnstream_gateway_kafka_records_total{topic,result}: applied, stale,
  // malformed.
  prometheus::Family<prometheus::Counter>* kafka_records;
  // vnstream_gateway_kafka_lag_records{topic}: from librdkafka statistics.
  prometheus::Family<prometheus::Gauge>* kafka_lag;
  // vnstream_gateway_fallback_requests_total{channel,result}: ok,
  // not_found, unavailable, deadline_exceeded, cached, joined, rejected,
  // over_budget (the caller's fallback quota refused the fetch).
  prometheus::Family<prometheus::Counter>* fallback_requests;
};

// What the cache holds of one channel.
struct CacheStats {
  // Symbols with data.
  int symbols = 0;
  // The stalest symbol's newest record (meta.fetched_at); InfiniteFuture
  // when none.
  absl::Time oldest_update = absl::InfiniteFuture();
};

// vnstream_gateway_cache_symbols{channel} and
// vnstream_gateway_cache_oldest_update_age_seconds{channel}, computed at
// scrape time from `stats`.
std::shared_ptr<prometheus::Collectable> CacheCollector(
    std::function<PerChannel<CacheStats>()> stats);

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_METRICS_H_
