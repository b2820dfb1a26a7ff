// KafkaFeed: reads every channel's topics (channel.h) and the listing
// (stock-instruments) into MarketState. Every gateway replica
// reads every partition from the beginning (partitions are assigned, no
// consumer group): each one rebuilds the whole cache on start-up, and none
// starves another. CaughtUp() tells when the records that existed at
// start-up have all been applied (the gateway's readiness).
#ifndef VNSTREAM_SERVICES_GATEWAY_KAFKA_FEED_H_
#define VNSTREAM_SERVICES_GATEWAY_KAFKA_FEED_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/kafka/client_config.h"
#include "services/gateway/channel.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"

namespace vnstream::gateway {

struct KafkaFeedOptions {
  std::string bootstrap_servers;
  // Extra librdkafka consumer settings.
  kafka::ConfigMap overrides;
};

class KafkaFeed {
 public:
  KafkaFeed(KafkaFeedOptions options, MarketState& state,
            GatewayMetrics* metrics);
  ~KafkaFeed();

  // Connects, assigns every partition of the topics from offset 0, notes
  // the end offsets and starts the consuming thread. Unavailable if the
  // topics cannot be described (retry).
  absl::Status Start();
  void Stop();
  bool CaughtUp() const { return caught_up_.load(); }

  // Where a topic's records go: a channel's source, or (no channel) the
  // listing.
  struct Route {
    std::optional<Channel> channel;
    int source = 0;
    const google::protobuf::Message* prototype = nullptr;
  };

 private:
  class Stats;
  void Loop();

  const KafkaFeedOptions options_;
  MarketState& state_;
  GatewayMetrics* const metrics_;
  std::unique_ptr<Stats> stats_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  // By topic name.
  const std::map<std::string, Route> routes_;
  // Per (topic, partition): the end offset at start-up, until reached.
  struct Target;
  std::unique_ptr<Target> targets_;  // Used by the consuming thread only.
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_KAFKA_FEED_H_
