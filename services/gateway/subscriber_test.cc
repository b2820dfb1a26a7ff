#include "services/gateway/subscriber.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace vnstream::gateway {
namespace {

// Records writes; the test decides when each write completes (a slow or
// fast client).
class FakeWriter : public StreamWriter {
 public:
  void Write(absl::string_view wire, absl::string_view suffix) override {
    ASSERT_FALSE(in_flight) << "two writes in flight";
    in_flight = true;
    const std::string bytes = absl::StrCat(wire, suffix);
    ASSERT_TRUE(written.emplace_back().ParseFromString(bytes));
    // What a client receives is what the event as sent serializes to.
    EXPECT_EQ(bytes, written.back().SerializeAsString());
  }
  void Finish(const absl::Status& s) override {
    ASSERT_FALSE(in_flight) << "finish with a write in flight";
    ASSERT_FALSE(in_cancel) << "finish while Cancel runs";
    ASSERT_FALSE(status.has_value()) << "finished twice";
    status = s;
  }
  absl::Status OverByteBudget(const std::string& detail) override {
    return absl::ResourceExhaustedError(
        absl::StrCat("quota stream_bytes: ", detail));
  }
  // Like gRPC, fails the write in flight; at once when
  // `cancel_fails_write_inline`, else the test calls FailWrite.
  void Cancel(const absl::Status& s) override {
    ASSERT_TRUE(in_flight) << "cancel without a write in flight";
    ASSERT_FALSE(cancelled.has_value()) << "cancelled twice";
    cancelled = s;
    if (cancel_fails_write_inline) {
      in_cancel = true;
      FailWrite(*subscriber);
      in_cancel = false;
    }
  }
  void FailWrite(Subscriber& s) {
    in_flight = false;
    s.OnWriteDone(false);
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
  std::optional<absl::Status> cancelled;
  bool cancel_fails_write_inline = false;
  Subscriber* subscriber = nullptr;  // For cancel_fails_write_inline.
  bool in_cancel = false;
};

constexpr int kQuotes = Index(v1::CHANNEL_QUOTES);
constexpr int kHistory = Index(v1::CHANNEL_HISTORY);

EventPtr Quote(const std::string& symbol, uint64_t seq, bool snapshot = false) {
  auto event = std::make_shared<v1::MarketEvent>();
  event->set_channel(v1::CHANNEL_QUOTES);
  event->mutable_quote()->mutable_meta()->set_symbol(symbol);
  event->mutable_quote()->mutable_meta()->set_seq(seq);
  *event->mutable_quote()->mutable_meta()->mutable_fetched_at() =
      market::ToTimestamp(absl::Now());
  event->set_snapshot(snapshot);
  event->set_delivery(v1::DELIVERY_KAFKA);
  return event;
}

EventPtr Bar(const std::string& symbol, uint64_t seq, int minute) {
  auto event = std::make_shared<v1::MarketEvent>();
  event->set_channel(v1::CHANNEL_INTRADAY_BARS);
  event->mutable_bar()->mutable_meta()->set_symbol(symbol);
  event->mutable_bar()->mutable_meta()->set_seq(seq);
  event->mutable_bar()->mutable_start_time()->set_seconds(minute * 60);
  return event;
}

EventPtr End() {
  auto event = std::make_shared<v1::MarketEvent>();
  event->mutable_snapshot_end();
  return event;
}

EventPtr History(uint64_t seq) {
  auto event = std::make_shared<v1::MarketEvent>();
  event->set_channel(v1::CHANNEL_HISTORY);
  event->mutable_history()->mutable_meta()->set_symbol("FPT");
  event->mutable_history()->mutable_meta()->set_seq(seq);
  return event;
}

std::vector<std::string> Kinds(const std::vector<v1::MarketEvent>& events) {
  std::vector<std::string> out;
  for (const v1::MarketEvent& e : events) {
    switch (e.payload_case()) {
      case v1::MarketEvent::kQuote:
        out.push_back(absl::StrCat(
            e.snapshot() ? "snap:" : "", e.quote().meta().symbol(), "#",
            e.quote().meta().seq(),
            e.conflated() > 0 ? absl::StrCat("~", e.conflated()) : ""));
        break;
      case v1::MarketEvent::kBar:
        out.push_back(absl::StrCat(
            e.bar().meta().symbol(), "@", e.bar().start_time().seconds() / 60,
            "#", e.bar().meta().seq(),
            e.conflated() > 0 ? absl::StrCat("~", e.conflated()) : ""));
        break;
      case v1::MarketEvent::kPong:
        out.push_back("pong");
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
  Subscriber s(kQuotes, {}, &writer_, &metrics_);
  s.BeginSnapshot();
  s.OfferSnapshot(Quote("FPT", 5, true));
  s.Offer(Quote("FPT", 6), "FPT");  // Arrives while the snapshot is built.
  s.OfferSnapshot(Quote("VCB", 9, true));
  s.EndSnapshot(End());
  s.Offer(Quote("VCB", 10), "VCB");
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("snap:FPT#5", "snap:VCB#9", "end", "FPT#6",
                                     "VCB#10"));
}

TEST_F(SubscriberTest, OneWriteInFlightAndLatestValueConflationSaysSo) {
  Subscriber s(kQuotes, {}, &writer_, &metrics_);
  s.BeginSnapshot();
  s.EndSnapshot(End());  // Written at once; the client is slow to complete it.
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    s.Offer(Quote("FPT", seq), "FPT");
    s.Offer(Quote("VCB", seq), "VCB");
  }
  writer_.Drain(s);
  // The slow client gets the latest value of each symbol, in first-seen
  // order, each saying it replaced 49 versions: seq 50 - 0 - 1 - 49 = 0, no
  // loss.
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "FPT#50~49", "VCB#50~49"));
  EXPECT_EQ(metrics_.conflated[kQuotes]->Value(), 98);
}

