#include "services/gateway/metrics.h"

#include "libs/service/metrics.h"

namespace vnstream::gateway {

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kQuotes:
      return "quotes";
    case Channel::kBars:
      return "bars";
    case Channel::kHistory:
      return "history";
  }
  return "unknown";
}

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry) {
  auto& streams = prometheus::BuildGauge()
                      .Name("vnstream_gateway_active_streams")
                      .Help("Open subscription streams.")
                      .Register(registry);
  auto& subs = prometheus::BuildGauge()
                   .Name("vnstream_gateway_subscriptions")
                   .Help("Subscribed (stream, symbol) pairs.")
                   .Register(registry);
  auto& conflated_family =
      prometheus::BuildCounter()
          .Name("vnstream_gateway_messages_conflated_total")
          .Help(
              "Messages replaced by a newer value before "
              "being sent (slow client).")
          .Register(registry);
  auto& dropped_family = prometheus::BuildCounter()
                             .Name("vnstream_gateway_messages_dropped_total")
                             .Help(
                                 "Messages discarded when a slow consumer was "
                                 "disconnected.")
                             .Register(registry);
  auto& slow = prometheus::BuildCounter()
                   .Name("vnstream_gateway_slow_consumer_disconnects_total")
                   .Help(
                       "Streams ended with RESOURCE_EXHAUSTED because the "
                       "client did not keep up.")
                   .Register(registry);
  auto& latency = prometheus::BuildHistogram()
                      .Name("vnstream_gateway_delivery_latency_seconds")
                      .Help("Record fetch time to stream write, seconds.")
                      .Register(registry);
  for (int c = 0; c < kChannels; ++c) {
    const prometheus::Labels labels = {
        {"channel", ChannelName(static_cast<Channel>(c))}};
    active_streams[c] = &streams.Add(labels);
    subscriptions[c] = &subs.Add(labels);
    conflated[c] = &conflated_family.Add(labels);
    dropped[c] = &dropped_family.Add(labels);
    slow_consumers[c] = &slow.Add(labels);
    delivery_latency[c] = &latency.Add(labels, LatencyBuckets());
  }
  kafka_records = &prometheus::BuildCounter()
                       .Name("vnstream_gateway_kafka_records_total")
                       .Help(
                           "Kafka records by topic and result (applied, "
                           "stale, malformed).")
                       .Register(registry);
  kafka_lag = &prometheus::BuildGauge()
                   .Name("vnstream_gateway_kafka_lag_records")
                   .Help("Records behind the end of each topic.")
                   .Register(registry);
  fallback_requests =
      &prometheus::BuildCounter()
           .Name("vnstream_gateway_fallback_requests_total")
           .Help("Direct VNStock fetches by channel and result.")
           .Register(registry);
}

}  // namespace vnstream::gateway
