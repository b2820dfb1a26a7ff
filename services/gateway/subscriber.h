// Subscriber: the outgoing side of one subscription stream. It owns the
// stream's queue and its flow-control policy, independent of gRPC (the
// reactor implements StreamWriter), so it is unit-tested with a fake
// writer.
//
// Policy:
//  * one write in flight; the next starts when the previous completed;
//  * Offer() never blocks (the Kafka thread calls it);
//  * events with a conflation key (quotes, in-progress bars, heartbeats)
//    replace a pending event with the same key: a slow client gets the
//    latest value, not a backlog;
//  * events without a key (final bars, history updates, statuses) are never
//    dropped silently: when more than `max_queued` live events are pending,
//    the queue is discarded, a SLOW_CONSUMER status is sent and the stream
//    ends with RESOURCE_EXHAUSTED so the client resumes from its last seq;
//  * during the snapshot, live events are held back (conflated likewise)
//    and released after SnapshotEnd: snapshot first, then live, always.
//
// Thread-safety: every method may be called from any thread.
#ifndef VNSTREAM_SERVICES_GATEWAY_SUBSCRIBER_H_
#define VNSTREAM_SERVICES_GATEWAY_SUBSCRIBER_H_

#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/metrics.h"
#include "vnstream/v1/market_data_service.pb.h"

namespace vnstream::gateway {

using EventPtr = std::shared_ptr<const v1::MarketEvent>;

// Implemented by the gRPC reactor. Called without the subscriber's lock.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Starts writing `event` (kept alive by the subscriber until
  // OnWriteDone); the writer must call Subscriber::OnWriteDone once.
  virtual void Write(const v1::MarketEvent* event) = 0;
  // Ends the stream. Called once, with no write in flight.
  virtual void Finish(const absl::Status& status) = 0;
};

struct SubscriberOptions {
  // Live events pending before the client counts as a slow consumer.
  size_t max_queued = 4096;
  // A heartbeat is sent when nothing was written for this long.
  absl::Duration heartbeat_interval = absl::Seconds(15);
};

class Subscriber {
 public:
  Subscriber(Channel channel, SubscriberOptions options, StreamWriter* writer,
             GatewayMetrics* metrics);

  Channel channel() const { return channel_; }

  // Queues a live event. `key` empty = never conflated.
  void Offer(EventPtr event, const std::string& key = "");
  // Queues a snapshot event: sent in order, never conflated, not counted
  // against max_queued (the snapshot is bounded by the request).
  void OfferSnapshot(EventPtr event);
  // Sends SnapshotEnd and releases the live events held meanwhile.
  void EndSnapshot();

  // Called by the writer when a Write completed; !ok = the client is gone.
  void OnWriteDone(bool ok);

  // Ends the stream after what is queued now has been written.
  void FinishAfterQueued(const absl::Status& status);
  // Ends the stream now, discarding what is queued (shutdown).
  void FinishNow(const absl::Status& status);
  // The writer is going away: never call it again.
  void Detach();

  // Queues a heartbeat when the stream has been idle for the interval.
  void MaybeHeartbeat(absl::Time now);

  bool finished();

 private:
  struct Slot {
    EventPtr event;
    std::string key;       // Non-empty: in `keyed` while pending.
    bool counted = false;  // Counts against max_queued (live data).
  };
  struct Queue {
    std::deque<Slot> slots;
    // Pending conflatable slots by key; deque elements do not move on
    // push_back/pop_front, so the pointers stay valid.
    absl::flat_hash_map<std::string, Slot*> keyed;
  };

  // Adds to `queue`, conflating by key. Returns false if it was conflated.
  static bool Enqueue(Queue& queue, EventPtr event, const std::string& key,
                      bool counted);
  void SlowConsumer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the next write or the finish, if due; releases mu_ first.
  void Pump() ABSL_UNLOCK_FUNCTION(mu_);

  const Channel channel_;
  const SubscriberOptions options_;
  GatewayMetrics* const metrics_;

  absl::Mutex mu_;
  StreamWriter* writer_ ABSL_GUARDED_BY(mu_);
  Queue queue_ ABSL_GUARDED_BY(mu_);
  size_t live_pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool in_snapshot_ ABSL_GUARDED_BY(mu_) = true;
  Queue held_ ABSL_GUARDED_BY(mu_);  // Live events during the snapshot.
  EventPtr in_flight_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<absl::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_write_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

// The event's record metadata (quote, bar or history), or null.
const v1::RecordMeta* EventMeta(const v1::MarketEvent& event);

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_SUBSCRIBER_H_
