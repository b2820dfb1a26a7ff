// librdkafka's statistics (statistics.interval.ms, delivered to an EventCb
// as EVENT_STATS JSON), read for the consumer lag the services export.
#ifndef VNSTREAM_LIBS_KAFKA_STATISTICS_H_
#define VNSTREAM_LIBS_KAFKA_STATISTICS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace vnstream::kafka {

// Records not yet consumed, per topic: the sum over the topic's partitions
// of librdkafka's "consumer_lag" (partitions not consumed report -1 and
// count as 0). Empty when `json` is not statistics JSON.
absl::flat_hash_map<std::string, double> ConsumerLagByTopic(
    absl::string_view json);

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_STATISTICS_H_
