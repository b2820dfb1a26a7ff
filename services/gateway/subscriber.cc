#include "services/gateway/subscriber.h"

#include "libs/market/calendar.h"

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

EventPtr SnapshotEndEvent() {
  auto event = std::make_shared<v1::MarketEvent>();
  event->mutable_snapshot_end();
  return event;
}

}  // namespace

const v1::RecordMeta* EventMeta(const v1::MarketEvent& event) {
  switch (event.payload_case()) {
    case v1::MarketEvent::kQuote:
      return &event.quote().meta();
    case v1::MarketEvent::kBar:
      return &event.bar().meta();
    case v1::MarketEvent::kHistory:
      return &event.history().meta();
    default:
      return nullptr;
  }
}

Subscriber::Subscriber(Channel channel, SubscriberOptions options,
                       StreamWriter* writer, GatewayMetrics* metrics)
    : channel_(channel),
      options_(options),
      metrics_(metrics),
      writer_(writer) {}

bool Subscriber::Enqueue(Queue& queue, EventPtr event, const std::string& key,
                         bool counted) {
  if (!key.empty()) {
    if (auto it = queue.keyed.find(key); it != queue.keyed.end()) {
      it->second->event = std::move(event);
      return false;
    }
  }
  queue.slots.push_back({std::move(event), key, counted});
  if (!key.empty()) queue.keyed[key] = &queue.slots.back();
  return true;
}

void Subscriber::Offer(EventPtr event, const std::string& key) {
  mu_.Lock();
  if (finished_ || finish_ != nullptr) {
    mu_.Unlock();
    return;
  }
  Queue& target = in_snapshot_ ? held_ : queue_;
  if (!Enqueue(target, std::move(event), key, /*counted=*/true)) {
    metrics_->conflated[static_cast<int>(channel_)]->Increment();
  } else if (++live_pending_ > options_.max_queued) {
    SlowConsumer();
  }
  Pump();
}

void Subscriber::OfferSnapshot(EventPtr event) {
  mu_.Lock();
  if (!finished_ && finish_ == nullptr) {
    Enqueue(queue_, std::move(event), "", /*counted=*/false);
  }
  Pump();
}

void Subscriber::EndSnapshot() {
  mu_.Lock();
  if (!in_snapshot_ || finished_ || finish_ != nullptr) {
    in_snapshot_ = false;
    mu_.Unlock();
    return;
  }
  in_snapshot_ = false;
  Enqueue(queue_, SnapshotEndEvent(), "", /*counted=*/false);
  for (Slot& slot : held_.slots) {
    Enqueue(queue_, std::move(slot.event), slot.key, slot.counted);
  }
  held_ = Queue();
  Pump();
}

void Subscriber::SlowConsumer() {
  const int c = static_cast<int>(channel_);
  metrics_->slow_consumers[c]->Increment();
  metrics_->dropped[c]->Increment(static_cast<double>(live_pending_));
  queue_ = Queue();
  held_ = Queue();
  live_pending_ = 0;
  Enqueue(queue_, SlowConsumerEvent(), "", /*counted=*/false);
  finish_ = std::make_unique<absl::Status>(absl::ResourceExhaustedError(
      "slow consumer: the stream's queue overflowed; resume with since_seq"));
}

void Subscriber::Pump() {
  if (finished_ || writer_ == nullptr || in_flight_ != nullptr) {
    mu_.Unlock();
    return;
  }
  if (queue_.slots.empty()) {
    if (finish_ == nullptr) {
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
  Slot slot = std::move(queue_.slots.front());
  queue_.slots.pop_front();
  if (!slot.key.empty()) queue_.keyed.erase(slot.key);
  if (slot.counted) --live_pending_;
  in_flight_ = std::move(slot.event);
  const absl::Time now = absl::Now();
  last_write_ = now;
  if (const v1::RecordMeta* meta = EventMeta(*in_flight_);
      meta != nullptr && !in_flight_->snapshot()) {
    metrics_->delivery_latency[static_cast<int>(channel_)]->Observe(
        absl::ToDoubleSeconds(now - market::FromTimestamp(meta->fetched_at())));
  }
  StreamWriter* writer = writer_;
  const v1::MarketEvent* event = in_flight_.get();
  mu_.Unlock();
  writer->Write(event);
}

void Subscriber::OnWriteDone(bool ok) {
  mu_.Lock();
  in_flight_.reset();
  if (!ok) {
    // The client went away: nothing more can be sent, but gRPC still needs
    // Finish before it calls OnDone.
    queue_ = Queue();
    held_ = Queue();
    live_pending_ = 0;
    if (finish_ == nullptr) {
      finish_ = std::make_unique<absl::Status>(
          absl::CancelledError("the client went away"));
    }
  }
  Pump();
}

void Subscriber::FinishAfterQueued(const absl::Status& status) {
  mu_.Lock();
  if (finish_ == nullptr) finish_ = std::make_unique<absl::Status>(status);
  Pump();
}

void Subscriber::FinishNow(const absl::Status& status) {
  mu_.Lock();
  queue_ = Queue();
  held_ = Queue();
  live_pending_ = 0;
  if (!finished_) finish_ = std::make_unique<absl::Status>(status);
  Pump();
}

void Subscriber::Detach() {
  absl::MutexLock lock(&mu_);
  writer_ = nullptr;
  finished_ = true;
  queue_ = Queue();
  held_ = Queue();
}

void Subscriber::MaybeHeartbeat(absl::Time now) {
  mu_.Lock();
  if (finished_ || finish_ != nullptr || in_flight_ != nullptr ||
      !queue_.slots.empty() ||
      now - last_write_ < options_.heartbeat_interval) {
    mu_.Unlock();
    return;
  }
  Enqueue(queue_, HeartbeatEvent(now), kHeartbeatKey, /*counted=*/false);
  Pump();
}

bool Subscriber::finished() {
  absl::MutexLock lock(&mu_);
  return finished_;
}

}  // namespace vnstream::gateway
