#include "services/store/consumer.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "libs/base/logging.h"
#include "libs/kafka/logging.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"

namespace vnstream::store {
namespace {

constexpr const char* kTopics[] = {
    kafka::kHistoricalTopic, kafka::kIntradayTopic, kafka::kAnalyticsTopic,
    kafka::kInstrumentsTopic};

// How often topics that did not exist at start are looked for again, and
// the lag gauges refreshed.
constexpr absl::Duration kTopicRecheck = absl::Seconds(30);
constexpr absl::Duration kLagInterval = absl::Seconds(5);

}  // namespace

// librdkafka's log lines through spdlog.
class Consumer::Events : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    kafka::LogEvents()->event_cb(event);
  }
};

Consumer::Consumer(ConsumerOptions options, Sink& sink, OffsetSource offsets,
                   Idle idle, prometheus::Registry& registry)
    : options_(std::move(options)),
      sink_(sink),
      offsets_(std::move(offsets)),
      idle_(std::move(idle)),
      events_(std::make_unique<Events>()),
      lag_(prometheus::BuildGauge()
               .Name("vnstream_store_consumer_lag_records")
               .Help("Records in Kafka not yet read by the store, by topic.")
               .Register(registry)),
      expired_(prometheus::BuildCounter()
                   .Name("vnstream_store_records_expired_total")
                   .Help("Records that Kafka deleted (retention) before the "
                         "store read them: lost to the store until a "
                         "backfill.")
                   .Register(registry)
                   .Add({})) {}

Consumer::~Consumer() {
  if (consumer_ != nullptr) consumer_->close();
}

absl::Status Consumer::Assign(
    const std::map<std::pair<std::string, int32_t>, int64_t>& offsets) {
  if (consumer_ == nullptr) {
    absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
        kafka::MakeConf(kafka::Merge(
            {{"bootstrap.servers", options_.bootstrap_servers},
             {"client.id", "vnstream-store"},
             // Required by librdkafka; never joined (partitions are
             // assigned) and nothing is committed to Kafka.
             {"group.id", "vnstream-store"},
             {"enable.auto.commit", "false"},
             {"enable.auto.offset.store", "false"},
             {"auto.offset.reset", "earliest"},
             // Analytics writes in transactions: only committed records.
             {"isolation.level", "read_committed"},
             {"fetch.max.bytes", absl::StrCat(4 * kafka::kMaxMessageBytes)},
             {"max.partition.fetch.bytes",
              absl::StrCat(kafka::kMaxMessageBytes)}},
            options_.overrides));
    if (!conf.ok()) return conf.status();
    std::string error;
    (*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(events_.get()),
                 error);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
    if (consumer_ == nullptr) {
      return absl::InternalError(absl::StrCat("kafka consumer: ", error));
    }
  }
  std::vector<RdKafka::TopicPartition*> assignment;
  absl::Cleanup free_assignment = [&] {
    RdKafka::TopicPartition::destroy(assignment);
  };
  std::vector<std::pair<std::string, int32_t>> added;
  for (const char* topic_name : kTopics) {
    const bool known =
        std::any_of(assigned_.begin(), assigned_.end(),
                    [&](const auto& tp) { return tp.first == topic_name; });
    if (known) continue;
    std::string error;
    std::unique_ptr<RdKafka::Topic> topic(
        RdKafka::Topic::create(consumer_.get(), topic_name, nullptr, error));
    RdKafka::Metadata* raw = nullptr;
    if (RdKafka::ErrorCode err =
            consumer_->metadata(false, topic.get(), &raw, 10000);
        err != RdKafka::ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("metadata of ", topic_name,
                                                 ": ", RdKafka::err2str(err)));
    }
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (metadata->topics()->empty() ||
        metadata->topics()->front()->err() != RdKafka::ERR_NO_ERROR ||
        metadata->topics()->front()->partitions()->empty()) {
      spdlog::warn("topic {} does not exist (yet); looking again every {}",
                   topic_name, absl::FormatDuration(kTopicRecheck));
      continue;
    }
    for (const RdKafka::PartitionMetadata* p :
         *metadata->topics()->front()->partitions()) {
      int64_t offset = RdKafka::Topic::OFFSET_BEGINNING;
      if (auto it = offsets.find({topic_name, p->id()}); it != offsets.end()) {
        offset = it->second;
        int64_t low = 0;
        int64_t high = 0;
        if (consumer_->query_watermark_offsets(topic_name, p->id(), &low, &high,
                                               10000) ==
                RdKafka::ERR_NO_ERROR &&
            offset < low) {
          expired_.Increment(static_cast<double>(low - offset));
          spdlog::error(
              "{} [{}]: records {}..{} expired in Kafka before the store read "
              "them; continuing at {} (run a backfill to refill the gap)",
              topic_name, p->id(), offset, low - 1, low);
          offset = low;
        }
      }
      assignment.push_back(
          RdKafka::TopicPartition::create(topic_name, p->id(), offset));
      added.emplace_back(topic_name, p->id());
    }
  }
  if (assignment.empty()) return absl::OkStatus();
  RdKafka::Error* error = consumer_->incremental_assign(assignment);
  if (error != nullptr) {
    std::unique_ptr<RdKafka::Error> owned(error);
    return absl::UnavailableError(absl::StrCat("assign: ", owned->str()));
  }
  for (auto& tp : added) {
    auto it = offsets.find(tp);
    spdlog::info("reading {} [{}] from {}", tp.first, tp.second,
                 it == offsets.end() ? std::string("the beginning")
                                     : absl::StrCat("offset ", it->second));
    assigned_.push_back(std::move(tp));
  }
  return absl::OkStatus();
}

