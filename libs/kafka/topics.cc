#include "libs/kafka/topics.h"

#include <string>

namespace vnstream::kafka {

int ReplicationFactorFor(int brokers) { return brokers >= 3 ? 3 : brokers; }

int MinInSyncReplicasFor(int replication_factor) {
  return replication_factor >= 3 ? 2 : 1;
}

std::vector<TopicSpec> DefaultTopics(int replication_factor) {
  // Six partitions: per-symbol order needs only the key; six spread ~1,600
  // symbols over enough consumers without many tiny partitions.
  constexpr int kPartitions = 6;
  const std::string max_bytes = std::to_string(kMaxMessageBytes);
  const std::string min_isr =
      std::to_string(MinInSyncReplicasFor(replication_factor));
  const std::vector<std::pair<std::string, std::string>> compacted = {
      {"cleanup.policy", "compact"},
      // Roll segments hourly so compaction actually runs during a day.
      {"segment.ms", "3600000"},
      {"min.cleanable.dirty.ratio", "0.1"},
      {"max.message.bytes", max_bytes},
      {"min.insync.replicas", min_isr},
  };
  // Three days: today's bars for the gateway, plus a weekend margin for
  // debugging.
  const std::vector<std::pair<std::string, std::string>> three_days = {
      {"cleanup.policy", "delete"},
      {"retention.ms", "259200000"},
      {"max.message.bytes", max_bytes},
      {"min.insync.replicas", min_isr},
  };
  return {
      {kPricesTopic, kPartitions, replication_factor, compacted},
      {kIntradayTopic, kPartitions, replication_factor, three_days},
      {kHistoricalTopic, kPartitions, replication_factor, compacted},
      {kAnalyticsTopic, kPartitions, replication_factor, compacted},
      {kIntradayAnalyticsTopic, kPartitions, replication_factor, three_days},
      {kMarketTopic, kPartitions, replication_factor, compacted},
      {kSignalsTopic, kPartitions, replication_factor, three_days},
      {kInstrumentsTopic, kPartitions, replication_factor, compacted},
      {kAnalyticsStateTopic, kPartitions, replication_factor, compacted},
  };
}

}  // namespace vnstream::kafka
