// Subscriber: the outgoing side of one stream (a server stream of one
// channel, or a MarketDataStream carrying several). It owns the stream's
// queue and its flow-control policy, independent of gRPC (the reactor
// implements StreamWriter), so it is unit-tested with a fake writer.
//
// Policy:
//  * one write in flight; the next starts when the previous completed;
//  * Offer() never blocks (the Kafka thread calls it);
//  * an event with a conflation key (quotes, bars, breadth totals,
//    heartbeats) replaces a pending event with the same key, as long as that
//    one is the newest pending event of its symbol and channel (so a
//    symbol's events always leave in seq order); the replacing event then
//    reports how many versions it replaced in MarketEvent.conflated, and a
//    client tells conflation from loss;
//  * events without a key (history updates, signals, statuses) are never
//    dropped silently: when more than `max_queued` live events are pending,
//    or the queue holds more than `max_queued_bytes` (serialized size of
//    everything queued: snapshot, live events and replies), the queue is
//    discarded, a SLOW_CONSUMER status is sent and the stream ends with
//    RESOURCE_EXHAUSTED so the client resumes from its last seq (for the
//    bytes, the status names the quota stream_bytes: the writer's
//    OverByteBudget);
//  * a client that stops reading altogether is a slow consumer too, even
//    when conflation keeps its queue small (a quote stream never reaches
//    max_queued): when a write has been in flight for `stall_timeout` while
//    events are pending, the queue is discarded and the stream ends the
//    same way, the message saying "stream not drained for <stall_timeout>";
//  * a stream that is ending (any of the above, shutdown, revoked key)
//    whose write is still in flight `stall_timeout` later is cancelled
//    (StreamWriter::Cancel), with the status it was to end with: its client
//    does not read, so the write, the SLOW_CONSUMER status and the final
//    status behind it would never leave, and the call, its queue and its
//    subscriptions would stay until the connection closes. The grace lets a
//    client that only paused read SLOW_CONSUMER and the status in order;
//  * during a snapshot (BeginSnapshot..EndSnapshot), live events are held
//    back (conflated likewise) and released after SnapshotEnd: snapshot
//    first, then live, always.
//
// Thread-safety: every method may be called from any thread.
#ifndef VNSTREAM_SERVICES_GATEWAY_SUBSCRIBER_H_
#define VNSTREAM_SERVICES_GATEWAY_SUBSCRIBER_H_

#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/channel.h"
#include "services/gateway/metrics.h"

namespace vnstream::gateway {

// An event as the streams it is offered to send it, prepared once for all
// of them (a quote reaches every stream subscribed to its symbol): its
// conflation key, the unit its seqs are ordered in and its serialized bytes.
// Immutable once made (Prepare): shared by every queue holding it.
struct Outgoing {
  EventPtr event;
  std::string key;    // Non-empty: conflatable.
  std::string owner;  // "channel/symbol" of a data event, else empty.
  std::string wire;   // `event`, serialized.
};
using OutgoingPtr = std::shared_ptr<const Outgoing>;
OutgoingPtr Prepare(EventPtr event, std::string key = "");

// Implemented by the gRPC reactor. Write and Finish are called without the
// subscriber's lock.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Starts writing the message `wire` followed by `suffix`: the bytes of a
  // MarketEvent (`suffix` is empty or sets MarketEvent.conflated). Both are
  // valid only during the call (the writer copies them); the writer must
  // call Subscriber::OnWriteDone once.
  virtual void Write(absl::string_view wire, absl::string_view suffix) = 0;
  // Ends the stream. Called once, with no write in flight.
  virtual void Finish(const absl::Status& status) = 0;
  // The status that ends the stream when its queue went over
  // max_queued_bytes (`detail` says by how much): RESOURCE_EXHAUSTED naming
  // the quota stream_bytes. Called with the subscriber's lock held: must not
  // call the Subscriber.
  virtual absl::Status OverByteBudget(const std::string& detail) = 0;
  // Aborts the call, which ends with `status` on the client, because the
  // write in flight is not completing (the client does not read). The
  // writer then gets OnWriteDone(false); Finish is still called. Called
  // without the subscriber's lock, only while a write is in flight, and
  // never concurrently with Finish (the subscriber holds Finish back until
  // Cancel returned), so the call is alive throughout.
  virtual void Cancel(const absl::Status& status) = 0;
};

struct SubscriberOptions {
  // Live events pending before the client counts as a slow consumer.
  size_t max_queued = 4096;
  // Serialized bytes pending (snapshot included) before the stream is
  // ended: what a client that never reads can make the gateway hold.
  size_t max_queued_bytes = 16 << 20;
  // A heartbeat is sent when nothing was written for this long.
  absl::Duration heartbeat_interval = absl::Seconds(15);
  // A write in flight this long while events are pending: the client
  // stopped reading, the stream is a slow consumer; a write still in flight
  // this long after the stream was ended: the call is cancelled. Checked by
  // MaybeHeartbeat, so acted on within its period (1 s in the gateway).
  // Zero = never (a client that does not read keeps its stream open).
  absl::Duration stall_timeout = absl::Seconds(30);
  // A stream with nothing queued and no write in flight, whose last write
  // started this long ago, frees its queue's storage (a deque block and
  // hash tables: most of what an idle stream holds beyond gRPC's call);
  // the next event allocates it again. Checked by MaybeHeartbeat. Not done
  // at every drain: a busy stream drains after nearly every write and
  // would free and regrow it each time.
  absl::Duration release_queue_after = absl::Seconds(1);
};