void Consumer::Dispatch(RdKafka::Message& message) {
  const Position position{message.topic_name(), message.partition(),
                          message.offset()};
  const std::string& topic = position.topic;
  absl::Status status;
  if (topic == kafka::kHistoricalTopic) {
    v1::DailyHistory record;
    status = kafka::DecodeRecord(message, record);
    if (status.ok()) sink_.Add(position, record);
  } else if (topic == kafka::kIntradayTopic) {
    v1::IntradayBar record;
    status = kafka::DecodeRecord(message, record);
    if (status.ok()) sink_.Add(position, record);
  } else if (topic == kafka::kAnalyticsTopic) {
    v1::EnrichedHistory record;
    status = kafka::DecodeRecord(message, record);
    if (status.ok()) sink_.Add(position, record);
  } else {
    v1::Instrument record;
    status = kafka::DecodeRecord(message, record);
    if (status.ok()) sink_.Add(position, record);
  }
  if (!status.ok()) sink_.AddMalformed(position, status);
}

void Consumer::FlushWithRetry(const absl::Notification& stop) {
  absl::Duration backoff = options_.retry_backoff;
  int failures = 0;
  while (true) {
    const absl::Status status = sink_.Flush();
    if (status.ok()) {
      if (failures > 0) {
        spdlog::info("batch written after {} failed attempts", failures);
      }
      return;
    }
    ++failures;
    if (failures == 1 || failures % 20 == 0) {
      spdlog::warn(
          "writing a batch of {} records failed ({} attempts so far), "
          "retrying; consumption is paused: {}",
          sink_.pending_records(), failures, status);
    }
    if (stop.WaitForNotificationWithTimeout(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_retry_backoff);
  }
}

void Consumer::UpdateLag() {
  std::vector<RdKafka::TopicPartition*> partitions;
  absl::Cleanup free_partitions = [&] {
    RdKafka::TopicPartition::destroy(partitions);
  };
  for (const auto& [topic, partition] : assigned_) {
    partitions.push_back(RdKafka::TopicPartition::create(topic, partition));
  }
  if (consumer_->position(partitions) != RdKafka::ERR_NO_ERROR) return;
  std::map<std::string, double> lag;
  for (RdKafka::TopicPartition* p : partitions) {
    int64_t low = 0;
    int64_t high = 0;
    double& topic_lag = lag[p->topic()];
    if (consumer_->get_watermark_offsets(p->topic(), p->partition(), &low,
                                         &high) != RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    const int64_t position = p->offset() >= 0 ? p->offset() : low;
    topic_lag += static_cast<double>(std::max<int64_t>(0, high - position));
  }
  for (const auto& [topic, value] : lag) {
    lag_.Add({{"topic", topic}}).Set(value);
  }
}

absl::Status Consumer::Run(const absl::Notification& stop) {
  absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> offsets;
  while (!stop.HasBeenNotified()) {
    offsets = offsets_();
    if (offsets.ok()) break;
    spdlog::warn("reading stored offsets failed, retrying in 2s: {}",
                 offsets.status());
    stop.WaitForNotificationWithTimeout(absl::Seconds(2));
  }
  while (!stop.HasBeenNotified()) {
    const absl::Status status = Assign(*offsets);
    if (status.ok() && !assigned_.empty()) break;
    spdlog::warn("Kafka not ready, retrying in 2s: {}",
                 status.ok() ? absl::UnavailableError("no topics") : status);
    stop.WaitForNotificationWithTimeout(absl::Seconds(2));
  }
  if (stop.HasBeenNotified()) return absl::OkStatus();
  spdlog::info("consuming {} partitions", assigned_.size());

  absl::Time batch_deadline = absl::InfiniteFuture();
  absl::Time next_lag = absl::Now();
  absl::Time next_recheck = absl::Now() + kTopicRecheck;
  while (!stop.HasBeenNotified()) {
    const absl::Time now = absl::Now();
    const absl::Duration wait = std::clamp(
        batch_deadline - now, absl::ZeroDuration(), absl::Milliseconds(100));
    std::unique_ptr<RdKafka::Message> message(
        consumer_->consume(static_cast<int>(absl::ToInt64Milliseconds(wait))));
    if (message->err() == RdKafka::ERR_NO_ERROR) {
      if (sink_.pending_records() == 0) {
        batch_deadline = absl::Now() + options_.batch_wait;
      }
      Dispatch(*message);
    } else if (message->err() != RdKafka::ERR__TIMED_OUT &&
               message->err() != RdKafka::ERR__PARTITION_EOF) {
      spdlog::warn("kafka: {} [{}]: {}", message->topic_name(),
                   message->partition(), message->errstr());
    }
    if (sink_.pending_records() > 0 &&
        (sink_.Full() || absl::Now() >= batch_deadline)) {
      FlushWithRetry(stop);
      batch_deadline = absl::InfiniteFuture();
    }
    if (sink_.pending_records() == 0) idle_();
    if (absl::Now() >= next_lag) {
      UpdateLag();
      next_lag = absl::Now() + kLagInterval;
    }
    if (absl::Now() >= next_recheck) {
      if (absl::Status s = Assign(*offsets); !s.ok()) {
        spdlog::warn("looking for new topics: {}", s);
      }
      next_recheck = absl::Now() + kTopicRecheck;
    }
  }
  // Shutting down: one last attempt for what is pending (what is not
  // written is read again after the restart).
  if (sink_.pending_records() > 0) {
    if (absl::Status s = sink_.Flush(); !s.ok()) {
      spdlog::warn(
          "shutdown: {} records not written (read again at the next "
          "start): {}",
          sink_.pending_records(), s);
    }
  }
  return absl::OkStatus();
}

}  // namespace vnstream::store