TEST_F(SubscriberTest, ConflationNeverReordersASymbolsSequence) {
  Subscriber s(Index(v1::CHANNEL_INTRADAY_BARS), {}, &writer_, &metrics_);
  s.Reply(End());  // In flight; the client is slow.
  // Bar 10:00 in progress (seq 5), bar 10:01 (seq 6), then a revision of
  // 10:00 (seq 7): replacing seq 5 in place would send 7 before 6.
  s.Offer(Bar("FPT", 5, 600), "FPT@600");
  s.Offer(Bar("FPT", 6, 601), "FPT@601");
  s.Offer(Bar("FPT", 7, 600), "FPT@600");
  // The newest pending event of its symbol may be replaced.
  s.Offer(Bar("FPT", 8, 600), "FPT@600");
  s.Offer(Bar("VCB", 3, 600), "VCB@600");
  s.Offer(Bar("VCB", 4, 600), "VCB@600");
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "FPT@600#5", "FPT@601#6",
                                     "FPT@600#8~1", "VCB@600#4~1"));
}

TEST_F(SubscriberTest, RepliesAreNotHeldBackByASnapshot) {
  Subscriber s(kAnyChannel, {}, &writer_, &metrics_);
  s.BeginSnapshot();
  s.Offer(Quote("FPT", 1), "FPT");
  auto pong = std::make_shared<v1::MarketEvent>();
  pong->mutable_pong();
  s.Reply(pong);
  s.EndSnapshot(End());
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("pong", "end", "FPT#1"));
}

TEST_F(SubscriberTest, SlowConsumerGetsAStatusThenResourceExhausted) {
  Subscriber s(kHistory, {.max_queued = 3}, &writer_, &metrics_);
  s.Reply(End());  // In flight, not completed: the client is stuck.
  for (uint64_t seq = 1; seq <= 4; ++seq) s.Offer(History(seq));
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "SYMBOL_STATE_SLOW_CONSUMER"));
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(metrics_.slow_consumers[kHistory]->Value(), 1);
  EXPECT_EQ(metrics_.dropped[kHistory]->Value(), 4);
  s.Offer(History(5));  // Ignored after the finish.
  EXPECT_EQ(writer_.written.size(), 2u);
}

