#include "services/analytics/pipeline.h"

#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "libs/kafka/logging.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/service/metrics.h"
#include "rapidjson/document.h"

namespace vnstream::analytics {
namespace {

int Millis(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

// Takes ownership of a librdkafka error; describes it.
std::string Describe(RdKafka::Error* error) {
  std::unique_ptr<RdKafka::Error> owned(error);
  return owned == nullptr ? "" : owned->str();
}

}  // namespace

// librdkafka callbacks: logs, consumer lag from statistics, delivery errors.
class Pipeline::Callbacks : public RdKafka::EventCb,
                            public RdKafka::DeliveryReportCb {
 public:
  explicit Callbacks(prometheus::Registry& registry)
      : lag_(&prometheus::BuildGauge()
                  .Name("vnstream_analytics_consumer_lag_records")
                  .Help("Records of stock-historical not yet consumed.")
                  .Register(registry)
                  .Add({})),
        produce_errors_(
            &prometheus::BuildCounter()
                 .Name("vnstream_analytics_produce_errors_total")
                 .Help("Output records Kafka did not acknowledge (the "
                       "transaction is aborted and retried).")
                 .Register(registry)
                 .Add({})) {}

  void event_cb(RdKafka::Event& event) override {
    if (event.type() != RdKafka::Event::EVENT_STATS) {
      kafka::LogEvents()->event_cb(event);
      return;
    }
    rapidjson::Document doc;
    doc.Parse(event.str().c_str());
    if (doc.HasParseError() || !doc.HasMember("topics") ||
        !doc["topics"].IsObject())
      return;
    double lag = 0;
    for (const auto& topic : doc["topics"].GetObject()) {
      if (std::string(topic.name.GetString()) != kafka::kHistoricalTopic)
        continue;
      for (const auto& p : topic.value["partitions"].GetObject()) {
        if (p.value.HasMember("consumer_lag") &&
            p.value["consumer_lag"].IsInt64() &&
            p.value["consumer_lag"].GetInt64() > 0) {
          lag += static_cast<double>(p.value["consumer_lag"].GetInt64());
        }
      }
    }
    lag_->Set(lag);
  }

  void dr_cb(RdKafka::Message& message) override {
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      produce_errors_->Increment();
      spdlog::warn("output record not delivered: {}", message.errstr());
    }
  }

