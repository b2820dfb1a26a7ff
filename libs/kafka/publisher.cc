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
        errors(prometheus::BuildCounter()
                   .Name(prefix + "_produce_errors_total")
                   .Help("Records Kafka did not acknowledge, by reason.")
                   .Register(registry)),
        dropped(prometheus::BuildCounter()
                    .Name(prefix + "_records_dropped_total")
                    .Help("Records dropped before sending, by reason.")
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
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Counter>& dropped;
  prometheus::Family<prometheus::Gauge>& last_publish;
  prometheus::Gauge& buffered;
};

class Publisher::DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryReports(Metrics* metrics) : metrics_(metrics) {}

  // Runs on the sender thread (inside poll()).
  void dr_cb(RdKafka::Message& message) override {
    const std::string topic = message.topic_name();
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      metrics_->produced.Add({{"topic", topic}}).Increment();
      metrics_->last_publish.Add({{"topic", topic}})
          .Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
      return;
    }
    metrics_->errors
        .Add({{"topic", topic}, {"reason", RdKafka::err2str(message.err())}})
        .Increment();
    spdlog::warn("kafka: record for {} key {} not delivered: {}", topic,
                 message.key() != nullptr ? *message.key() : "",
                 message.errstr());
  }

 private:
  Metrics* metrics_;
};

absl::StatusOr<std::unique_ptr<Publisher>> Publisher::Create(
    PublisherOptions options, prometheus::Registry& registry,
    const std::string& metric_prefix) {
  auto publisher = std::unique_ptr<Publisher>(new Publisher());
  publisher->metrics_ = std::make_unique<Metrics>(registry, metric_prefix);
  publisher->reports_ =
      std::make_unique<DeliveryReports>(publisher->metrics_.get());
  const ConfigMap defaults = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"client.id", options.client_id},
      // Exactly one copy per record per producer session, in order per
      // partition, even when requests are retried.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", "lz4"},
      {"linger.ms", "5"},
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
}

void Publisher::Publish(OutgoingRecord record) {
  absl::MutexLock lock(&mu_);
  if (buffer_.size() >= options_.buffer_capacity) {
    // Oldest first: the newest data is the most valuable to a market feed.
    metrics_->dropped
        .Add({{"topic", buffer_.front().topic}, {"reason", "buffer_full"}})
        .Increment();
    buffer_.pop_front();
  }
  buffer_.push_back(std::move(record));
}

size_t Publisher::pending() {
  absl::MutexLock lock(&mu_);
  return buffer_.size() + static_cast<size_t>(producer_->outq_len());
}

size_t Publisher::buffered() {
  absl::MutexLock lock(&mu_);
  return buffer_.size();
}

void Publisher::Drain() {
  while (producer_->outq_len() < options_.max_in_flight) {
    OutgoingRecord record;
    {
      absl::MutexLock lock(&mu_);
      if (buffer_.empty()) return;
      record = std::move(buffer_.front());
      buffer_.pop_front();
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
    if (err == RdKafka::ERR__QUEUE_FULL) {
      absl::MutexLock lock(&mu_);
      buffer_.push_front(std::move(record));
      return;
    }
    // Not retryable (too large, unknown topic): counted and dropped.
    metrics_->errors
        .Add({{"topic", record.topic}, {"reason", RdKafka::err2str(err)}})
        .Increment();
    spdlog::error("kafka: cannot produce to {} key {}: {}", record.topic,
                  record.key, RdKafka::err2str(err));
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