TEST_F(SubscriberTest, QueuedBytesCountTheSnapshotAndEndTheStream) {
  std::vector<EventPtr> quotes;
  for (const char* symbol : {"FPT", "VCB", "HPG", "SSI", "MSN"})
    quotes.push_back(Quote(symbol, 1, true));
  const size_t quote_bytes = quotes[0]->ByteSizeLong();
  // Room for three snapshot quotes, not four (their timestamps may differ
  // in size by a byte).
  Subscriber s(kQuotes, {.max_queued_bytes = 7 * quote_bytes / 2}, &writer_,
               &metrics_);
  s.BeginSnapshot();
  for (int i = 0; i < 3; ++i) s.OfferSnapshot(quotes[i]);
  // The first is in flight, no longer queued.
  EXPECT_EQ(metrics_.queued_bytes[kQuotes]->Value(),
            quotes[1]->ByteSizeLong() + quotes[2]->ByteSizeLong());
  EXPECT_FALSE(writer_.status.has_value());
  s.OfferSnapshot(quotes[3]);
  s.OfferSnapshot(quotes[4]);  // Over: the stream ends.
  writer_.Drain(s);
  EXPECT_THAT(
      Kinds(writer_.written),
      ::testing::ElementsAre("snap:FPT#1", "SYMBOL_STATE_SLOW_CONSUMER"));
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(writer_.status->message()),
              ::testing::StartsWith("quota stream_bytes: "));
  EXPECT_EQ(metrics_.byte_budget_exceeded[kQuotes]->Value(), 1);
  EXPECT_EQ(metrics_.slow_consumers[kQuotes]->Value(), 1);
  EXPECT_EQ(metrics_.queued_bytes[kQuotes]->Value(), 0);
}

TEST_F(SubscriberTest, ConflationKeepsTheQueuedBytesExact) {
  Subscriber s(kQuotes, {}, &writer_, &metrics_);
  s.Reply(End());  // In flight; the client is slow.
  const EventPtr newest = Quote("FPT", 300);
  const EventPtr snapshot = Quote("VCB", 1, true);
  const EventPtr end = End();
  s.BeginSnapshot();
  s.Offer(Quote("FPT", 1), "FPT");  // Held back, then replaced twice.
  s.Offer(Quote("FPT", 2), "FPT");
  s.OfferSnapshot(snapshot);
  s.EndSnapshot(end);
  s.Offer(newest, "FPT");
  const double expected =
      newest->ByteSizeLong() + snapshot->ByteSizeLong() + end->ByteSizeLong();
  EXPECT_EQ(metrics_.queued_bytes[kQuotes]->Value(), expected);
  writer_.Drain(s);
  EXPECT_EQ(metrics_.queued_bytes[kQuotes]->Value(), 0);
}

TEST_F(SubscriberTest, NonConflatedEventsAreAllDeliveredWithinTheBound) {
  Subscriber s(kHistory, {.max_queued = 3}, &writer_, &metrics_);
  s.Reply(End());
  for (uint64_t seq = 1; seq <= 3; ++seq) s.Offer(History(seq));
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "hist#1", "hist#2", "hist#3"));
  EXPECT_FALSE(writer_.status.has_value());
}

TEST_F(SubscriberTest, HeartbeatOnlyWhenIdle) {
  Subscriber s(kQuotes, {.heartbeat_interval = absl::Seconds(15)}, &writer_,
               &metrics_);
  s.Reply(End());
  writer_.Drain(s);
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(5));
  EXPECT_EQ(writer_.written.size(), 1u) << "not idle long enough";
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(16));
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "heartbeat"));
  s.SetHeartbeatInterval(absl::Seconds(60));
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(30));
  EXPECT_EQ(writer_.written.size(), 2u) << "the new interval applies";
}

// A live event pending when a new subscription's snapshot of the same
// symbol is queued (MarketDataStream: unsubscribed, subscribed again) is
// not replaced by a later one: that would send it before the snapshot.
TEST_F(SubscriberTest, ConflationNeverOvertakesASnapshot) {
  Subscriber s(kAnyChannel, {}, &writer_, &metrics_);
  s.Reply(End());                   // In flight; the client is slow.
  s.Offer(Quote("FPT", 6), "FPT");  // Pending.
  s.BeginSnapshot();
  s.OfferSnapshot(Quote("FPT", 7, true));
  s.Offer(Quote("FPT", 8), "FPT");  // Held back.
  s.EndSnapshot(End());
  s.Offer(Quote("FPT", 9), "FPT");  // Replaces #8, the newest.
  writer_.Drain(s);
  EXPECT_THAT(
      Kinds(writer_.written),
      ::testing::ElementsAre("end", "FPT#6", "snap:FPT#7", "end", "FPT#9~1"));
}

