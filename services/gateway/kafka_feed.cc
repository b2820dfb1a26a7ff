#include "services/gateway/kafka_feed.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/base/logging.h"
#include "libs/kafka/logging.h"
#include "libs/kafka/record.h"
#include "libs/kafka/statistics.h"
#include "libs/kafka/topics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"

namespace vnstream::gateway {

struct KafkaFeed::Target {
  std::map<std::pair<std::string, int32_t>, int64_t> remaining;
};

namespace {

// Every channel's topics (channel.h), and the listing.
std::map<std::string, KafkaFeed::Route> Routes() {
  std::map<std::string, KafkaFeed::Route> routes;
  for (const ChannelDef& def : Channels()) {
    for (size_t i = 0; i < def.topics.size(); ++i) {
      routes[def.topics[i].topic] = {def.id, static_cast<int>(i),
                                     def.topics[i].prototype};
    }
  }
  routes[kafka::kInstrumentsTopic] = {std::nullopt, 0,
                                      &v1::Instrument::default_instance()};
  return routes;
}

}  // namespace

// Consumer lag per topic from librdkafka's statistics JSON.
class KafkaFeed::Stats : public RdKafka::EventCb {
 public:
  explicit Stats(GatewayMetrics* metrics) : metrics_(metrics) {}

  void event_cb(RdKafka::Event& event) override {
    if (event.type() != RdKafka::Event::EVENT_STATS) {
      kafka::LogEvents()->event_cb(event);
      return;
    }
    for (const auto& [topic, lag] : kafka::ConsumerLagByTopic(event.str())) {
      metrics_->kafka_lag->Add({{"topic", topic}}).Set(lag);
    }
  }

 private:
  GatewayMetrics* metrics_;
};

KafkaFeed::KafkaFeed(KafkaFeedOptions options, MarketState& state,
                     GatewayMetrics* metrics)
    : options_(std::move(options)),
      state_(state),
      metrics_(metrics),
      stats_(std::make_unique<Stats>(metrics)),
      routes_(Routes()),
      targets_(std::make_unique<Target>()) {}

KafkaFeed::~KafkaFeed() { Stop(); }

absl::Status KafkaFeed::Start() {
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      kafka::MakeConf(kafka::Merge(
          {{"bootstrap.servers", options_.bootstrap_servers},
           {"client.id", "vnstream-gateway"},
           // Never joins the group: partitions are assigned, nothing committed.
           {"group.id", "vnstream-gateway"},
           {"enable.auto.commit", "false"},
           {"enable.partition.eof", "true"},
           // Analytics writes in transactions: only committed records.
           {"isolation.level", "read_committed"},
           {"statistics.interval.ms", "5000"},
           {"fetch.max.bytes", absl::StrCat(4 * kafka::kMaxMessageBytes)},
           {"max.partition.fetch.bytes",
            absl::StrCat(kafka::kMaxMessageBytes)}},
          options_.overrides));
  if (!conf.ok()) return conf.status();
  std::string error;
  if ((*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(stats_.get()),
                   error) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (consumer_ == nullptr)
    return absl::InternalError(absl::StrCat("kafka consumer: ", error));

  std::vector<RdKafka::TopicPartition*> assignment;
  for (const auto& [name, route] : routes_) {
    const char* topic_name = name.c_str();
    std::unique_ptr<RdKafka::Topic> topic(
        RdKafka::Topic::create(consumer_.get(), topic_name, nullptr, error));
    RdKafka::Metadata* raw = nullptr;
    if (RdKafka::ErrorCode err =
            consumer_->metadata(false, topic.get(), &raw, 10000);
        err != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(assignment);
      return absl::UnavailableError(absl::StrCat("metadata of ", topic_name,
                                                 ": ", RdKafka::err2str(err)));
    }
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (metadata->topics()->empty() ||
        metadata->topics()->front()->err() != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(assignment);
      return absl::UnavailableError(
          absl::StrCat("topic ", topic_name, " does not exist"));
    }
    for (const RdKafka::PartitionMetadata* p :
         *metadata->topics()->front()->partitions()) {
      int64_t low = 0;
      int64_t high = 0;
      if (RdKafka::ErrorCode err = consumer_->query_watermark_offsets(
              topic_name, p->id(), &low, &high, 10000);
          err != RdKafka::ERR_NO_ERROR) {
        RdKafka::TopicPartition::destroy(assignment);
        return absl::UnavailableError(absl::StrCat(
            "watermarks of ", topic_name, ": ", RdKafka::err2str(err)));
      }
      if (high > low) targets_->remaining[{topic_name, p->id()}] = high;
      assignment.push_back(RdKafka::TopicPartition::create(
          topic_name, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  const RdKafka::ErrorCode err = consumer_->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("assign: ", RdKafka::err2str(err)));
  }
  caught_up_ = targets_->remaining.empty();
  spdlog::info(
      "reading {} topics from the beginning; {} partitions to catch up on",
      routes_.size(), targets_->remaining.size());
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void KafkaFeed::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_ != nullptr) {
    consumer_->close();
    consumer_.reset();
  }
}

void KafkaFeed::Loop() {
  int64_t malformed = 0;
  while (!stopping_) {
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(100));
    const RdKafka::ErrorCode err = message->err();
    if (err == RdKafka::ERR__TIMED_OUT) continue;
    const std::string topic = message->topic_name();
    if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__PARTITION_EOF) {
      spdlog::warn("kafka: {} [{}]: {}", topic, message->partition(),
                   message->errstr());
      continue;
    }
    if (!caught_up_) {
      auto it = targets_->remaining.find({topic, message->partition()});
      if (it != targets_->remaining.end() &&
          (err == RdKafka::ERR__PARTITION_EOF ||
           message->offset() + 1 >= it->second)) {
        targets_->remaining.erase(it);
        if (targets_->remaining.empty()) {
          caught_up_ = true;
          spdlog::info("caught up with every topic");
        }
      }
    }
    if (err == RdKafka::ERR__PARTITION_EOF) continue;

    absl::Status status;
    bool applied = false;
    auto route = routes_.find(topic);
    if (route == routes_.end()) continue;  // Not assigned: impossible.
    RecordPtr record(route->second.prototype->New());
    status = kafka::DecodeRecord(*message, *record);
    if (status.ok() && route->second.channel.has_value()) {
      const MarketState::Applied result =
          state_.Apply(*route->second.channel, route->second.source,
                       std::move(record), v1::DELIVERY_KAFKA);
      applied = result.applied;
      // While catching up, compacted topics skip superseded records: only
      // gaps in live data mean loss.
      if (caught_up_ && result.gaps > 0) {
        metrics_->sequence_gaps[Index(*route->second.channel)]->Increment(
            static_cast<double>(result.gaps));
      }
    } else if (status.ok()) {
      applied = state_.ApplyInstrument(
          std::move(static_cast<v1::Instrument&>(*record)));
    }
    const char* result =
        !status.ok() ? "malformed" : (applied ? "applied" : "stale");
    metrics_->kafka_records->Add({{"topic", topic}, {"result", result}})
        .Increment();
    if (!status.ok() && (++malformed <= 10 || malformed % 1000 == 0)) {
      spdlog::warn(
          "kafka: skipped malformed record {} [{}] @{} ({} so far): {}", topic,
          message->partition(), message->offset(), malformed, status);
    }
  }
}

}  // namespace vnstream::gateway
