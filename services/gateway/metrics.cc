#include "services/gateway/metrics.h"

#include <string>

#include "absl/time/clock.h"
#include "libs/service/metrics.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace vnstream::gateway {
namespace {

prometheus::Labels StreamLabels(int kind) {
  return {
      {"channel", kind == kAnyChannel ? "all" : ChannelName(ChannelAt(kind))}};
}

}  // namespace

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : registry(registry) {
  auto& streams = prometheus::BuildGauge()
                      .Name("vnstream_gateway_active_streams")
                      .Help("Open subscription streams.")
                      .Register(registry);
  auto& slow = prometheus::BuildCounter()
                   .Name("vnstream_gateway_slow_consumer_disconnects_total")
                   .Help(
                       "Streams ended with RESOURCE_EXHAUSTED because the "
                       "client did not keep up.")
                   .Register(registry);
  auto& dropped_family = prometheus::BuildCounter()
                             .Name("vnstream_gateway_messages_dropped_total")
                             .Help(
                                 "Messages discarded when a slow consumer was "
                                 "disconnected.")
                             .Register(registry);
  auto& bytes_exceeded =
      prometheus::BuildCounter()
          .Name("vnstream_gateway_stream_bytes_exceeded_total")
          .Help(
              "Slow consumer disconnects because the stream's queue held more "
              "than stream_max_queued_bytes (quota stream_bytes).")
          .Register(registry);
  auto& stalls_family =
      prometheus::BuildCounter()
          .Name("vnstream_gateway_stream_stalls_total")
          .Help(
              "Slow consumer disconnects because the stream was not drained "
              "for stream_stall_timeout (the client stopped reading).")
          .Register(registry);
  auto& cancels_family =
      prometheus::BuildCounter()
          .Name("vnstream_gateway_undrained_streams_cancelled_total")
          .Help(
              "Ending streams cancelled because their client still had not "
              "read stream_stall_timeout later.")
          .Register(registry);
  auto& queued = prometheus::BuildGauge()
                     .Name("vnstream_gateway_queued_bytes")
                     .Help(
                         "Serialized bytes queued on streams (snapshots "
                         "included), not yet written.")
                     .Register(registry);
  for (int kind = 0; kind <= kAnyChannel; ++kind) {
    active_streams[kind] = &streams.Add(StreamLabels(kind));
    slow_consumers[kind] = &slow.Add(StreamLabels(kind));
    dropped[kind] = &dropped_family.Add(StreamLabels(kind));
    byte_budget_exceeded[kind] = &bytes_exceeded.Add(StreamLabels(kind));
    stalls[kind] = &stalls_family.Add(StreamLabels(kind));
    undrained_cancels[kind] = &cancels_family.Add(StreamLabels(kind));
    queued_bytes[kind] = &queued.Add(StreamLabels(kind));
  }
  auto& subs = prometheus::BuildGauge()
                   .Name("vnstream_gateway_subscriptions")
                   .Help("Subscribed (stream, symbol) pairs.")
                   .Register(registry);
  auto& conflated_family =
      prometheus::BuildCounter()
          .Name("vnstream_gateway_messages_conflated_total")
          .Help(
              "Messages replaced by a newer version before being sent (slow "
              "client); the newer message reports it.")
          .Register(registry);
  auto& gaps = prometheus::BuildCounter()
                   .Name("vnstream_gateway_sequence_gaps_total")
                   .Help(
                       "Sequence numbers that never reached the gateway "
                       "(records lost upstream).")
                   .Register(registry);
  auto& latency = prometheus::BuildHistogram()
                      .Name("vnstream_gateway_delivery_latency_seconds")
                      .Help("Record fetch time to stream write, seconds.")
                      .Register(registry);
  auto& added = prometheus::BuildHistogram()
                    .Name("vnstream_gateway_added_latency_seconds")
                    .Help(
                        "Gateway receipt of a record (Kafka or VNStock "
                        "fallback) to its stream write, seconds.")
                    .Register(registry);
  auto& cached = prometheus::BuildGauge()
                     .Name("vnstream_gateway_cached_items")
                     .Help(
                         "Items held for snapshots and reads: quotes, "
                         "bars, daily bars, breadth partials, signals.")
                     .Register(registry);
  for (int c = 0; c < kChannelCount; ++c) {
    const prometheus::Labels labels = StreamLabels(c);
    subscriptions[c] = &subs.Add(labels);
    conflated[c] = &conflated_family.Add(labels);
    sequence_gaps[c] = &gaps.Add(labels);
    delivery_latency[c] = &latency.Add(labels, LatencyBuckets());
    added_latency[c] = &added.Add(labels, LatencyBuckets());
    cached_items[c] = &cached.Add(labels);
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

std::shared_ptr<prometheus::Collectable> CacheCollector(
    std::function<PerChannel<CacheStats>()> stats) {
  class Collector : public prometheus::Collectable {
   public:
    explicit Collector(std::function<PerChannel<CacheStats>()> stats)
        : stats_(std::move(stats)) {}
    std::vector<prometheus::MetricFamily> Collect() const override {
      const PerChannel<CacheStats> stats = stats_();
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
      for (int c = 0; c < kChannelCount; ++c) {
        prometheus::ClientMetric metric;
        metric.label = {{"channel", ChannelName(ChannelAt(c))}};
        metric.gauge.value = stats[c].symbols;
        symbols.metric.push_back(metric);
        metric.gauge.value =
            stats[c].symbols == 0
                ? 0
                : absl::ToDoubleSeconds(now - stats[c].oldest_update);
        age.metric.push_back(metric);
      }
      return {symbols, age};
    }

   private:
    std::function<PerChannel<CacheStats>()> stats_;
  };
  return std::make_shared<Collector>(std::move(stats));
}

}  // namespace vnstream::gateway