TEST_F(SubscriberTest, QuietStreamReleasesItsQueueAndStillSendsInOrder) {
  Subscriber s(kQuotes,
               {.heartbeat_interval = absl::Seconds(15),
                .release_queue_after = absl::Seconds(1)},
               &writer_, &metrics_);
  s.BeginSnapshot();
  s.OfferSnapshot(Quote("FPT", 5, true));
  s.OfferSnapshot(Quote("VCB", 9, true));
  s.EndSnapshot(End());
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(s.HoldsQueueForTesting()) << "a write in flight";
  writer_.Drain(s);
  s.MaybeHeartbeat(absl::Now());
  EXPECT_TRUE(s.HoldsQueueForTesting()) << "not quiet long enough";
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(1));
  EXPECT_FALSE(s.HoldsQueueForTesting());
  EXPECT_EQ(writer_.written.size(), 3u) << "no heartbeat yet";
  // Queued anew: written, conflated and in order as before.
  s.Offer(Quote("FPT", 6), "FPT");  // In flight.
  s.Offer(Quote("VCB", 10), "VCB");
  s.Offer(Quote("FPT", 7), "FPT");
  s.Offer(Quote("VCB", 11), "VCB");
  EXPECT_TRUE(s.HoldsQueueForTesting());
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(s.HoldsQueueForTesting()) << "events pending";
  writer_.Drain(s);
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(5));
  EXPECT_FALSE(s.HoldsQueueForTesting());
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(16));  // Still idle.
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("snap:FPT#5", "snap:VCB#9", "end", "FPT#6",
                                     "VCB#11~1", "FPT#7", "heartbeat"));
  EXPECT_EQ(metrics_.queued_bytes[kQuotes]->Value(), 0);
}

TEST_F(SubscriberTest, FinishNowWaitsForTheWriteInFlight) {
  Subscriber s(kQuotes, {}, &writer_, &metrics_);
  s.Reply(End());
  s.Offer(Quote("FPT", 1), "FPT");
  s.FinishNow(absl::UnavailableError("shutting down"));
  EXPECT_FALSE(writer_.status.has_value()) << "a write is in flight";
  writer_.Drain(s);
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Kinds(writer_.written), ::testing::ElementsAre("end"));
}

TEST_F(SubscriberTest, FailedWriteStillFinishes) {
  Subscriber s(kQuotes, {}, &writer_, &metrics_);
  s.Reply(End());
  s.Offer(Quote("FPT", 1), "FPT");
  writer_.in_flight = false;
  s.OnWriteDone(false);  // The client went away.
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kCancelled);
  s.Detach();
  s.Offer(Quote("FPT", 2), "FPT");
  EXPECT_TRUE(s.finished());
}

// A quote stream whose client stopped reading: conflation keeps its queue
// small, so only the stall ends it.
TEST_F(SubscriberTest, StalledClientIsASlowConsumerThenTheCallIsCancelled) {
  Subscriber s(kQuotes, {.stall_timeout = absl::Seconds(30)}, &writer_,
               &metrics_);
  const absl::Time start = absl::Now();
  s.Reply(End());  // In flight; the client never reads it.
  for (uint64_t seq = 1; seq <= 100; ++seq) s.Offer(Quote("FPT", seq), "FPT");
  s.MaybeHeartbeat(start + absl::Seconds(29));
  EXPECT_EQ(metrics_.stalls[kQuotes]->Value(), 0) << "not stalled long enough";
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(30));
  EXPECT_EQ(metrics_.stalls[kQuotes]->Value(), 1);
  EXPECT_EQ(metrics_.slow_consumers[kQuotes]->Value(), 1);
  EXPECT_EQ(metrics_.dropped[kQuotes]->Value(), 1) << "the conflated FPT";
  EXPECT_FALSE(writer_.status.has_value()) << "the write is in flight";
  // The grace: the client may still read its SLOW_CONSUMER.
  const absl::Time stalled = absl::Now() + absl::Seconds(30);
  s.MaybeHeartbeat(stalled + absl::Seconds(29));
  EXPECT_FALSE(writer_.cancelled.has_value());
  s.MaybeHeartbeat(stalled + absl::Seconds(30));
  ASSERT_TRUE(writer_.cancelled.has_value());
  EXPECT_EQ(writer_.cancelled->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(writer_.cancelled->message(),
            "slow consumer: stream not drained for 30s; resume with "
            "since_seq");
  EXPECT_EQ(metrics_.undrained_cancels[kQuotes]->Value(), 1);
  s.MaybeHeartbeat(stalled + absl::Seconds(90));  // Cancels once.
  // gRPC fails the write; OnCancel follows. The status stays the stall's.
  writer_.FailWrite(s);
  s.FinishNow(absl::CancelledError("cancelled by the client"));
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(*writer_.status, *writer_.cancelled);
  EXPECT_THAT(Kinds(writer_.written), ::testing::ElementsAre("end"));
  EXPECT_EQ(metrics_.queued_bytes[kQuotes]->Value(), 0);
}

