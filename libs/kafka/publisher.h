// Publisher: the producer side of ingest. Records are handed over without
// ever blocking the caller; a bounded buffer absorbs broker outages and,
// when full, drops its oldest records (counted) rather than crashing or
// growing without bound. librdkafka is idempotent with acks=all, so a
// retried send is never duplicated within the producer's session.
//
// Every record handed to Publish() ends up either acknowledged by Kafka or
// counted as lost, with a log line, by reason:
//   buffer_full       dropped (oldest first) while the buffer was full
//   produce_failed    librdkafka refused it outright (too large, unknown
//                     topic): not retryable
//   delivery_timeout  not acknowledged within delivery_timeout (a broker
//                     outage longer than that); librdkafka may have
//                     written it ("possibly persisted" in the log), but
//                     nothing proves it, so it counts as lost
//   delivery_failed   any other failed delivery report (e.g. a broker
//                     rejecting the record)
//   shutdown          still buffered or in flight when the Publisher was
//                     destroyed (Flush first)
//
// Metrics (prefix given at creation, e.g. "vnstream_ingest"):
//   <prefix>_records_produced_total{topic}          delivered (acked)
//   <prefix>_records_lost_total{topic,reason}       never delivered (above)
//   <prefix>_last_publish_timestamp_seconds{topic}  last delivery, Unix s
//   <prefix>_buffered_records                       waiting + in flight
#ifndef VNSTREAM_LIBS_KAFKA_PUBLISHER_H_
#define VNSTREAM_LIBS_KAFKA_PUBLISHER_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/sink.h"
#include "prometheus/registry.h"

namespace vnstream::kafka {

struct PublisherOptions {
  std::string bootstrap_servers;
  std::string client_id = "vnstream";
  // Records waiting for librdkafka; beyond it the oldest are dropped.
  size_t buffer_capacity = 200'000;
  // Records handed to librdkafka and not yet acknowledged.
  int max_in_flight = 20'000;
  // librdkafka gives up on a record after this long without an ack (a
  // broker outage): it is counted as lost (reason delivery_timeout).
  absl::Duration delivery_timeout = absl::Minutes(5);
  // Extra librdkafka settings (they win over the defaults).
  ConfigMap overrides;
};

class Publisher : public RecordSink {
 public:
  static absl::StatusOr<std::unique_ptr<Publisher>> Create(
      PublisherOptions options, prometheus::Registry& registry,
      const std::string& metric_prefix);
  // Stops the sender thread; records not yet delivered are lost (counted,
  // reason shutdown; Flush first).
  ~Publisher() override;

  void Publish(OutgoingRecord record) override;

  // Waits until everything buffered is acknowledged or failed.
  absl::Status Flush(absl::Duration timeout);

  // Records buffered or in flight.
  size_t pending();
  // Records buffered, not yet handed to librdkafka.
  size_t buffered();

 private:
  struct Metrics;
  class DeliveryReports;

  Publisher() = default;
  void SendLoop();
  // Hands buffered records to librdkafka while it has room.
  void Drain();

  PublisherOptions options_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<DeliveryReports> reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
  absl::Mutex mu_;
  std::deque<OutgoingRecord> buffer_ ABSL_GUARDED_BY(mu_);
  // Records dropped because the buffer was full (log throttling).
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Records handed to librdkafka (or being handed) whose delivery report
  // has not run yet. Counted here, not with outq_len(): that also counts
  // librdkafka's events waiting for poll() (a connection error), which are
  // not records.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sender_;
};

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_PUBLISHER_H_
