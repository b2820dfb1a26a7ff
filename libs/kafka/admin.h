// Cluster administration with librdkafka's admin API: what the launcher,
// the tests and the services' start-up checks need.
#ifndef VNSTREAM_LIBS_KAFKA_ADMIN_H_
#define VNSTREAM_LIBS_KAFKA_ADMIN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/topics.h"

namespace vnstream::kafka {

// `config`: extra librdkafka settings of the client (TLS, SASL).

// Creates `topics`; topics that already exist are left as they are.
absl::Status CreateTopics(const std::string& bootstrap_servers,
                          const std::vector<TopicSpec>& topics,
                          absl::Duration timeout, const ConfigMap& config = {});

// Number of partitions of `topic`, or NotFound.
absl::StatusOr<int> PartitionCount(const std::string& bootstrap_servers,
                                   const std::string& topic,
                                   absl::Duration timeout,
                                   const ConfigMap& config = {});

// Where the replicas of one partition are, by broker (node) id.
struct PartitionReplicas {
  std::string topic;
  int partition = 0;
  int leader = -1;  // -1: no leader right now.
  std::vector<int> replicas;
  std::vector<int> in_sync;
};

// Every partition of every topic (internal ones included), as the cluster's
// metadata says now.
absl::StatusOr<std::vector<PartitionReplicas>> DescribePartitions(
    const std::string& bootstrap_servers, absl::Duration timeout);

// The leader's broker id of `topic`'s `partition`; Unavailable while it has
// none, NotFound for an unknown topic or partition.
absl::StatusOr<int> PartitionLeader(const std::string& bootstrap_servers,
                                    const std::string& topic, int partition,
                                    absl::Duration timeout);

// Ids of the brokers registered (and not fenced) in the cluster.
absl::StatusOr<std::vector<int>> BrokerIds(const std::string& bootstrap_servers,
                                           absl::Duration timeout);

// Produces one record to partition 0 of `topic` (idempotent, acks=all) and
// reads it back: proof that the broker accepts produce and consume.
absl::Status ProduceConsumeRoundTrip(const std::string& bootstrap_servers,
                                     const std::string& topic,
                                     absl::Duration timeout,
                                     const ConfigMap& config = {});

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_ADMIN_H_
