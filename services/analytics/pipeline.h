// Pipeline: analytics' Kafka adapter, exactly-once consume -> transform ->
// produce. A consumer in group `group_id` reads stock-historical; each batch
// is processed inside one Kafka transaction that holds both the output
// records (stock-analytics) and the consumed offsets
// (send_offsets_to_transaction). A crash anywhere either commits both or
// neither: after a restart the batch is re-read and re-processed, and
// readers with isolation.level=read_committed never see the aborted copy.
#ifndef VNSTREAM_SERVICES_ANALYTICS_PIPELINE_H_
#define VNSTREAM_SERVICES_ANALYTICS_PIPELINE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/kafka/client_config.h"
#include "prometheus/registry.h"
#include "services/analytics/processor.h"

namespace vnstream::analytics {

struct PipelineOptions {
  std::string bootstrap_servers;
  std::string group_id = "vnstream-analytics";
  // Unique and stable per replica (e.g. the pod name).
  std::string transactional_id = "vnstream-analytics-0";
  // Records per transaction, and how long to wait to fill a batch.
  int batch_size = 200;
  absl::Duration batch_wait = absl::Milliseconds(100);
  absl::Duration transaction_timeout = absl::Seconds(30);
  kafka::ConfigMap consumer_overrides;
  kafka::ConfigMap producer_overrides;
};

class Pipeline {
 public:
  static absl::StatusOr<std::unique_ptr<Pipeline>> Create(
      PipelineOptions options, AnalyticsProcessor& processor,
      prometheus::Registry& registry);
  ~Pipeline();

  // Consumes and processes until `stop` is notified. Returns an error only
  // for what cannot be retried (a fenced producer: another replica with the
  // same transactional id took over).
  absl::Status Run(const absl::Notification& stop);

 private:
  class Callbacks;
  Pipeline() = default;
  absl::Status InitProducer();
  // Processes one batch in a transaction.
  absl::Status ProcessBatch(
      std::vector<std::unique_ptr<RdKafka::Message>>& batch);
  // After an aborted transaction: re-read from the last committed offsets.
  void Rewind();

  PipelineOptions options_;
  AnalyticsProcessor* processor_ = nullptr;
  std::unique_ptr<Callbacks> callbacks_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Producer> producer_;
  prometheus::Counter* records_out_ = nullptr;
  prometheus::Counter* committed_ = nullptr;
  prometheus::Counter* aborted_ = nullptr;
  prometheus::Histogram* end_to_end_ = nullptr;
  prometheus::Histogram* batch_seconds_ = nullptr;
};

}  // namespace vnstream::analytics

#endif  // VNSTREAM_SERVICES_ANALYTICS_PIPELINE_H_
