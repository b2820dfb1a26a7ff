#include "libs/kafka/publisher.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "libs/kafka/logging.h"
#include "libs/kafka/topics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"

namespace vnstream::kafka {

struct Publisher::Metrics {
  Metrics(prometheus::Registry& registry, const std::string& prefix)
      : produced(prometheus::BuildCounter()
                     .Name(prefix + "_records_produced_total")
                     .Help("Records acknowledged by Kafka.")
                     .Register(registry)),
        lost(prometheus::BuildCounter()
                 .Name(prefix + "_records_lost_total")
                 .Help("Records that never reached Kafka, by reason: "
                       "buffer_full, produce_failed, delivery_timeout, "
                       "delivery_failed, shutdown.")
                 .Register(registry)),
        last_publish(prometheus::BuildGauge()
                         .Name(prefix + "_last_publish_timestamp_seconds")
                         .Help("Time of the last acknowledged record, Unix "
                               "seconds.")
                         .Register(registry)),
        buffered(prometheus::BuildGauge()
                     .Name(prefix + "_buffered_records")
                     .Help("Records waiting or in flight.")
                     .Register(registry)
                     .Add({})) {}

  prometheus::Family<prometheus::Counter>& produced;
  prometheus::Family<prometheus::Counter>& lost;
  prometheus::Family<prometheus::Gauge>& last_publish;
  prometheus::Gauge& buffered;
};

class Publisher::DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryReports(Publisher* publisher) : publisher_(publisher) {}

  // Runs on the sender thread (inside poll()), or in the destructor once
  // the sender has stopped.
  void dr_cb(RdKafka::Message& message) override {
    {
      absl::MutexLock lock(&publisher_->mu_);
      --publisher_->in_flight_;
    }
    Metrics* const metrics = publisher_->metrics_.get();
    const std::string topic = message.topic_name();
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      metrics->produced.Add({{"topic", topic}}).Increment();
      metrics->last_publish.Add({{"topic", topic}})
          .Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
      return;
    }
    const char* reason = "delivery_failed";
    switch (message.err()) {
      case RdKafka::ERR__MSG_TIMED_OUT:
        reason = "delivery_timeout";
        break;
      case RdKafka::ERR__PURGE_QUEUE:
      case RdKafka::ERR__PURGE_INFLIGHT:
        reason = "shutdown";
        break;
      default:
        break;
    }
    metrics->lost.Add({{"topic", topic}, {"reason", reason}}).Increment();
    const bool maybe_written =
        message.status() == RdKafka::Message::MSG_STATUS_POSSIBLY_PERSISTED;
    spdlog::error("kafka: record for {} key {} lost ({}{}): {}", topic,
                  message.key() != nullptr ? *message.key() : "", reason,
                  maybe_written ? ", possibly persisted" : "",
                  message.errstr());
  }

 private:
  Publisher* const publisher_;
};

absl::StatusOr<std::unique_ptr<Publisher>> Publisher::Create(
    PublisherOptions options, prometheus::Registry& registry,
    const std::string& metric_prefix) {
  auto publisher = std::unique_ptr<Publisher>(new Publisher());
  publisher->metrics_ = std::make_unique<Metrics>(registry, metric_prefix);
  publisher->reports_ = std::make_unique<DeliveryReports>(publisher.get());
  const ConfigMap defaults = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"client.id", options.client_id},
      // Exactly one copy per record per producer session, in order per
      // partition, even when requests are retried.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", "lz4"},
      // No waiting for a batch: a record leaves as soon as the I/O thread
      // sees it (freshness is the product). Batches still form when
      // records arrive together (a price-board response: 50 at once) or
      // while the in-flight requests are busy.
      {"linger.ms", "0"},
      {"message.timeout.ms",
       absl::StrCat(absl::ToInt64Milliseconds(options.delivery_timeout))},
      {"queue.buffering.max.messages",
       absl::StrCat(options.max_in_flight + 1000)},
      {"message.max.bytes", absl::StrCat(kMaxMessageBytes)},
  };
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      MakeConf(Merge(defaults, options.overrides));
  if (!conf.ok()) return conf.status();
  std::string error;
  if ((*conf)->set("dr_cb", publisher->reports_.get(), error) !=
          RdKafka::Conf::CONF_OK ||
      (*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(LogEvents()),
                   error) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  publisher->producer_.reset(RdKafka::Producer::create(conf->get(), error));
  if (publisher->producer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", error));
  }
  publisher->options_ = std::move(options);
  publisher->sender_ = std::thread([p = publisher.get()] { p->SendLoop(); });
  return publisher;
}

