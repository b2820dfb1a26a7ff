#include "services/analytics/pipeline.h"

#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "libs/kafka/logging.h"
#include "libs/kafka/record.h"
#include "libs/kafka/statistics.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/service/metrics.h"

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

// Runs a transactional call again while it fails with a retriable error
// (e.g. a timeout), a few times; returns its last error (null = success).
std::unique_ptr<RdKafka::Error> Retrying(
    const std::function<RdKafka::Error*()>& call) {
  std::unique_ptr<RdKafka::Error> error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    error.reset(call());
    if (error == nullptr || !error->is_retriable()) break;
    spdlog::warn("retrying after a retriable error: {}", error->str());
  }
  return error;
}

std::string PartitionList(const std::vector<RdKafka::TopicPartition*>& parts) {
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const RdKafka::TopicPartition* p : parts) {
    by_topic[p->topic()].push_back(p->partition());
  }
  std::vector<std::string> out;
  for (auto& [topic, numbers] : by_topic) {
    std::sort(numbers.begin(), numbers.end());
    out.push_back(absl::StrCat(topic, " [", absl::StrJoin(numbers, ","), "]"));
  }
  return absl::StrJoin(out, " ");
}

}  // namespace

std::vector<std::string> InputTopics() {
  return {kafka::kHistoricalTopic, kafka::kIntradayTopic, kafka::kPricesTopic,
          kafka::kInstrumentsTopic};
}

kafka::ConfigMap ConsumerConfig(const PipelineOptions& o) {
  return kafka::Merge(
      {{"bootstrap.servers", o.bootstrap_servers},
       {"client.id", o.transactional_id},
       {"group.id", o.group_id},
       // Partition p of every input topic to the same member (the state of
       // a symbol derives from all of them). Eager protocol: a rebalance
       // revokes everything, then assigns.
       {"partition.assignment.strategy", "range"},
       // Offsets are committed only inside transactions.
       {"enable.auto.commit", "false"},
       {"auto.offset.reset", "earliest"},
       // A crashed replica's partitions move to the others within 10 s.
       {"session.timeout.ms", "10000"},
       {"heartbeat.interval.ms", "2000"},
       // Never process a record of an aborted upstream transaction; also
       // makes committed() wait for offsets of pending transactions.
       {"isolation.level", "read_committed"},
       {"statistics.interval.ms", "5000"},
       {"max.partition.fetch.bytes", absl::StrCat(kafka::kMaxMessageBytes)}},
      o.consumer_overrides);
}

