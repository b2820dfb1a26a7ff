#include "services/analytics/config.h"

#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/indicators/flags.h"
#include "libs/kafka/flags.h"

ABSL_FLAG(
    std::string, group_id, "vnstream-analytics",
    "Kafka consumer group; replicas share the partitions of stock-historical.");
ABSL_FLAG(std::string, transactional_id, "",
          "Kafka transactional id, unique and stable per replica (default: "
          "vnstream-analytics-<hostname>, i.e. the pod name).");
ABSL_FLAG(int, batch_size, 200, "Records per transaction.");
ABSL_FLAG(absl::Duration, batch_wait, absl::Milliseconds(100),
          "How long to wait to fill a batch.");
ABSL_FLAG(absl::Duration, transaction_timeout, absl::Seconds(30),
          "Kafka transaction timeout.");
ABSL_FLAG(std::string, kafka_consumer_config, "",
          "Extra librdkafka consumer settings, k=v,...");
ABSL_FLAG(std::string, kafka_producer_config, "",
          "Extra librdkafka producer settings, k=v,...");
ABSL_FLAG(std::string, grpc_address, "0.0.0.0:50053",
          "gRPC health + reflection listen address.");
ABSL_FLAG(std::string, metrics_address, "0.0.0.0:9102",
          "Prometheus /metrics address.");

namespace vnstream::analytics {

absl::StatusOr<AnalyticsConfig> LoadConfig() {
  AnalyticsConfig config;
  PipelineOptions& p = config.pipeline;
  p.bootstrap_servers = kafka::BrokersFromFlags();
  p.group_id = absl::GetFlag(FLAGS_group_id);
  p.transactional_id = absl::GetFlag(FLAGS_transactional_id);
  if (p.transactional_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    p.transactional_id = absl::StrCat("vnstream-analytics-", host);
  }
  p.batch_size = absl::GetFlag(FLAGS_batch_size);
  p.batch_wait = absl::GetFlag(FLAGS_batch_wait);
  p.transaction_timeout = absl::GetFlag(FLAGS_transaction_timeout);
  if (p.batch_size < 1 || p.batch_wait <= absl::ZeroDuration() ||
      p.transaction_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "batch_size, batch_wait and transaction_timeout must be positive");
  }
  absl::StatusOr<kafka::ConfigMap> common = kafka::ClientConfigFromFlags();
  if (!common.ok()) return common.status();
  absl::StatusOr<kafka::ConfigMap> consumer =
      kafka::ParseConfigList(absl::GetFlag(FLAGS_kafka_consumer_config));
  if (!consumer.ok()) return consumer.status();
  absl::StatusOr<kafka::ConfigMap> producer =
      kafka::ParseConfigList(absl::GetFlag(FLAGS_kafka_producer_config));
  if (!producer.ok()) return producer.status();
  p.consumer_overrides = kafka::Merge(*common, *consumer);
  p.producer_overrides = kafka::Merge(*common, *producer);
  absl::StatusOr<indicators::Params> params = indicators::ParamsFromFlags();
  if (!params.ok()) return params.status();
  config.indicators = *std::move(params);
  config.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  config.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  return config;
}

}  // namespace vnstream::analytics
