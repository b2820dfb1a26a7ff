#include "libs/kafka/admin.h"

#include <algorithm>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "librdkafka/rdkafka.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/kafka/client_config.h"

namespace vnstream::kafka {
namespace {

int ToMillis(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

absl::StatusOr<Handle> NewAdminHandle(const std::string& bootstrap_servers,
                                      const ConfigMap& config) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] :
       Merge(config, {{"bootstrap.servers", bootstrap_servers}})) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error,
                          sizeof(error)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      // The error names the key, never the value (it may be a password).
      return absl::InvalidArgumentError(error);
    }
  }
  // Quiet: callers poll a broker that may not be up yet and report errors
  // themselves.
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof(error));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("rd_kafka_new: ", error));
  }
  return Handle(rk);
}

}  // namespace

absl::Status CreateTopics(const std::string& bootstrap_servers,
                          const std::vector<TopicSpec>& topics,
                          absl::Duration timeout, const ConfigMap& config) {
  absl::StatusOr<Handle> rk = NewAdminHandle(bootstrap_servers, config);
  if (!rk.ok()) return rk.status();
  char error[512];
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  absl::Cleanup free_topics = [&] {
    for (rd_kafka_NewTopic_t* t : new_topics) rd_kafka_NewTopic_destroy(t);
  };
  for (const TopicSpec& spec : topics) {
    rd_kafka_NewTopic_t* t =
        rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                              spec.replication_factor, error, sizeof(error));
    if (t == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("topic ", spec.name, ": ", error));
    }
    new_topics.push_back(t);
    for (const auto& [key, value] : spec.configs) {
      if (rd_kafka_resp_err_t err =
              rd_kafka_NewTopic_set_config(t, key.c_str(), value.c_str());
          err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::InvalidArgumentError(absl::StrCat(
            "topic ", spec.name, " config ", key, ": ", rd_kafka_err2str(err)));
      }
    }
  }
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  absl::Cleanup free_options = [&] { rd_kafka_AdminOptions_destroy(options); };
  rd_kafka_AdminOptions_set_request_timeout(options, ToMillis(timeout), error,
                                            sizeof(error));
  rd_kafka_AdminOptions_set_operation_timeout(options, ToMillis(timeout), error,
                                              sizeof(error));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk->get());
  absl::Cleanup free_queue = [&] { rd_kafka_queue_destroy(queue); };
  rd_kafka_CreateTopics(rk->get(), new_topics.data(), new_topics.size(),
                        options, queue);
  rd_kafka_event_t* event =
      rd_kafka_queue_poll(queue, ToMillis(timeout + absl::Seconds(1)));
  if (event == nullptr) {
    return absl::DeadlineExceededError("CreateTopics: no answer in time");
  }
  absl::Cleanup free_event = [&] { rd_kafka_event_destroy(event); };
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("CreateTopics: ", rd_kafka_event_error_string(event)));
  }
  const rd_kafka_CreateTopics_result_t* result =
      rd_kafka_event_CreateTopics_result(event);
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
        err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      return absl::UnavailableError(
          absl::StrCat("CreateTopics ", rd_kafka_topic_result_name(results[i]),
                       ": ", msg != nullptr ? msg : rd_kafka_err2str(err)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PartitionCount(const std::string& bootstrap_servers,
                                   const std::string& topic,
                                   absl::Duration timeout,
                                   const ConfigMap& config) {
  absl::StatusOr<Handle> rk = NewAdminHandle(bootstrap_servers, config);
  if (!rk.ok()) return rk.status();
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk->get(), topic.c_str(), nullptr);
  absl::Cleanup free_topic = [&] { rd_kafka_topic_destroy(rkt); };
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_resp_err_t err =
          rd_kafka_metadata(rk->get(), 0, rkt, &metadata, ToMillis(timeout));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("metadata ", topic, ": ", rd_kafka_err2str(err)));
  }
  absl::Cleanup free_metadata = [&] { rd_kafka_metadata_destroy(metadata); };
  if (metadata->topic_cnt != 1 || metadata->topics[0].err != 0) {
    return absl::NotFoundError(absl::StrCat("topic ", topic, " not found"));
  }
  return metadata->topics[0].partition_cnt;
}

namespace {

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const {
    rd_kafka_metadata_destroy(m);
  }
};
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

