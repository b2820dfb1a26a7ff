#include "libs/kafka/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, kafka_brokers, "127.0.0.1:9092",
          "Kafka bootstrap servers, host:port[,host:port...].");
ABSL_FLAG(std::string, kafka_config, "",
          "Extra librdkafka settings for every Kafka client of the service, "
          "key=value[,key=value...] (e.g. security.protocol=SASL_SSL).");

namespace vnstream::kafka {

std::string BrokersFromFlags() { return absl::GetFlag(FLAGS_kafka_brokers); }

absl::StatusOr<ConfigMap> ClientConfigFromFlags() {
  return ParseConfigList(absl::GetFlag(FLAGS_kafka_config));
}

}  // namespace vnstream::kafka
