#include "services/gateway/subscriber.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "libs/market/calendar.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace vnstream::gateway {
namespace {

constexpr char kHeartbeatKey[] = "heartbeat";

EventPtr HeartbeatEvent(absl::Time now) {
  auto event = std::make_shared<v1::MarketEvent>();
  *event->mutable_heartbeat()->mutable_server_time() = market::ToTimestamp(now);
  return event;
}

EventPtr SlowConsumerEvent() {
  auto event = std::make_shared<v1::MarketEvent>();
  v1::SymbolStatus* status = event->mutable_status();
  status->set_state(v1::SYMBOL_STATE_SLOW_CONSUMER);
  status->set_message(
      "the client did not read fast enough; resume with since_seq from the "
      "last sequence numbers received");
  return event;
}

// "channel/symbol" of a data event: the unit within which seqs are ordered.
std::string Owner(const v1::MarketEvent& event) {
  const v1::RecordMeta* meta = EventMeta(event);
  return meta == nullptr ? std::string()
                         : absl::StrCat(static_cast<int>(event.channel()), "/",
                                        meta->symbol());
}

// MarketEvent.conflated = `conflated` as a suffix to an event's bytes (tag
// and varint): at most kMaxSuffix bytes, written to `out`; returns the size.
constexpr size_t kMaxSuffix = 6;
size_t ConflatedSuffix(uint32_t conflated, uint8_t* out) {
  using google::protobuf::io::CodedOutputStream;
  uint8_t* end = CodedOutputStream::WriteVarint32ToArray(
      v1::MarketEvent::kConflatedFieldNumber << 3, out);  // Wire type varint.
  end = CodedOutputStream::WriteVarint32ToArray(conflated, end);
  return static_cast<size_t>(end - out);
}

// Whether `event`'s bytes followed by ConflatedSuffix(n) are exactly the
// bytes of the event with conflated = n: protobuf writes fields in field
// number order, so they are when the event does not set conflated itself
// and no field numbered after it (the replies' payloads, 15..17). Every
// conflatable event (a quote, bar, breadth total or heartbeat) is such.
bool AppendsConflated(const v1::MarketEvent& event) {
  return event.conflated() == 0 && static_cast<int>(event.payload_case()) <
                                       v1::MarketEvent::kConflatedFieldNumber;
}

}  // namespace

OutgoingPtr Prepare(EventPtr event, std::string key) {
  auto out = std::make_shared<Outgoing>();
  out->owner = Owner(*event);
  event->SerializeToString(&out->wire);
  out->event = std::move(event);
  out->key = std::move(key);
  return out;
}

Subscriber::Subscriber(int kind, SubscriberOptions options,
                       StreamWriter* writer, GatewayMetrics* metrics)
    : kind_(kind), metrics_(metrics), options_(options), writer_(writer) {}

Subscriber::Queue& Subscriber::Pending() {
  if (queue_ == nullptr) queue_ = std::make_unique<Queue>();
  return *queue_;
}

void Subscriber::AddBytes(int64_t delta) {
  // The gauge is shared by every stream (an atomic the Kafka and gRPC
  // threads contend for): a conflated event of the same size changes
  // nothing.
  if (delta == 0) return;
  queued_bytes_ += delta;
  metrics_->queued_bytes[kind_]->Increment(static_cast<double>(delta));
}

void Subscriber::CheckBytes() {
  if (queued_bytes_ <= options_.max_queued_bytes || Closing() ||
      writer_ == nullptr) {
    return;
  }
  metrics_->byte_budget_exceeded[kind_]->Increment();
  SlowConsumer(writer_->OverByteBudget(
      absl::StrCat(queued_bytes_, " bytes queued for the stream, at most ",
                   options_.max_queued_bytes)));
}

bool Subscriber::Enqueue(Queue& queue, Slot slot, bool moved) {
  // Alive as long as a slot holds it.
  const Outgoing& event = *slot.event;
  const int64_t bytes = static_cast<int64_t>(event.wire.size());
  const int64_t counted = moved ? bytes : 0;
  if (!event.key.empty()) {
    auto it = queue.keyed.find(event.key);
    // Replaced in place only if no later event of the same symbol is
    // pending: otherwise the symbol's seqs would leave out of order.
    if (it != queue.keyed.end()) {
      Slot* pending = it->second;
      auto newest = queue.newest.find(pending->event->owner);
      if (newest != queue.newest.end() && newest->second == pending) {
        pending->conflated += 1 + slot.conflated;
        AddBytes(bytes - static_cast<int64_t>(pending->event->wire.size()) -
                 counted);
        pending->event = std::move(slot.event);
        metrics_->conflated[Index(event.event->channel())]->Increment();
        return false;
      }
    }
  }
  AddBytes(bytes - counted);
  queue.slots.push_back(std::move(slot));
  Slot* added = &queue.slots.back();
  if (!event.key.empty()) queue.keyed[event.key] = added;
  if (!event.owner.empty()) {
    if (!event.key.empty()) {
      queue.newest[event.owner] = added;
    } else if (auto it = queue.newest.find(event.owner);
               it != queue.newest.end()) {
      it->second = added;  // Behind a keyed slot, which must stay put.
    }
  }
  return true;
}