TEST_F(SubscriberTest, StalledClientThatReadsAgainGetsSlowConsumerInOrder) {
  Subscriber s(kQuotes, {.stall_timeout = absl::Seconds(30)}, &writer_,
               &metrics_);
  s.Reply(End());
  s.Offer(Quote("FPT", 1), "FPT");
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(31));
  s.Offer(Quote("FPT", 2), "FPT");  // Ignored: the stream is ending.
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written),
              ::testing::ElementsAre("end", "SYMBOL_STATE_SLOW_CONSUMER"));
  ASSERT_TRUE(writer_.status.has_value());
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(writer_.status->message()),
              ::testing::HasSubstr("stream not drained for 30s"));
  EXPECT_FALSE(writer_.cancelled.has_value());
}

TEST_F(SubscriberTest, FinishWaitsForACancelThatFailsTheWriteAtOnce) {
  writer_.cancel_fails_write_inline = true;
  Subscriber s(kQuotes, {.stall_timeout = absl::Seconds(30)}, &writer_,
               &metrics_);
  writer_.subscriber = &s;
  s.Reply(End());
  s.Offer(Quote("FPT", 1), "FPT");
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(31));
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(62));
  ASSERT_TRUE(writer_.cancelled.has_value());
  ASSERT_TRUE(writer_.status.has_value()) << "finished once Cancel returned";
  EXPECT_EQ(writer_.status->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.finished());
}

TEST_F(SubscriberTest, ReadingQuoteClientNeverStalls) {
  Subscriber s(kQuotes, {.stall_timeout = absl::Seconds(30)}, &writer_,
               &metrics_);
  s.Reply(End());
  // Every write completes within the timeout, the stream lives far longer:
  // only the age of the write in flight counts.
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    s.Offer(Quote("FPT", seq), "FPT");  // Pending behind the write.
    s.MaybeHeartbeat(absl::Now() + absl::Seconds(29));
    writer_.in_flight = false;
    s.OnWriteDone(true);
  }
  writer_.Drain(s);
  EXPECT_EQ(writer_.written.size(), 11u);
  EXPECT_FALSE(writer_.status.has_value());
  EXPECT_EQ(metrics_.stalls[kQuotes]->Value(), 0);
}

TEST_F(SubscriberTest, QuietStreamWithAWriteStuckIsNotStalled) {
  Subscriber s(kQuotes, {.stall_timeout = absl::Seconds(30)}, &writer_,
               &metrics_);
  s.Reply(End());  // Never completes, but nothing waits behind it.
  s.MaybeHeartbeat(absl::Now() + absl::Hours(1));
  EXPECT_FALSE(writer_.status.has_value());
  EXPECT_FALSE(writer_.cancelled.has_value());
  EXPECT_EQ(metrics_.stalls[kQuotes]->Value(), 0);
}

TEST_F(SubscriberTest, ZeroStallTimeoutNeverEndsTheStream) {
  Subscriber s(kQuotes, {.stall_timeout = absl::ZeroDuration()}, &writer_,
               &metrics_);
  s.Reply(End());
  s.Offer(Quote("FPT", 1), "FPT");
  s.MaybeHeartbeat(absl::Now() + absl::Hours(1));
  EXPECT_FALSE(writer_.status.has_value());
  EXPECT_FALSE(writer_.cancelled.has_value());
  writer_.Drain(s);
  EXPECT_THAT(Kinds(writer_.written), ::testing::ElementsAre("end", "FPT#1"));
}

// A stream that overflowed (not conflated) and whose client does not read:
// its SLOW_CONSUMER would never leave either.
TEST_F(SubscriberTest, OverflowedStreamIsCancelledIfItsClientDoesNotRead) {
  Subscriber s(kHistory, {.max_queued = 3, .stall_timeout = absl::Seconds(30)},
               &writer_, &metrics_);
  s.Reply(End());
  for (uint64_t seq = 1; seq <= 4; ++seq) s.Offer(History(seq));
  EXPECT_EQ(metrics_.slow_consumers[kHistory]->Value(), 1);
  s.MaybeHeartbeat(absl::Now() + absl::Seconds(31));
  ASSERT_TRUE(writer_.cancelled.has_value());
  EXPECT_THAT(std::string(writer_.cancelled->message()),
              ::testing::HasSubstr("queue overflowed"));
  EXPECT_EQ(metrics_.stalls[kHistory]->Value(), 0) << "not a stall";
}

}  // namespace
}  // namespace vnstream::gateway
