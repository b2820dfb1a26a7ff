#include "libs/kafka/tail_scan.h"

#include <memory>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/logging.h"

namespace vnstream::kafka {
namespace {

struct Cursor {
  int32_t partition;
  int64_t low;  // First offset still stored.
  int64_t end;  // Exclusive end of the next window.
};

int TimeoutMs(absl::Time deadline) {
  return static_cast<int>(
      std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
}

}  // namespace

absl::Status ScanTopicBackwards(
    const TailScanOptions& options,
    const std::function<void(RdKafka::Message&)>& visit,
    const std::function<bool()>& enough) {
  const absl::Time deadline = absl::Now() + options.timeout;
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      MakeConf(Merge({{"bootstrap.servers", options.bootstrap_servers},
                      // Never joins the group: partitions are assigned by
                      // hand and nothing is committed.
                      {"group.id", "vnstream-tail-scan"},
                      {"enable.auto.commit", "false"},
                      {"enable.partition.eof", "true"},
                      {"isolation.level", "read_committed"}},
                     options.overrides));
  if (!conf.ok()) return conf.status();
  std::string error;
  (*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(LogEvents()), error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), error));
  if (consumer == nullptr) return absl::InternalError(error);
  absl::Cleanup close = [&] { consumer->close(); };

  RdKafka::Metadata* metadata = nullptr;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(consumer.get(), options.topic, nullptr, error));
  if (RdKafka::ErrorCode err = consumer->metadata(false, topic.get(), &metadata,
                                                  TimeoutMs(deadline));
      err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata of ", options.topic,
                                               ": ", RdKafka::err2str(err)));
  }
  std::unique_ptr<RdKafka::Metadata> metadata_owner(metadata);
  if (metadata->topics()->empty() ||
      metadata->topics()->front()->err() != RdKafka::ERR_NO_ERROR) {
    return absl::NotFoundError(
        absl::StrCat("topic ", options.topic, " not found"));
  }
  std::vector<Cursor> cursors;
  for (const RdKafka::PartitionMetadata* p :
       *metadata->topics()->front()->partitions()) {
    int64_t low = 0;
    int64_t high = 0;
    if (RdKafka::ErrorCode err = consumer->query_watermark_offsets(
            options.topic, p->id(), &low, &high, TimeoutMs(deadline));
        err != RdKafka::ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("watermarks of ",
                                                 options.topic, "/", p->id(),
                                                 ": ", RdKafka::err2str(err)));
    }
    if (high > low) cursors.push_back({p->id(), low, high});
  }

  int64_t window = std::max<int64_t>(1, options.initial_window);
  while (!cursors.empty()) {
    // Assign every unfinished partition at the start of its next window.
    std::vector<RdKafka::TopicPartition*> assignment;
    std::vector<int64_t> starts;
    for (const Cursor& c : cursors) {
      const int64_t start = std::max(c.low, c.end - window);
      starts.push_back(start);
      assignment.push_back(
          RdKafka::TopicPartition::create(options.topic, c.partition, start));
    }
    consumer->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    size_t open = cursors.size();
    std::vector<bool> done(cursors.size(), false);
    auto finish = [&](size_t i) {
      if (!done[i]) {
        done[i] = true;
        --open;
      }
    };
    while (open > 0) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("scanning ", options.topic, " took longer than ",
                         absl::FormatDuration(options.timeout)));
      }
      std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
      if (msg->err() == RdKafka::ERR__TIMED_OUT) continue;
      size_t i = 0;
      while (i < cursors.size() && cursors[i].partition != msg->partition())
        ++i;
      if (i == cursors.size() || done[i]) continue;
      if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
        finish(i);
        continue;
      }
      if (msg->err() != RdKafka::ERR_NO_ERROR) {
        return absl::UnavailableError(
            absl::StrCat("reading ", options.topic, ": ", msg->errstr()));
      }
      if (msg->offset() >= cursors[i].end) {
        finish(i);
        continue;
      }
      visit(*msg);
      if (msg->offset() + 1 >= cursors[i].end) finish(i);
    }
    consumer->unassign();
    std::vector<Cursor> remaining;
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (starts[i] > cursors[i].low) {
        remaining.push_back({cursors[i].partition, cursors[i].low, starts[i]});
      }
    }
    cursors = std::move(remaining);
    if (enough()) break;
    window *= 2;
  }
  return absl::OkStatus();
}

}  // namespace vnstream::kafka