class Subscriber {
 public:
  // `kind`: the stream's channel index for stream-level metrics, or
  // kAnyChannel.
  Subscriber(int kind, SubscriberOptions options, StreamWriter* writer,
             GatewayMetrics* metrics);

  // Queues a live event. `key` empty = never conflated.
  void Offer(EventPtr event, std::string key = "") {
    Offer(Prepare(std::move(event), std::move(key)));
  }
  // Queues a live event prepared once for all its subscribers.
  void Offer(OutgoingPtr event);
  // Holds live events back until EndSnapshot (no-op while in a snapshot).
  void BeginSnapshot();
  // Queues a snapshot event: sent in order, never conflated, not counted
  // against max_queued (the snapshot is bounded by the request) but
  // against max_queued_bytes.
  void OfferSnapshot(EventPtr event);
  // Queues `end` (a SnapshotEnd) and releases the live events held meanwhile.
  void EndSnapshot(EventPtr end);
  // Queues a reply to a client request (ActionResult, Pong, ...): sent
  // after what is queued, never conflated, not held by a snapshot.
  void Reply(EventPtr event);

  // Called by the writer when a Write completed; !ok = the client is gone.
  void OnWriteDone(bool ok);

  // Ends the stream now, discarding what is queued (shutdown, errors).
  void FinishNow(const absl::Status& status);
  // The writer is going away: never call it again.
  void Detach();

  // The periodic check: queues a heartbeat when the stream has been idle
  // for the interval; ends or cancels a stalled stream (stall_timeout);
  // frees a quiet stream's queue storage (release_queue_after).
  void MaybeHeartbeat(absl::Time now);
  // Changes the heartbeat period (MarketDataStream: the newest request's).
  void SetHeartbeatInterval(absl::Duration interval);

  bool finished();
  // Whether the stream holds queue storage (tests: release_queue_after).
  bool HoldsQueueForTesting();

 private:
  struct Slot {
    OutgoingPtr event;
    bool counted = false;  // Counts against max_queued (live data).
    uint32_t conflated = 0;
  };
  struct Queue {
    std::deque<Slot> slots;
    // Pending conflatable slots by key; and, for each channel/symbol with a
    // conflatable slot pending, its newest pending data slot (a keyed slot
    // is replaced only while it is that one; a symbol with none pending,
    // such as a snapshot's, needs no entry: a stream that only had its
    // snapshot never fills this table). deque elements do not move on
    // push_back / pop_front, so the pointers stay valid.
    absl::flat_hash_map<std::string, Slot*> keyed;
    absl::flat_hash_map<std::string, Slot*> newest;
  };

  // Adds to `queue`, conflating by key, and counts its bytes (a slot moved
  // from held_ was counted already). Returns false if it was conflated.
  bool Enqueue(Queue& queue, Slot slot, bool moved = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // queue_, allocated if released.
  Queue& Pending() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool QueueEmpty() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_ == nullptr || queue_->slots.empty();
  }
  void AddBytes(int64_t delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the stream as a slow consumer when the queue is over the bytes.
  void CheckBytes() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Discards the queue, sends SLOW_CONSUMER and ends with `status`.
  void SlowConsumer(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets the status the stream ends with (the first one wins).
  void SetFinish(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stall_timeout part of MaybeHeartbeat. Returns true when the call is
  // to be cancelled (by the caller, without mu_; cancelling_ is set).
  bool CheckStall(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Discard() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Closing() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return finished_ || finish_ != nullptr;
  }
  // Starts the next write or the finish, if due; releases mu_ first.
  void Pump() ABSL_UNLOCK_FUNCTION(mu_);

  const int kind_;
  GatewayMetrics* const metrics_;

  absl::Mutex mu_;
  SubscriberOptions options_ ABSL_GUARDED_BY(mu_);
  StreamWriter* writer_ ABSL_GUARDED_BY(mu_);
  // What is to be written. Null (no storage held) until the first event,
  // and again after Discard or a quiet spell (release_queue_after).
  std::unique_ptr<Queue> queue_ ABSL_GUARDED_BY(mu_);
  size_t live_pending_ ABSL_GUARDED_BY(mu_) = 0;
  // Serialized bytes of queue_ and held_.
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool in_snapshot_ ABSL_GUARDED_BY(mu_) = false;
  // Live events during a snapshot (while in_snapshot_), else null: most of
  // a stream's life, and an empty deque still holds a 512-byte block.
  std::unique_ptr<Queue> held_ ABSL_GUARDED_BY(mu_);
  // The event being written (its conflated count: in the write's suffix).
  OutgoingPtr in_flight_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<absl::Status> finish_ ABSL_GUARDED_BY(mu_);
  // When finish_ was set: the cancel's grace runs from there.
  absl::Time finish_since_ ABSL_GUARDED_BY(mu_);
  // StreamWriter::Cancel is running (Finish waits for it) or has run.
  bool cancelling_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // When the last write started: while in_flight_, how long it has been.
  absl::Time last_write_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_SUBSCRIBER_H_
