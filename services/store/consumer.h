// The store's Kafka adapter: reads stock-historical, stock-intraday,
// stock-analytics and stock-instruments from the offsets stored in
// PostgreSQL (kafka_offsets; the beginning when none), hands the records to
// the Sink and flushes it when a batch is full or `batch_wait` has passed.
//
// No consumer group: partitions are assigned, and Kafka's committed offsets
// are never used, since the offsets live in the database, in the same
// transactions as the rows. One replica writes; a second one during a
// rollout is harmless (writes are idempotent, offsets only move forward).
//
// When a write fails (PostgreSQL down or restarting) consumption pauses and
// the batch is retried with exponential backoff until it commits: the
// records wait in Kafka, nothing is lost (unless they expire there first:
// stock-intraday keeps 3 days; vnstream_store_records_expired_total counts
// what expired unread, and a backfill refills it).
#ifndef VNSTREAM_SERVICES_STORE_CONSUMER_H_
#define VNSTREAM_SERVICES_STORE_CONSUMER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/kafka/client_config.h"
#include "prometheus/registry.h"
#include "services/store/sink.h"

namespace vnstream::store {

struct ConsumerOptions {
  std::string bootstrap_servers;
  // Extra librdkafka settings (TLS, SASL, ...).
  kafka::ConfigMap overrides;
  // A batch that is not full is written after this long.
  absl::Duration batch_wait = absl::Milliseconds(500);
  // Backoff between attempts to write a batch, doubling up to the max.
  absl::Duration retry_backoff = absl::Milliseconds(200);
  absl::Duration max_retry_backoff = absl::Seconds(10);
};

class Consumer {
 public:
  // The stored offsets, (topic, partition) -> next offset (reads
  // PgWriter::Offsets; retried by Run until it succeeds).
  using OffsetSource = std::function<
      absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>>()>;
  // Called between batches on the consumer thread (partition upkeep).
  using Idle = std::function<void()>;

  Consumer(ConsumerOptions options, Sink& sink, OffsetSource offsets, Idle idle,
           prometheus::Registry& registry);
  ~Consumer();

  // Consumes until `stop`; then writes what is pending (bounded by the
  // sink's write timeout). Errors only for what cannot be retried.
  absl::Status Run(const absl::Notification& stop);

 private:
  class Events;
  // Creates the consumer and assigns every partition of the topics that
  // exist at the stored offsets.
  absl::Status Assign(
      const std::map<std::pair<std::string, int32_t>, int64_t>& offsets);
  void Dispatch(RdKafka::Message& message);
  // Flushes, retrying with backoff until it succeeds or `stop`.
  void FlushWithRetry(const absl::Notification& stop);
  void UpdateLag();

  const ConsumerOptions options_;
  Sink& sink_;
  OffsetSource offsets_;
  Idle idle_;
  std::unique_ptr<Events> events_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::vector<std::pair<std::string, int32_t>> assigned_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Counter& expired_;
};

}  // namespace vnstream::store

#endif  // VNSTREAM_SERVICES_STORE_CONSUMER_H_