void Subscriber::Offer(OutgoingPtr event) {
  mu_.Lock();
  if (Closing()) {
    mu_.Unlock();
    return;
  }
  if (Enqueue(in_snapshot_ ? *held_ : Pending(),
              {std::move(event), /*counted=*/true}) &&
      ++live_pending_ > options_.max_queued) {
    SlowConsumer(absl::ResourceExhaustedError(
        "slow consumer: the stream's queue overflowed; resume with "
        "since_seq"));
  }
  CheckBytes();
  Pump();
}

void Subscriber::BeginSnapshot() {
  absl::MutexLock lock(&mu_);
  if (in_snapshot_ || Closing()) return;
  in_snapshot_ = true;
  held_ = std::make_unique<Queue>();
}

void Subscriber::OfferSnapshot(EventPtr event) {
  mu_.Lock();
  if (!Closing()) {
    Enqueue(Pending(), {Prepare(std::move(event))});
    CheckBytes();
  }
  Pump();
}

void Subscriber::EndSnapshot(EventPtr end) {
  mu_.Lock();
  if (!in_snapshot_ || Closing()) {
    in_snapshot_ = false;
    mu_.Unlock();
    return;
  }
  in_snapshot_ = false;
  Queue& queue = Pending();
  Enqueue(queue, {Prepare(std::move(end))});
  for (Slot& slot : held_->slots) Enqueue(queue, std::move(slot), true);
  held_.reset();
  CheckBytes();
  Pump();
}

void Subscriber::Reply(EventPtr event) {
  mu_.Lock();
  if (!Closing()) {
    Enqueue(Pending(), {Prepare(std::move(event))});
    CheckBytes();
  }
  Pump();
}

void Subscriber::Discard() {
  queue_.reset();
  held_.reset();
  in_snapshot_ = false;  // Nothing to hold any more: the stream is ending.
  live_pending_ = 0;
  AddBytes(-static_cast<int64_t>(queued_bytes_));
}

void Subscriber::SlowConsumer(absl::Status status) {
  metrics_->slow_consumers[kind_]->Increment();
  metrics_->dropped[kind_]->Increment(static_cast<double>(live_pending_));
  Discard();
  Enqueue(Pending(), {Prepare(SlowConsumerEvent())});
  SetFinish(std::move(status));
}

void Subscriber::SetFinish(absl::Status status) {
  if (finish_ != nullptr) return;
  finish_ = std::make_unique<absl::Status>(std::move(status));
  finish_since_ = absl::Now();
}

bool Subscriber::CheckStall(absl::Time now) {
  if (options_.stall_timeout <= absl::ZeroDuration() || in_flight_ == nullptr ||
      finished_ || writer_ == nullptr ||
      now - last_write_ < options_.stall_timeout) {
    return false;
  }
  if (finish_ == nullptr) {
    // Nothing waiting: a quiet stream, not a stalled one (its write is
    // stuck behind a client that reads nothing, but costs one event).
    if (QueueEmpty() && (held_ == nullptr || held_->slots.empty()))
      return false;
    metrics_->stalls[kind_]->Increment();
    SlowConsumer(absl::ResourceExhaustedError(
        absl::StrCat("slow consumer: stream not drained for ",
                     absl::FormatDuration(options_.stall_timeout),
                     "; resume with since_seq")));
    finish_since_ = now;  // The grace runs on the caller's clock.
    return false;
  }
  if (cancelling_ || cancelled_ || now - finish_since_ < options_.stall_timeout)
    return false;
  metrics_->undrained_cancels[kind_]->Increment();
  cancelling_ = true;
  return true;
}

