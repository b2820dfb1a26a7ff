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

// Produces one record to partition 0 of `topic` (idempotent, acks=all) and
// reads it back: proof that the broker accepts produce and consume.
absl::Status ProduceConsumeRoundTrip(const std::string& bootstrap_servers,
                                     const std::string& topic,
                                     absl::Duration timeout,
                                     const ConfigMap& config = {});

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_ADMIN_H_
