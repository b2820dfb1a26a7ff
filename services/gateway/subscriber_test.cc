#include "services/gateway/subscriber.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"

namespace vnstream::gateway {
namespace {

// Records writes; the test decides when each write completes (a slow or
// fast client).
class FakeWriter : public StreamWriter {
 public:
  void Write(const v1::MarketEvent* event) override {
    ASSERT_FALSE(in_flight) << "two writes in flight";
    in_flight = true;
    written.push_back(*event);
  }
  void Finish(const absl::Status& s) override {
    ASSERT_FALSE(in_flight) << "finish with a write in flight";
    ASSERT_FALSE(status.has_value()) << "finished twice";
    status = s;
  }
  // Completes writes until none is in flight.
  void Drain(Subscriber& subscriber) {
    while (in_flight) {
      in_flight = false;
      subscriber.OnWriteDone(true);
    }
  }

  bool in_flight = false;
  std::vector<v1::MarketEvent> written;
  std::optional<absl::Status> status;
};

EventPtr Quote(const std::string& symbol, uint64_t seq, bool snapshot = false) {
  auto event = std::make_shared<v1::MarketEvent>();
  event->mutable_quote()->mutable_meta()->set_symbol(symbol);
  event->mutable_quote()->mutable_meta()->set_seq(seq);
  *event->mutable_quote()->mutable_meta()->mutable_fetched_at() =
      market::ToTimestamp(absl::Now());
  event->set_snapshot(snapshot);
  event->set_delivery(v1::DELIVERY_KAFKA);
  return event;
}

EventPtr History(uint64_t seq) {
  auto event = std::make_shared<v1::MarketEvent>();
  event->mutable_history()->mutable_meta()->set_symbol("FPT");
  event->mutable_history()->mutable_meta()->set_seq(seq);
  return event;
}

std::vector<std::string> Kinds(const std::vector<v1::MarketEvent>& events) {
  std::vector<std::string> out;
  for (const v1::MarketEvent& e : events) {
    switch (e.payload_case()) {
      case v1::MarketEvent::kQuote:
        out.push_back(absl::StrCat(e.snapshot() ? "snap:" : "",
                                   e.quote().meta().symbol(), "#",
                                   e.quote().meta().seq()));
        break;
      case v1::MarketEvent::kHistory:
        out.push_back(absl::StrCat("hist#", e.history().meta().seq()));
        break;
      case v1::MarketEvent::kSnapshotEnd:
        out.push_back("end");
        break;
      case v1::MarketEvent::kHeartbeat:
        out.push_back("heartbeat");
        break;
      case v1::MarketEvent::kStatus:
        out.push_back(v1::SymbolState_Name(e.status().state()));
        break;
      default:
        out.push_back("?");
    }
  }
  return out;
}

class SubscriberTest : public ::testing::Test {
 protected:
  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  FakeWriter writer_;
};

TEST_F(SubscriberTest, SnapshotThenLiveWithLiveHeldBackMeanwhile) {
  Subscriber s(Channel::kQuotes, {}, &writer_, &metrics_);
  s.OfferSnapshot(Quote("FPT", 5, true));
  s.Offer(Quote("FPT", 6), "FPT");  // Arrives while the snapshot is built.
  s.OfferSnapshot(Quote("VCB", 9, true));
  s.EndSnapshot();
  s.Offer(Quote("VCB", 10), "VCB");
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("snap:FPT#5", "snap:VCB#9", "end", "FPT#6",
                                     "VCB#10"));
}

TEST_F(SubscriberTest, OneWriteInFlightAndLatestValueConflation) {
  Subscriber s(Channel::kQuotes, {}, &writer_, &metrics_);
  s.EndSnapshot();  // Written at once; the client is slow to complete it.
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    s.Offer(Quote("FPT", seq), "FPT");
    s.Offer(Quote("VCB", seq), "VCB");
  }
  writer_.Drain(s);
  // The slow client gets the latest value of each symbol, in first-seen order.
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "FPT#50", "VCB#50"));
  EXPECT_EQ(metrics_.conflated[0]->Value(), 98);
}

TEST_F(SubscriberTest, SlowConsumerGetsAStatusThenResourceExhausted) {
  Subscriber s(Channel::kHistory, {.max_queued = 3}, &writer_, &metrics_);
  s.EndSnapshot();  // In flight, not completed: the client is stuck.
  for (uint64_t seq = 1; seq <= 4; ++seq) s.Offer(History(seq));
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "SYMBOL_STATE_SLOW_CONSUMER"));
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(metrics_.slow_consumers[2]->Value(), 1);
  EXPECT_EQ(metrics_.dropped[2]->Value(), 4);
  s.Offer(History(5));  // Ignored after the finish.
  EXPECT_EQ(writer_.written.size(), 2u);
}

TEST_F(SubscriberTest, NonConflatedEventsAreAllDeliveredWithinTheBound) {
  Subscriber s(Channel::kHistory, {.max_queued = 3}, &writer_, &metrics_);
  s.EndSnapshot();
  for (uint64_t seq = 1; seq <= 3; ++seq) s.Offer(History(seq));
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "hist#1", "hist#2", "hist#3"));
  EXPECT_FALSE(writer_.status.has_value());
}

TEST_F(SubscriberTest, HeartbeatOnlyWhenIdle) {
  Subscriber s(Channel::kQuotes, {.heartbeat_interval = absl::Seconds(15)},
               &writer_, &metrics_);
  s.EndSnapshot();
  writer_.Drain(s);
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(5));
  EXPECT_EQ(writer_.written.size(), 1u) << "not idle long enough";
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(16));
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "heartbeat"));
}

TEST_F(SubscriberTest, FinishNowWaitsForTheWriteInFlight) {
  Subscriber s(Channel::kQuotes, {}, &writer_, &metrics_);
  s.EndSnapshot();
  s.Offer(Quote("FPT", 1), "FPT");
  s.FinishNow(absl::UnavailableError("shutting down"));
  EXPECT_FALSE(writer_.status.has_value()) << "a write is in flight";
  writer_.Drain(s);
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Kinds(writer_.written), ::testing::ElementsAre("end"));
}

TEST_F(SubscriberTest, FailedWriteStillFinishes) {
  Subscriber s(Channel::kQuotes, {}, &writer_, &metrics_);
  s.EndSnapshot();
  s.Offer(Quote("FPT", 1), "FPT");
  writer_.in_flight = false;
  s.OnWriteDone(false);  // The client went away.
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kCancelled);
  s.Detach();
  s.Offer(Quote("FPT", 2), "FPT");
  EXPECT_TRUE(s.finished());
}

}  // namespace
}  // namespace vnstream::gateway