void Subscriber::Pump() {
  if (finished_ || writer_ == nullptr || in_flight_ != nullptr) {
    mu_.Unlock();
    return;
  }
  if (QueueEmpty()) {
    // While Cancel runs, the call must stay alive: Finish waits.
    if (finish_ == nullptr || cancelling_) {
      mu_.Unlock();
      return;
    }
    finished_ = true;
    StreamWriter* writer = writer_;
    const absl::Status status = *finish_;
    mu_.Unlock();
    writer->Finish(status);
    return;
  }
  // The maps may point at the slot about to be removed: forget it.
  Queue& queue = *queue_;
  Slot& front = queue.slots.front();
  const std::string& key = front.event->key;
  if (auto it = queue.keyed.find(key);
      !key.empty() && it != queue.keyed.end() && it->second == &front) {
    queue.keyed.erase(it);
  }
  const std::string& owner = front.event->owner;
  if (auto it = queue.newest.find(owner);
      !owner.empty() && it != queue.newest.end() && it->second == &front) {
    queue.newest.erase(it);
  }
  Slot slot = std::move(front);
  queue.slots.pop_front();
  if (slot.counted) --live_pending_;
  AddBytes(-static_cast<int64_t>(slot.event->wire.size()));
  // The event's bytes are shared by every stream it went to; its conflated
  // count, this stream's own, follows them.
  uint8_t suffix[kMaxSuffix];
  size_t suffix_size = 0;
  if (slot.conflated > 0) {
    if (AppendsConflated(*slot.event->event)) {
      suffix_size = ConflatedSuffix(slot.conflated, suffix);
    } else {
      auto copy = std::make_shared<v1::MarketEvent>(*slot.event->event);
      copy->set_conflated(slot.conflated);
      slot.event = Prepare(std::move(copy));
    }
  }
  in_flight_ = std::move(slot.event);
  const v1::MarketEvent& sent = *in_flight_->event;
  const absl::Time now = absl::Now();
  last_write_ = now;
  if (const v1::RecordMeta* meta = EventMeta(sent);
      meta != nullptr && !sent.snapshot()) {
    const int channel = Index(sent.channel());
    metrics_->delivery_latency[channel]->Observe(
        absl::ToDoubleSeconds(now - market::FromTimestamp(meta->fetched_at())));
    metrics_->added_latency[channel]->Observe(absl::ToDoubleSeconds(
        now - market::FromTimestamp(meta->received_at())));
  }
  StreamWriter* writer = writer_;
  // Alive until OnWriteDone.
  const Outgoing* event = in_flight_.get();
  mu_.Unlock();
  writer->Write(
      event->wire,
      absl::string_view(reinterpret_cast<const char*>(suffix), suffix_size));
}

void Subscriber::OnWriteDone(bool ok) {
  mu_.Lock();
  in_flight_.reset();
  if (!ok) {
    // The client went away: nothing more can be sent, but gRPC still needs
    // Finish before it calls OnDone.
    Discard();
    SetFinish(absl::CancelledError("the client went away"));
  }
  Pump();
}

void Subscriber::FinishNow(const absl::Status& status) {
  mu_.Lock();
  Discard();
  // A status already decided (a slow consumer's RESOURCE_EXHAUSTED) stays:
  // OnCancel follows the cancel of a stalled stream.
  if (!finished_) SetFinish(status);
  Pump();
}

void Subscriber::Detach() {
  absl::MutexLock lock(&mu_);
  writer_ = nullptr;
  finished_ = true;
  Discard();
}

void Subscriber::MaybeHeartbeat(absl::Time now) {
  mu_.Lock();
  if (CheckStall(now)) {
    StreamWriter* writer = writer_;
    const absl::Status status = *finish_;
    mu_.Unlock();
    writer->Cancel(status);
    mu_.Lock();
    cancelling_ = false;
    cancelled_ = true;
    Pump();  // Finishes if the failed write completed meanwhile.
    return;
  }
  if (Closing() || in_flight_ != nullptr || !QueueEmpty()) {
    mu_.Unlock();
    return;
  }
  const absl::Duration quiet = now - last_write_;
  if (quiet < options_.heartbeat_interval) {
    if (quiet >= options_.release_queue_after) queue_.reset();
    mu_.Unlock();
    return;
  }
  Enqueue(Pending(), {Prepare(HeartbeatEvent(now), kHeartbeatKey)});
  Pump();
}

void Subscriber::SetHeartbeatInterval(absl::Duration interval) {
  absl::MutexLock lock(&mu_);
  options_.heartbeat_interval = interval;
}

bool Subscriber::finished() {
  absl::MutexLock lock(&mu_);
  return finished_;
}

bool Subscriber::HoldsQueueForTesting() {
  absl::MutexLock lock(&mu_);
  return queue_ != nullptr;
}

}  // namespace vnstream::gateway