 private:
  prometheus::Gauge* lag_;
  prometheus::Counter* produce_errors_;
};

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(
    PipelineOptions options, AnalyticsProcessor& processor,
    prometheus::Registry& registry) {
  auto pipeline = std::unique_ptr<Pipeline>(new Pipeline());
  pipeline->options_ = std::move(options);
  pipeline->processor_ = &processor;
  pipeline->callbacks_ = std::make_unique<Callbacks>(registry);
  auto& out = prometheus::BuildCounter()
                  .Name("vnstream_analytics_records_out_total")
                  .Help("stock-analytics records committed.")
                  .Register(registry);
  pipeline->records_out_ = &out.Add({});
  auto& transactions = prometheus::BuildCounter()
                           .Name("vnstream_analytics_transactions_total")
                           .Help("Kafka transactions by result.")
                           .Register(registry);
  pipeline->committed_ = &transactions.Add({{"result", "committed"}});
  pipeline->aborted_ = &transactions.Add({{"result", "aborted"}});
  pipeline->end_to_end_ =
      &prometheus::BuildHistogram()
           .Name("vnstream_analytics_latency_seconds")
           .Help(
               "Record fetch time (meta.fetched_at) to the commit of "
               "its enriched record, seconds.")
           .Register(registry)
           .Add({}, LatencyBuckets());
  pipeline->batch_seconds_ = &prometheus::BuildHistogram()
                                  .Name("vnstream_analytics_batch_seconds")
                                  .Help("Time to process and commit one batch.")
                                  .Register(registry)
                                  .Add({}, LatencyBuckets());

  const PipelineOptions& o = pipeline->options_;
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      kafka::MakeConf(kafka::Merge(
          {{"bootstrap.servers", o.bootstrap_servers},
           {"client.id", o.transactional_id},
           {"group.id", o.group_id},
           // Offsets are committed only inside transactions.
           {"enable.auto.commit", "false"},
           {"auto.offset.reset", "earliest"},
           // A crashed replica's partitions move to the others within 10 s.
           {"session.timeout.ms", "10000"},
           {"heartbeat.interval.ms", "2000"},
           // Never process a record of an aborted upstream transaction.
           {"isolation.level", "read_committed"},
           {"statistics.interval.ms", "5000"},
           {"max.partition.fetch.bytes",
            absl::StrCat(kafka::kMaxMessageBytes)}},
          o.consumer_overrides));
  if (!conf.ok()) return conf.status();
  std::string error;
  (*conf)->set("event_cb",
               static_cast<RdKafka::EventCb*>(pipeline->callbacks_.get()),
               error);
  pipeline->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (pipeline->consumer_ == nullptr) return absl::InternalError(error);
  return pipeline;
}

Pipeline::~Pipeline() {
  if (consumer_ != nullptr) consumer_->close();
}

absl::Status Pipeline::InitProducer() {
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      kafka::MakeConf(kafka::Merge(
          {{"bootstrap.servers", options_.bootstrap_servers},
           {"client.id", options_.transactional_id},
           {"transactional.id", options_.transactional_id},
           {"transaction.timeout.ms",
            absl::StrCat(Millis(options_.transaction_timeout))},
           {"enable.idempotence", "true"},
           {"acks", "all"},
           {"compression.type", "lz4"},
           {"linger.ms", "5"},
           {"message.max.bytes", absl::StrCat(kafka::kMaxMessageBytes)}},
          options_.producer_overrides));
  if (!conf.ok()) return conf.status();
  std::string error;
  (*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(callbacks_.get()),
               error);
  (*conf)->set("dr_cb",
               static_cast<RdKafka::DeliveryReportCb*>(callbacks_.get()),
               error);
  producer_.reset(RdKafka::Producer::create(conf->get(), error));
  if (producer_ == nullptr) return absl::InternalError(error);
  // Fences older producers with the same transactional id and aborts their
  // unfinished transaction. Bounded so a shutdown while Kafka is down is
  // quick; it is retried.
  if (RdKafka::Error* e = producer_->init_transactions(
          Millis(std::min(options_.transaction_timeout, absl::Seconds(10))))) {
    producer_.reset();
    return absl::UnavailableError(
        absl::StrCat("init_transactions: ", Describe(e)));
  }
  return absl::OkStatus();
}

absl::Status Pipeline::Run(const absl::Notification& stop) {
  while (!stop.HasBeenNotified()) {
    const absl::Status status = InitProducer();
    if (status.ok()) break;
    spdlog::warn("{}; retrying in 2s", status);
    stop.WaitForNotificationWithTimeout(absl::Seconds(2));
  }
  if (stop.HasBeenNotified()) return absl::OkStatus();
  if (RdKafka::ErrorCode err = consumer_->subscribe({kafka::kHistoricalTopic});
      err != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("subscribe: ", RdKafka::err2str(err)));
  }
  spdlog::info("consuming {} as group {}, producing {} transactionally as {}",
               kafka::kHistoricalTopic, options_.group_id,
               kafka::kAnalyticsTopic, options_.transactional_id);
  std::vector<std::unique_ptr<RdKafka::Message>> batch;
  while (!stop.HasBeenNotified()) {
    batch.clear();
    const absl::Time until = absl::Now() + options_.batch_wait;
    while (static_cast<int>(batch.size()) < options_.batch_size) {
      const int wait = batch.empty() ? Millis(options_.batch_wait)
                                     : std::max(0, Millis(until - absl::Now()));
      std::unique_ptr<RdKafka::Message> message(consumer_->consume(wait));
      if (message->err() == RdKafka::ERR__TIMED_OUT) break;
      if (message->err() != RdKafka::ERR_NO_ERROR) {
        if (message->err() != RdKafka::ERR__PARTITION_EOF) {
          spdlog::warn("consume: {}", message->errstr());
        }
        continue;
      }
      batch.push_back(std::move(message));
    }
    producer_->poll(0);
    if (batch.empty()) continue;
    if (absl::Status s = ProcessBatch(batch); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Pipeline::ProcessBatch(
    std::vector<std::unique_ptr<RdKafka::Message>>& batch) {
  const absl::Time start = absl::Now();
  if (RdKafka::Error* e = producer_->begin_transaction()) {
    std::unique_ptr<RdKafka::Error> error(e);
    return absl::InternalError(
        absl::StrCat("begin_transaction: ", error->str()));
  }
  std::vector<absl::Time> fetched;
  for (const auto& message : batch) {
    v1::DailyHistory history;
    if (absl::Status s = kafka::DecodeRecord(*message, history); !s.ok()) {
      processor_->CountMalformed();
      spdlog::warn("skipped malformed record {} [{}] @{}: {}",
                   message->topic_name(), message->partition(),
                   message->offset(), s);
      continue;
    }
    absl::StatusOr<kafka::OutgoingRecord> out = processor_->Process(history);
    if (!out.ok()) {
      spdlog::warn("skipped history of {} seq {}: {}", history.meta().symbol(),
                   history.meta().seq(), out.status());
      continue;
    }
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : out->headers) headers->add(name, value);
    while (true) {
      const RdKafka::ErrorCode err = producer_->produce(
          out->topic, RdKafka::Topic::PARTITION_UA,
          RdKafka::Producer::RK_MSG_COPY, out->value.data(), out->value.size(),
          out->key.data(), out->key.size(), 0, headers, nullptr);
      if (err == RdKafka::ERR_NO_ERROR) break;
      if (err != RdKafka::ERR__QUEUE_FULL) {
        delete headers;
        spdlog::error("produce {}: {}", out->key, RdKafka::err2str(err));
        break;
      }
      producer_->poll(10);
    }
    fetched.push_back(market::FromTimestamp(history.meta().fetched_at()));
  }

  // The consumed positions travel inside the transaction.
  std::vector<RdKafka::TopicPartition*> positions;
  consumer_->assignment(positions);
  consumer_->position(positions);
  absl::Cleanup free_positions = [&] {
    RdKafka::TopicPartition::destroy(positions);
  };
  std::unique_ptr<RdKafka::ConsumerGroupMetadata> group(
      consumer_->groupMetadata());
  RdKafka::Error* error = producer_->send_offsets_to_transaction(
      positions, group.get(), Millis(options_.transaction_timeout));
  if (error == nullptr)
    error = producer_->commit_transaction(Millis(options_.transaction_timeout));
  if (error == nullptr) {
    committed_->Increment();
    records_out_->Increment(static_cast<double>(fetched.size()));
    const absl::Time now = absl::Now();
    for (absl::Time t : fetched)
      end_to_end_->Observe(absl::ToDoubleSeconds(now - t));
    batch_seconds_->Observe(absl::ToDoubleSeconds(now - start));
    return absl::OkStatus();
  }
  std::unique_ptr<RdKafka::Error> owned(error);
  if (owned->is_fatal()) {
    // Fenced by a newer producer with our id, or a broker-side fatal error:
    // this process must not write anymore.
    return absl::InternalError(
        absl::StrCat("fatal transaction error: ", owned->str()));
  }
  aborted_->Increment();
  spdlog::warn("transaction aborted ({}); the batch will be processed again",
               owned->str());
  if (RdKafka::Error* e =
          producer_->abort_transaction(Millis(options_.transaction_timeout))) {
    return absl::InternalError(
        absl::StrCat("abort_transaction: ", Describe(e)));
  }
  Rewind();
  return absl::OkStatus();
}

void Pipeline::Rewind() {
  std::vector<RdKafka::TopicPartition*> partitions;
  consumer_->assignment(partitions);
  absl::Cleanup free_partitions = [&] {
    RdKafka::TopicPartition::destroy(partitions);
  };
  if (consumer_->committed(partitions, Millis(options_.transaction_timeout)) !=
      RdKafka::ERR_NO_ERROR) {
    spdlog::warn(
        "cannot read committed offsets; continuing from the current position");
    return;
  }
  for (RdKafka::TopicPartition* p : partitions) {
    if (p->offset() < 0) p->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
    if (RdKafka::ErrorCode err = consumer_->seek(*p, 5000);
        err != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("seek {} [{}]: {}", p->topic(), p->partition(),
                   RdKafka::err2str(err));
    }
  }
}

}  // namespace vnstream::analytics
