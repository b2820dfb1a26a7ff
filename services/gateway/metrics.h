// The gateway's own metrics (the gRPC ones come from libs/service).
#ifndef VNSTREAM_SERVICES_GATEWAY_METRICS_H_
#define VNSTREAM_SERVICES_GATEWAY_METRICS_H_

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace vnstream::gateway {

// What a subscription streams. Also the index of per-channel arrays.
enum class Channel { kQuotes = 0, kBars = 1, kHistory = 2 };
inline constexpr int kChannels = 3;
const char* ChannelName(Channel channel);

// Thread-safe (prometheus-cpp metrics are).
struct GatewayMetrics {
  explicit GatewayMetrics(prometheus::Registry& registry);

  // vnstream_gateway_active_streams{channel}
  prometheus::Gauge* active_streams[kChannels];
  // vnstream_gateway_subscriptions{channel}: (stream, symbol) pairs.
  prometheus::Gauge* subscriptions[kChannels];
  // vnstream_gateway_messages_conflated_total{channel}: replaced by a newer
  // value before it was sent.
  prometheus::Counter* conflated[kChannels];
  // vnstream_gateway_messages_dropped_total{channel}: discarded when a slow
  // consumer was disconnected (the client resumes and gets them again).
  prometheus::Counter* dropped[kChannels];
  // vnstream_gateway_slow_consumer_disconnects_total{channel}
  prometheus::Counter* slow_consumers[kChannels];
  // vnstream_gateway_delivery_latency_seconds{channel}: record fetch time
  // (meta.fetched_at) to the moment the gateway writes it to a stream.
  prometheus::Histogram* delivery_latency[kChannels];
  // vnstream_gateway_kafka_records_total{topic,result}: applied, stale,
  // malformed.
  prometheus::Family<prometheus::Counter>* kafka_records;
  // vnstream_gateway_kafka_lag_records{topic}: from librdkafka statistics.
  prometheus::Family<prometheus::Gauge>* kafka_lag;
  // vnstream_gateway_fallback_requests_total{channel,result}: ok,
  // not_found, unavailable, deadline_exceeded, cached.
  // (vnstream_gateway_cache_symbols and _cache_oldest_update_age_seconds
  // come from MarketState::CacheCollector.)
  prometheus::Family<prometheus::Counter>* fallback_requests;
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_METRICS_H_
