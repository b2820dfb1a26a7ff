// Pipeline: analytics' Kafka adapter, exactly-once consume -> transform ->
// produce with state.
//
// One consumer in group `group_id` reads the input topics (stock-historical,
// stock-intraday, stock-prices, stock-instruments). They are co-partitioned
// (same partition count, key = symbol, librdkafka's partitioner), and the
// range assignor gives each member the same partition numbers of every
// topic, so partition p of every input, with the state derived from it, is
// owned by one replica. Each batch is one Kafka transaction holding the
// output records, the changelog records (vnstream-analytics-state,
// partition p) and the consumed offsets (send_offsets_to_transaction). A
// crash anywhere commits all of it or none of it.
//
// State is rebuilt from the changelog (read_committed, to its end) for the
// assigned partitions on every assignment and after every aborted
// transaction, after the committed offsets are stable; the consumer then
// continues from those offsets. A record that cannot be produced (produce()
// error or a failed delivery) aborts the transaction: its input is not
// committed and is processed again.
#ifndef VNSTREAM_SERVICES_ANALYTICS_PIPELINE_H_
#define VNSTREAM_SERVICES_ANALYTICS_PIPELINE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/kafka/client_config.h"
#include "prometheus/family.h"
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
  // After an aborted transaction, the wait before the batch is processed
  // again; doubled after each further abort, up to 30 s.
  absl::Duration retry_backoff = absl::Milliseconds(500);
  kafka::ConfigMap consumer_overrides;
  kafka::ConfigMap producer_overrides;
};

// The topics the pipeline consumes, in one group.
std::vector<std::string> InputTopics();

// The input consumer's librdkafka settings (range assignor,
// read_committed, no auto commit) with the overrides applied.
kafka::ConfigMap ConsumerConfig(const PipelineOptions& options);

class Pipeline {
 public:
  static absl::StatusOr<std::unique_ptr<Pipeline>> Create(
      PipelineOptions options, AnalyticsProcessor& processor,
      prometheus::Registry& registry);
  ~Pipeline();

  // Consumes and processes until `stop` is notified. Returns an error only
  // for what cannot be retried: a fenced producer (another replica with the
  // same transactional id took over), input topics that are not
  // co-partitioned, or an assignment that is not.
  absl::Status Run(const absl::Notification& stop);

 private:
  class Callbacks;
  Pipeline() = default;
  absl::Status InitProducer();
  // Waits until the topics exist; checks they have one partition count.
  absl::Status CheckTopics(const absl::Notification& stop);
  // Processes batch_ in one transaction.
  absl::Status ProcessBatch();
  // Produces `outputs` in the open transaction; false (logged) on the first
  // record that cannot be produced.
  bool Produce(std::vector<Output>& outputs);
  // Aborts the open transaction, waits, and restores the state of the
  // assigned partitions and their committed offsets.
  absl::Status Abort(const std::string& why);
  // Rebalance callback (on the Run thread, inside consume()).
  void OnRebalance(RdKafka::ErrorCode err,
                   std::vector<RdKafka::TopicPartition*>& partitions);
  // Reads the committed offsets of `partitions` into them (waiting until
  // they are stable), then rebuilds the processor's state of their
  // partition numbers from the changelog.
  absl::Status Restore(std::vector<RdKafka::TopicPartition*>& partitions);
  absl::Status ReadChangelog(const std::set<int32_t>& partitions);

  PipelineOptions options_;
  AnalyticsProcessor* processor_ = nullptr;
  const absl::Notification* stop_ = nullptr;
  std::unique_ptr<Callbacks> callbacks_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Producer> producer_;
  // Records consumed since the last transaction (dropped on revocation).
  std::vector<std::unique_ptr<RdKafka::Message>> batch_;
  // Partition numbers assigned (the same for every input topic).
  std::set<int32_t> assigned_;
  // Set by the rebalance callback when it cannot go on.
  absl::Status fatal_;
  // Consecutive aborted transactions (for the back-off).
  int aborts_in_a_row_ = 0;

  prometheus::Family<prometheus::Counter>* records_out_ = nullptr;
  prometheus::Counter* committed_ = nullptr;
  prometheus::Counter* aborted_ = nullptr;
  prometheus::Counter* assignments_ = nullptr;
  prometheus::Gauge* assigned_partitions_ = nullptr;
  prometheus::Histogram* restore_seconds_ = nullptr;
  prometheus::Histogram* end_to_end_ = nullptr;
  prometheus::Histogram* batch_seconds_ = nullptr;
};

}  // namespace vnstream::analytics

#endif  // VNSTREAM_SERVICES_ANALYTICS_PIPELINE_H_
