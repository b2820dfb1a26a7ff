#include "services/analytics/config.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/indicators/flags.h"
#include "libs/kafka/flags.h"

ABSL_FLAG(std::string, group_id, "vnstream-analytics",
          "Kafka consumer group; replicas share the input topics' partitions.");
ABSL_FLAG(std::string, transactional_id, "",
          "Kafka transactional id, unique and stable per replica (default: "
          "vnstream-analytics-<hostname>, i.e. the pod name).");
ABSL_FLAG(int, batch_size, 200, "Records per transaction.");
ABSL_FLAG(absl::Duration, batch_wait, absl::Milliseconds(100),
          "How long to wait to fill a batch.");
ABSL_FLAG(absl::Duration, transaction_timeout, absl::Seconds(30),
          "Kafka transaction timeout.");
ABSL_FLAG(absl::Duration, retry_backoff, absl::Milliseconds(500),
          "Wait after an aborted transaction before its batch is processed "
          "again; doubled per further abort, up to 30s.");
ABSL_FLAG(int, intraday_volume_profile_days, 20,
          "Trading days averaged for the same-minute volume profile of "
          "1-minute bars.");
ABSL_FLAG(std::vector<std::string>, groups,
          std::vector<std::string>(
              {"VN30=ACB BCM BID BVH CTG FPT GAS GVR HDB HPG LPB MBB MSN MWG "
               "PLX SAB SHB SSB SSI STB TCB TPB VCB VHM VIB VIC VJC VNM VPB "
               "VRE"}),
          "Index groups for market breadth, GROUP=SYMBOL SYMBOL ..., until "
          "stock-instruments publishes a symbol's groups.");
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
  p.retry_backoff = absl::GetFlag(FLAGS_retry_backoff);
  if (p.batch_size < 1 || p.batch_wait <= absl::ZeroDuration() ||
      p.transaction_timeout < absl::Seconds(1) ||
      p.retry_backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "batch_size, batch_wait, transaction_timeout and retry_backoff must "
        "be positive");
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
  ProcessorOptions& processor = config.processor;
  processor.daily = *params;
  processor.intraday.indicators = *params;
  processor.intraday.volume_profile_days =
      absl::GetFlag(FLAGS_intraday_volume_profile_days);
  if (absl::Status s = processor.intraday.Validate(); !s.ok()) return s;
  absl::StatusOr<GroupMap> groups = ParseGroups(absl::GetFlag(FLAGS_groups));
  if (!groups.ok()) return groups.status();
  processor.groups = *std::move(groups);
  config.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  config.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  return config;
}

}  // namespace vnstream::analytics
