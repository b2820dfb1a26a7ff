// Kafka connection flags shared by every service: kafka_brokers and
// kafka_config (extra librdkafka settings for every client, e.g. TLS/SASL).
#ifndef VNSTREAM_LIBS_KAFKA_FLAGS_H_
#define VNSTREAM_LIBS_KAFKA_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "libs/kafka/client_config.h"

namespace vnstream::kafka {

std::string BrokersFromFlags();
// The kafka_config settings; InvalidArgument when malformed.
absl::StatusOr<ConfigMap> ClientConfigFromFlags();

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_FLAGS_H_