Publisher::~Publisher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (sender_.joinable()) sender_.join();
  // Nothing is lost silently, not even at shutdown: buffered records are
  // counted here, in-flight ones by their purge delivery reports.
  std::deque<OutgoingRecord> left;
  int in_flight;
  {
    absl::MutexLock lock(&mu_);
    left.swap(buffer_);
    in_flight = in_flight_;
  }
  for (const OutgoingRecord& record : left) {
    metrics_->lost.Add({{"topic", record.topic}, {"reason", "shutdown"}})
        .Increment();
  }
  if (!left.empty() || in_flight > 0) {
    spdlog::error(
        "kafka: {} records lost at shutdown ({} buffered, {} in "
        "flight)",
        left.size() + static_cast<size_t>(in_flight), left.size(), in_flight);
  }
  producer_->purge(RdKafka::Producer::PURGE_QUEUE |
                   RdKafka::Producer::PURGE_INFLIGHT);
  producer_->flush(1000);  // Serves the purged records' delivery reports.
}

void Publisher::Publish(OutgoingRecord record) {
  absl::MutexLock lock(&mu_);
  if (buffer_.size() >= options_.buffer_capacity) {
    // Oldest first: the newest data is the most valuable to a market feed.
    const OutgoingRecord& oldest = buffer_.front();
    metrics_->lost.Add({{"topic", oldest.topic}, {"reason", "buffer_full"}})
        .Increment();
    // One line per 1,000 (the buffer holds 200,000 by default: a long
    // outage would otherwise write a line per record).
    if (++dropped_ % 1000 == 1) {
      spdlog::error(
          "kafka: buffer full ({} records): dropped the oldest record for {} "
          "key {} ({} dropped so far)",
          buffer_.size(), oldest.topic, oldest.key, dropped_);
    }
    buffer_.pop_front();
  }
  buffer_.push_back(std::move(record));
}

size_t Publisher::pending() {
  absl::MutexLock lock(&mu_);
  return buffer_.size() + static_cast<size_t>(in_flight_);
}

size_t Publisher::buffered() {
  absl::MutexLock lock(&mu_);
  return buffer_.size();
}

void Publisher::Drain() {
  while (true) {
    OutgoingRecord record;
    {
      absl::MutexLock lock(&mu_);
      if (buffer_.empty() || in_flight_ >= options_.max_in_flight) return;
      record = std::move(buffer_.front());
      buffer_.pop_front();
      // In flight from here: pending() never misses it while produce() runs.
      ++in_flight_;
    }
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : record.headers) headers->add(name, value);
    const RdKafka::ErrorCode err =
        producer_->produce(record.topic, RdKafka::Topic::PARTITION_UA,
                           RdKafka::Producer::RK_MSG_COPY, record.value.data(),
                           record.value.size(), record.key.data(),
                           record.key.size(), 0, headers, nullptr);
    if (err == RdKafka::ERR_NO_ERROR) continue;  // librdkafka owns the headers.
    delete headers;
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
      if (err == RdKafka::ERR__QUEUE_FULL) {
        buffer_.push_front(std::move(record));
        return;
      }
    }
    // Not retryable (too large, unknown topic): counted and dropped.
    metrics_->lost.Add({{"topic", record.topic}, {"reason", "produce_failed"}})
        .Increment();
    spdlog::error("kafka: record for {} key {} lost (produce_failed): {}",
                  record.topic, record.key, RdKafka::err2str(err));
  }
}

void Publisher::SendLoop() {
  while (true) {
    producer_->poll(0);  // Delivery reports.
    Drain();
    metrics_->buffered.Set(static_cast<double>(pending()));
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    // Wake up at once for new records, at least every 10 ms for reports.
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || !buffer_.empty();
    };
    if (buffer_.empty()) {
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(10));
    }
  }
}

absl::Status Publisher::Flush(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (pending() > 0) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(pending(), " records still pending after ",
                       absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return absl::OkStatus();
}

}  // namespace vnstream::kafka