// Metadata of all topics from any reachable broker of the list.
absl::StatusOr<Metadata> AllMetadata(const std::string& bootstrap_servers,
                                     absl::Duration timeout) {
  absl::StatusOr<Handle> rk = NewAdminHandle(bootstrap_servers, {});
  if (!rk.ok()) return rk.status();
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_resp_err_t err = rd_kafka_metadata(rk->get(), 1, nullptr,
                                                  &metadata, ToMillis(timeout));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("metadata: ", rd_kafka_err2str(err)));
  }
  return Metadata(metadata);
}

}  // namespace

absl::StatusOr<std::vector<PartitionReplicas>> DescribePartitions(
    const std::string& bootstrap_servers, absl::Duration timeout) {
  absl::StatusOr<Metadata> metadata = AllMetadata(bootstrap_servers, timeout);
  if (!metadata.ok()) return metadata.status();
  std::vector<PartitionReplicas> out;
  for (int t = 0; t < (*metadata)->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = (*metadata)->topics[t];
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& partition = topic.partitions[p];
      out.push_back(
          {.topic = topic.topic,
           .partition = partition.id,
           .leader = partition.leader,
           .replicas = std::vector<int>(
               partition.replicas, partition.replicas + partition.replica_cnt),
           .in_sync = std::vector<int>(partition.isrs,
                                       partition.isrs + partition.isr_cnt)});
    }
  }
  return out;
}

absl::StatusOr<int> PartitionLeader(const std::string& bootstrap_servers,
                                    const std::string& topic, int partition,
                                    absl::Duration timeout) {
  absl::StatusOr<std::vector<PartitionReplicas>> partitions =
      DescribePartitions(bootstrap_servers, timeout);
  if (!partitions.ok()) return partitions.status();
  for (const PartitionReplicas& p : *partitions) {
    if (p.topic != topic || p.partition != partition) continue;
    if (p.leader < 0) {
      return absl::UnavailableError(
          absl::StrCat(topic, "/", partition, " has no leader"));
    }
    return p.leader;
  }
  return absl::NotFoundError(
      absl::StrCat("no partition ", topic, "/", partition));
}

absl::StatusOr<std::vector<int>> BrokerIds(const std::string& bootstrap_servers,
                                           absl::Duration timeout) {
  absl::StatusOr<Metadata> metadata = AllMetadata(bootstrap_servers, timeout);
  if (!metadata.ok()) return metadata.status();
  std::vector<int> ids;
  for (int b = 0; b < (*metadata)->broker_cnt; ++b) {
    ids.push_back((*metadata)->brokers[b].id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status ProduceConsumeRoundTrip(const std::string& bootstrap_servers,
                                     const std::string& topic,
                                     absl::Duration timeout,
                                     const ConfigMap& config) {
  const std::string payload =
      absl::StrCat("probe-", absl::ToUnixNanos(absl::Now()));
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> producer_conf =
      MakeConf(Merge(config, {{"bootstrap.servers", bootstrap_servers},
                              {"enable.idempotence", "true"},
                              {"acks", "all"},
                              {"log_level", "0"}}));
  if (!producer_conf.ok()) return producer_conf.status();
  std::string error;
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(producer_conf->get(), error));
  if (!producer) return absl::InternalError(error);
  if (RdKafka::ErrorCode err =
          producer->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY,
                            const_cast<char*>(payload.data()), payload.size(),
                            "probe", 5, 0, nullptr);
      err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("produce: ", RdKafka::err2str(err)));
  }
  if (RdKafka::ErrorCode err = producer->flush(ToMillis(timeout));
      err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("flush: ", RdKafka::err2str(err)));
  }

  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> consumer_conf =
      MakeConf(Merge(config, {{"bootstrap.servers", bootstrap_servers},
                              {"group.id", "vnstream-probe"},
                              {"enable.auto.commit", "false"},
                              {"log_level", "0"}}));
  if (!consumer_conf.ok()) return consumer_conf.status();
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(consumer_conf->get(), error));
  if (!consumer) return absl::InternalError(error);
  absl::Cleanup close_consumer = [&] { consumer->close(); };
  std::vector<RdKafka::TopicPartition*> partitions = {
      RdKafka::TopicPartition::create(topic, 0,
                                      RdKafka::Topic::OFFSET_BEGINNING)};
  consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (msg->err() == RdKafka::ERR_NO_ERROR &&
        absl::string_view(static_cast<const char*>(msg->payload()),
                          msg->len()) == payload) {
      return absl::OkStatus();
    }
  }
  return absl::DeadlineExceededError(
      absl::StrCat("probe record not consumed back from ", topic));
}

}  // namespace vnstream::kafka