// librdkafka callbacks: logs, consumer lag from statistics, delivery
// results, rebalances. All run on the Run thread (inside consume(), poll()
// and flush()).
class Pipeline::Callbacks : public RdKafka::EventCb,
                            public RdKafka::DeliveryReportCb,
                            public RdKafka::RebalanceCb {
 public:
  Callbacks(Pipeline* pipeline, prometheus::Registry& registry)
      : pipeline_(pipeline),
        lag_(prometheus::BuildGauge()
                 .Name("vnstream_analytics_consumer_lag_records")
                 .Help("Records of an input topic not yet consumed.")
                 .Register(registry)),
        produce_errors_(
            &prometheus::BuildCounter()
                 .Name("vnstream_analytics_produce_errors_total")
                 .Help("Output records Kafka did not accept or acknowledge "
                       "(each aborts its transaction; the input is "
                       "processed again).")
                 .Register(registry)
                 .Add({})) {
    for (const std::string& topic : InputTopics()) {
      lag_gauges_[topic] = &lag_.Add({{"topic", topic}});
    }
  }

  void event_cb(RdKafka::Event& event) override {
    if (event.type() != RdKafka::Event::EVENT_STATS) {
      kafka::LogEvents()->event_cb(event);
      return;
    }
    for (const auto& [topic, lag] : kafka::ConsumerLagByTopic(event.str())) {
      auto gauge = lag_gauges_.find(topic);
      if (gauge != lag_gauges_.end()) gauge->second->Set(lag);
    }
  }

  void dr_cb(RdKafka::Message& message) override {
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      produce_errors_->Increment();
      ++failed_deliveries_;
      spdlog::error("output record to {} [{}] not delivered: {}",
                    message.topic_name(), message.partition(),
                    message.errstr());
    }
  }

  void rebalance_cb(
      RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
      std::vector<RdKafka::TopicPartition*>& partitions) override {
    (void)consumer;
    pipeline_->OnRebalance(err, partitions);
  }

  void CountProduceError() { produce_errors_->Increment(); }
  // Deliveries that failed since the last Reset (the current transaction).
  int failed_deliveries() const { return failed_deliveries_; }
  void ResetDeliveries() { failed_deliveries_ = 0; }

 private:
  Pipeline* pipeline_;
  prometheus::Family<prometheus::Gauge>& lag_;
  std::map<std::string, prometheus::Gauge*, std::less<>> lag_gauges_;
  prometheus::Counter* produce_errors_;
  int failed_deliveries_ = 0;
};

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(
    PipelineOptions options, AnalyticsProcessor& processor,
    prometheus::Registry& registry) {
  auto pipeline = std::unique_ptr<Pipeline>(new Pipeline());
  Pipeline& p = *pipeline;
  p.options_ = std::move(options);
  p.processor_ = &processor;
  p.callbacks_ = std::make_unique<Callbacks>(&p, registry);
  p.records_out_ = &prometheus::BuildCounter()
                        .Name("vnstream_analytics_records_out_total")
                        .Help("Output records committed, by topic.")
                        .Register(registry);
  auto& transactions = prometheus::BuildCounter()
                           .Name("vnstream_analytics_transactions_total")
                           .Help("Kafka transactions by result.")
                           .Register(registry);
  p.committed_ = &transactions.Add({{"result", "committed"}});
  p.aborted_ = &transactions.Add({{"result", "aborted"}});
  p.assignments_ = &prometheus::BuildCounter()
                        .Name("vnstream_analytics_assignments_total")
                        .Help("Partition assignments (rebalances) received.")
                        .Register(registry)
                        .Add({});
  p.assigned_partitions_ =
      &prometheus::BuildGauge()
           .Name("vnstream_analytics_assigned_partitions")
           .Help("Partition numbers of the input topics this replica owns.")
           .Register(registry)
           .Add({});
  p.restore_seconds_ =
      &prometheus::BuildHistogram()
           .Name("vnstream_analytics_state_restore_seconds")
           .Help(
               "Time to restore the state of an assignment from the "
               "changelog (committed offsets included).")
           .Register(registry)
           .Add({}, LatencyBuckets());
  p.end_to_end_ =
      &prometheus::BuildHistogram()
           .Name("vnstream_analytics_latency_seconds")
           .Help(
               "Record fetch time (meta.fetched_at) to the commit of "
               "its outputs, seconds.")
           .Register(registry)
           .Add({}, LatencyBuckets());
  p.batch_seconds_ = &prometheus::BuildHistogram()
                          .Name("vnstream_analytics_batch_seconds")
                          .Help("Time to process and commit one batch.")
                          .Register(registry)
                          .Add({}, LatencyBuckets());

  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      kafka::MakeConf(ConsumerConfig(p.options_));
  if (!conf.ok()) return conf.status();
  std::string error;
  if ((*conf)->set("event_cb",
                   static_cast<RdKafka::EventCb*>(p.callbacks_.get()),
                   error) != RdKafka::Conf::CONF_OK ||
      (*conf)->set("rebalance_cb",
                   static_cast<RdKafka::RebalanceCb*>(p.callbacks_.get()),
                   error) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  p.consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (p.consumer_ == nullptr) return absl::InternalError(error);
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

absl::Status Pipeline::CheckTopics(const absl::Notification& stop) {
  const std::vector<std::string> required = {
      kafka::kHistoricalTopic, kafka::kIntradayTopic, kafka::kPricesTopic,
      kafka::kMarketTopic, kafka::kAnalyticsStateTopic};
  while (!stop.HasBeenNotified()) {
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode err =
        consumer_->metadata(/*all_topics=*/true, nullptr, &raw, 10000);
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    std::map<std::string, int> partitions;
    if (err == RdKafka::ERR_NO_ERROR) {
      for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
        if (t->err() == RdKafka::ERR_NO_ERROR) {
          partitions[t->topic()] = static_cast<int>(t->partitions()->size());
        }
      }
    }
    std::vector<std::string> missing;
    for (const std::string& topic : required) {
      if (!partitions.contains(topic)) missing.push_back(topic);
    }
    if (err != RdKafka::ERR_NO_ERROR || !missing.empty()) {
      spdlog::warn("waiting for topics {} ({}); retrying in 2s",
                   absl::StrJoin(missing, ", "), RdKafka::err2str(err));
      stop.WaitForNotificationWithTimeout(absl::Seconds(2));
      continue;
    }
    // Co-partitioned: the inputs, the breadth partials and the changelog
    // are addressed by the same partition numbers.
    std::vector<std::string> same = required;
    if (partitions.contains(kafka::kInstrumentsTopic)) {
      same.push_back(kafka::kInstrumentsTopic);
    }
    const int count = partitions[kafka::kHistoricalTopic];
    for (const std::string& topic : same) {
      if (partitions[topic] != count) {
        return absl::FailedPreconditionError(
            absl::StrCat("topics are not co-partitioned: ", topic, " has ",
                         partitions[topic], " partitions, ",
                         kafka::kHistoricalTopic, " has ", count));
      }
    }
    processor_->set_partition_count(count);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Pipeline::Run(const absl::Notification& stop) {
  stop_ = &stop;
  while (!stop.HasBeenNotified()) {
    const absl::Status status = InitProducer();
    if (status.ok()) break;
    spdlog::warn("{}; retrying in 2s", status);
    stop.WaitForNotificationWithTimeout(absl::Seconds(2));
  }
  if (absl::Status s = CheckTopics(stop); !s.ok()) return s;
  if (stop.HasBeenNotified()) return absl::OkStatus();
  if (RdKafka::ErrorCode err = consumer_->subscribe(InputTopics());
      err != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("subscribe: ", RdKafka::err2str(err)));
  }
  spdlog::info(
      "consuming {} as group {}, producing {} {} {} {} and the changelog {} "
      "transactionally as {}",
      absl::StrJoin(InputTopics(), " "), options_.group_id,
      kafka::kAnalyticsTopic, kafka::kIntradayAnalyticsTopic,
      kafka::kMarketTopic, kafka::kSignalsTopic, kafka::kAnalyticsStateTopic,
      options_.transactional_id);
  while (!stop.HasBeenNotified()) {
    batch_.clear();
    const absl::Time until = absl::Now() + options_.batch_wait;
    while (static_cast<int>(batch_.size()) < options_.batch_size) {
      const int wait = batch_.empty()
                           ? Millis(options_.batch_wait)
                           : std::max(0, Millis(until - absl::Now()));
      std::unique_ptr<RdKafka::Message> message(consumer_->consume(wait));
      if (!fatal_.ok()) return fatal_;
      if (message->err() == RdKafka::ERR__TIMED_OUT) break;
      if (message->err() != RdKafka::ERR_NO_ERROR) {
        if (message->err() != RdKafka::ERR__PARTITION_EOF) {
          spdlog::warn("consume: {}", message->errstr());
        }
        continue;
      }
      batch_.push_back(std::move(message));
    }
    producer_->poll(0);
    if (batch_.empty()) continue;
    if (absl::Status s = ProcessBatch(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void Pipeline::OnRebalance(RdKafka::ErrorCode err,
                           std::vector<RdKafka::TopicPartition*>& partitions) {
  // No transaction is open here: batches are processed between consume()
  // calls. Whatever was consumed since the last commit is dropped; the
  // next owner reads it again from the committed offsets.
  batch_.clear();
  processor_->DropAll();
  assigned_.clear();
  assigned_partitions_->Set(0);
  if (err != RdKafka::ERR__ASSIGN_PARTITIONS) {
    if (err != RdKafka::ERR__REVOKE_PARTITIONS) {
      spdlog::error("rebalance error: {}", RdKafka::err2str(err));
    } else {
      spdlog::info("partitions revoked");
    }
    consumer_->unassign();
    return;
  }
  assignments_->Increment();
  std::map<std::string, std::set<int32_t>> by_topic;
  std::set<int32_t> numbers;
  for (const RdKafka::TopicPartition* p : partitions) {
    by_topic[p->topic()].insert(p->partition());
    numbers.insert(p->partition());
  }
  for (const auto& [topic, set] : by_topic) {
    if (set != numbers) {
      fatal_ = absl::FailedPreconditionError(absl::StrCat(
          "the assignment is not co-partitioned (", PartitionList(partitions),
          "): every replica must subscribe to the same topics with "
          "partition.assignment.strategy=range"));
      spdlog::error("{}", fatal_.message());
      consumer_->assign(partitions);
      return;
    }
  }
  const absl::Time start = absl::Now();
  for (int attempt = 1; !stop_->HasBeenNotified(); ++attempt) {
    const absl::Status s = Restore(partitions);
    if (s.ok()) break;
    spdlog::error("restoring the state of partitions [{}] (attempt {}): {}",
                  absl::StrJoin(numbers, ","), attempt, s);
    processor_->DropAll();
    stop_->WaitForNotificationWithTimeout(absl::Seconds(2));
  }
  restore_seconds_->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  assigned_ = numbers;
  assigned_partitions_->Set(static_cast<double>(numbers.size()));
  spdlog::info("assigned {}; state restored in {}", PartitionList(partitions),
               absl::FormatDuration(absl::Now() - start));
  consumer_->assign(partitions);
}

absl::Status Pipeline::Restore(
    std::vector<RdKafka::TopicPartition*>& partitions) {
  // Stable offsets first (read_committed: the broker answers once no
  // transaction that commits offsets for them is pending), so every
  // transaction that committed these offsets has also committed its
  // changelog records.
  if (RdKafka::ErrorCode err = consumer_->committed(
          partitions, Millis(options_.transaction_timeout));
      err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("committed offsets: ", RdKafka::err2str(err)));
  }
  std::set<int32_t> numbers;
  for (const RdKafka::TopicPartition* p : partitions) {
    numbers.insert(p->partition());
  }
  processor_->DropAll();
  if (absl::Status s = ReadChangelog(numbers); !s.ok()) return s;
  for (int32_t p : numbers) processor_->FinishRestore(p);
  return absl::OkStatus();
}

absl::Status Pipeline::ReadChangelog(const std::set<int32_t>& partitions) {
  if (partitions.empty()) return absl::OkStatus();
  kafka::ConfigMap settings = kafka::Merge(
      ConsumerConfig(options_),
      {{"group.id", absl::StrCat(options_.group_id, "-restore")},
       {"client.id", absl::StrCat(options_.transactional_id, "-restore")},
       {"enable.partition.eof", "true"},
       {"enable.auto.commit", "false"},
       {"isolation.level", "read_committed"}});
  settings.erase("statistics.interval.ms");
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      kafka::MakeConf(settings);
  if (!conf.ok()) return conf.status();
  std::string error;
  (*conf)->set("event_cb", kafka::LogEvents(), error);
  std::unique_ptr<RdKafka::KafkaConsumer> reader(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  if (reader == nullptr) return absl::InternalError(error);
  absl::Cleanup close = [&] { reader->close(); };

  const int timeout = Millis(options_.transaction_timeout);
  std::map<int32_t, int64_t> end;  // Partition -> high watermark.
  std::vector<RdKafka::TopicPartition*> assign;
  absl::Cleanup free_assign = [&] { RdKafka::TopicPartition::destroy(assign); };
  for (int32_t p : partitions) {
    int64_t low = 0, high = 0;
    if (RdKafka::ErrorCode err = reader->query_watermark_offsets(
            kafka::kAnalyticsStateTopic, p, &low, &high, timeout);
        err != RdKafka::ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("end of ", kafka::kAnalyticsStateTopic, " [", p,
                       "]: ", RdKafka::err2str(err)));
    }
    if (high > low) end[p] = high;
    assign.push_back(RdKafka::TopicPartition::create(
        kafka::kAnalyticsStateTopic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  if (end.empty()) return absl::OkStatus();  // Nothing written yet.
  if (RdKafka::ErrorCode err = reader->assign(assign);
      err != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("assign the changelog: ", RdKafka::err2str(err)));
  }
  // To the high watermark read before: a transaction still open on the
  // changelog (a crashed replica's) holds read_committed readers back until
  // it is aborted, at the latest after the transaction timeout.
  const absl::Time deadline =
      absl::Now() + 2 * options_.transaction_timeout + absl::Seconds(30);
  int64_t records = 0;
  int unreadable = 0;
  while (!end.empty()) {
    if (stop_->HasBeenNotified()) {
      return absl::CancelledError("stopping");
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("the changelog did not reach its end in time (",
                       end.size(), " partitions left)"));
    }
    std::unique_ptr<RdKafka::Message> m(reader->consume(200));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      if (auto it = end.find(m->partition());
          it != end.end() && m->offset() >= it->second) {
        end.erase(it);
      }
      continue;
    }
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("reading the changelog: {}", m->errstr());
      continue;
    }
    ++records;
    if (m->key() == nullptr || m->payload() == nullptr) continue;
    if (absl::Status s = processor_->Restore(
            m->partition(), *m->key(),
            absl::string_view(static_cast<const char*>(m->payload()),
                              m->len()));
        !s.ok() && ++unreadable <= 10) {
      spdlog::error("skipped: {}", s);
    }
  }
  spdlog::info("read {} changelog records of partitions [{}] ({} unreadable)",
               records, absl::StrJoin(partitions, ","), unreadable);
  return absl::OkStatus();
}

bool Pipeline::Produce(std::vector<Output>& outputs) {
  for (Output& o : outputs) {
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : o.record.headers)
      headers->add(name, value);
    const int32_t partition =
        o.partition >= 0 ? o.partition : RdKafka::Topic::PARTITION_UA;
    while (true) {
      const RdKafka::ErrorCode err = producer_->produce(
          o.record.topic, partition, RdKafka::Producer::RK_MSG_COPY,
          o.record.value.data(), o.record.value.size(), o.record.key.data(),
          o.record.key.size(), 0, headers, nullptr);
      if (err == RdKafka::ERR_NO_ERROR) break;  // librdkafka owns headers.
      if (err != RdKafka::ERR__QUEUE_FULL) {
        delete headers;
        callbacks_->CountProduceError();
        spdlog::error("cannot produce {} bytes to {} [{}] key {}: {}",
                      o.record.value.size(), o.record.topic,
                      o.partition >= 0 ? absl::StrCat(o.partition) : "by key",
                      o.record.key, RdKafka::err2str(err));
        return false;
      }
      producer_->poll(10);
    }
  }
  return true;
}

absl::Status Pipeline::ProcessBatch() {
  const absl::Time start = absl::Now();
  if (RdKafka::Error* e = producer_->begin_transaction()) {
    std::unique_ptr<RdKafka::Error> error(e);
    return absl::InternalError(
        absl::StrCat("begin_transaction: ", error->str()));
  }
  std::vector<Output> outputs;
  std::vector<absl::Time> fetched;
  auto handle = [&](RdKafka::Message& message, auto record) {
    if (absl::Status s = kafka::DecodeRecord(message, record); !s.ok()) {
      processor_->CountMalformed(message.topic_name());
      spdlog::warn("skipped malformed record {} [{}] @{}: {}",
                   message.topic_name(), message.partition(), message.offset(),
                   s);
      return;
    }
    if (absl::Status s =
            processor_->Process(message.partition(), record, &outputs);
        !s.ok()) {
      spdlog::warn("skipped {} record of {} seq {} ({} [{}] @{}): {}",
                   record.GetDescriptor()->name(), record.meta().symbol(),
                   record.meta().seq(), message.topic_name(),
                   message.partition(), message.offset(), s);
      return;
    }
    fetched.push_back(market::FromTimestamp(record.meta().fetched_at()));
  };
  for (const auto& message : batch_) {
    const std::string topic = message->topic_name();
    if (topic == kafka::kHistoricalTopic) {
      handle(*message, v1::DailyHistory());
    } else if (topic == kafka::kIntradayTopic) {
      handle(*message, v1::IntradayBar());
    } else if (topic == kafka::kPricesTopic) {
      handle(*message, v1::Quote());
    } else if (topic == kafka::kInstrumentsTopic) {
      handle(*message, v1::Instrument());
    }
  }
  processor_->FinishBatch(&outputs);

  callbacks_->ResetDeliveries();
  if (!Produce(outputs)) return Abort("an output record could not be produced");
  // Every delivery is known before the offsets are committed: a record the
  // broker rejected must not let its input be committed.
  if (producer_->flush(Millis(options_.transaction_timeout)) !=
      RdKafka::ERR_NO_ERROR) {
    return Abort("outputs not delivered within the transaction timeout");
  }
  if (callbacks_->failed_deliveries() > 0) {
    return Abort(absl::StrCat(callbacks_->failed_deliveries(),
                              " output records were not delivered"));
  }

  // The consumed positions travel inside the transaction.
  std::vector<RdKafka::TopicPartition*> positions;
  consumer_->assignment(positions);
  consumer_->position(positions);
  absl::Cleanup free_positions = [&] {
    RdKafka::TopicPartition::destroy(positions);
  };
  std::vector<RdKafka::TopicPartition*> consumed;
  for (RdKafka::TopicPartition* p : positions) {
    if (p->offset() >= 0) consumed.push_back(p);
  }
  std::unique_ptr<RdKafka::ConsumerGroupMetadata> group(
      consumer_->groupMetadata());
  std::unique_ptr<RdKafka::Error> error = Retrying([&] {
    return producer_->send_offsets_to_transaction(
        consumed, group.get(), Millis(options_.transaction_timeout));
  });
  if (error == nullptr) {
    error = Retrying([&] {
      return producer_->commit_transaction(
          Millis(options_.transaction_timeout));
    });
  }
  if (error != nullptr) {
    if (error->is_fatal()) {
      // Fenced by a newer producer with our id, or a broker-side fatal
      // error: this process must not write anymore.
      return absl::InternalError(
          absl::StrCat("fatal transaction error: ", error->str()));
    }
    return Abort(error->str());
  }
  committed_->Increment();
  aborts_in_a_row_ = 0;
  for (const Output& o : outputs) {
    records_out_->Add({{"topic", o.record.topic}}).Increment();
  }
  const absl::Time now = absl::Now();
  for (absl::Time t : fetched) {
    end_to_end_->Observe(absl::ToDoubleSeconds(now - t));
  }
  batch_seconds_->Observe(absl::ToDoubleSeconds(now - start));
  return absl::OkStatus();
}

absl::Status Pipeline::Abort(const std::string& why) {
  aborted_->Increment();
  ++aborts_in_a_row_;
  spdlog::warn(
      "transaction aborted ({}); its {} input records will be processed "
      "again",
      why, batch_.size());
  batch_.clear();
  if (RdKafka::Error* e =
          producer_->abort_transaction(Millis(options_.transaction_timeout))) {
    return absl::InternalError(
        absl::StrCat("abort_transaction: ", Describe(e)));
  }
  // A record that keeps failing is retried ever more slowly, never skipped.
  const absl::Duration backoff = std::min(
      options_.retry_backoff * (1 << std::min(aborts_in_a_row_ - 1, 6)),
      absl::Seconds(30));
  stop_->WaitForNotificationWithTimeout(backoff);
  // The in-memory state saw the aborted batch: rebuild it, and read again
  // from the committed offsets.
  std::vector<RdKafka::TopicPartition*> partitions;
  consumer_->assignment(partitions);
  absl::Cleanup free_partitions = [&] {
    RdKafka::TopicPartition::destroy(partitions);
  };
  for (int attempt = 1; !stop_->HasBeenNotified(); ++attempt) {
    const absl::Status s = Restore(partitions);
    if (s.ok()) break;
    spdlog::error("restoring the state after an abort (attempt {}): {}",
                  attempt, s);
    processor_->DropAll();
    stop_->WaitForNotificationWithTimeout(absl::Seconds(2));
  }
  for (RdKafka::TopicPartition* p : partitions) {
    if (p->offset() < 0) p->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
    if (RdKafka::ErrorCode err = consumer_->seek(*p, 5000);
        err != RdKafka::ERR_NO_ERROR) {
      // Going on from the current position would skip the aborted batch;
      // a restart reads from the committed offsets.
      return absl::InternalError(absl::StrCat("seek ", p->topic(), " [",
                                              p->partition(),
                                              "] after an "
                                              "abort: ",
                                              RdKafka::err2str(err)));
    }
  }
  return absl::OkStatus();
}

}  // namespace vnstream::analytics
