// The VNStock fallback under concurrent callers (run under TSan by
// scripts/test.sh): single flight per (channel, symbol), parallel fetches
// for different symbols, reuse within the TTL, callers giving up at their
// deadline, the budget paid once per fetch, and the bounded queue; over a
// fake VNStock whose calls block until the test lets them through.
#include "services/gateway/fallback.h"

#include <map>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace vnstream::gateway {
namespace {

const absl::Duration kTimeout = absl::Seconds(8);

// VNStock knowing FPT, HPG and VCB. Each price-board call blocks until
// Open() (or its deadline), so the test sees who is fetching meanwhile.
class GatedVnstock : public vnstock::MarketDataSource {
 public:
  vnstock::PriceBoard FetchPriceBoard(std::span<const std::string> symbols,
                                      absl::Time deadline) override {
    bool down;
    {
      absl::MutexLock lock(&mu_);
      for (const std::string& s : symbols) ++calls_[s];
      ++running_;
      mu_.AwaitWithDeadline(absl::Condition(&open_), deadline);
      --running_;
      down = down_;
    }
    vnstock::PriceBoard board;
    if (down) {
      board.errors.push_back(absl::UnavailableError("HTTP 503"));
      return board;
    }
    for (const std::string& s : symbols) {
      if (s != "FPT" && s != "HPG" && s != "VCB") continue;
      v1::Quote& q = board.quotes.emplace_back();
      q.mutable_meta()->set_symbol(s);
      q.mutable_meta()->set_source(v1::SOURCE_VCI);
      *q.mutable_meta()->mutable_fetched_at() =
          market::ToTimestamp(absl::Now());
      *q.mutable_last_price() = market::MakeDecimal(27'500);
    }
    return board;
  }
  vnstock::Bars FetchBars(std::span<const std::string>, vnstock::TimeFrame,
                          absl::Time, int, absl::Time) override {
    ADD_FAILURE() << "only quotes are asked for";
    return {};
  }

  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  int calls(const std::string& symbol) {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(symbol);
    return it == calls_.end() ? 0 : it->second;
  }
  // Calls waiting for Open().
  int running() {
    absl::MutexLock lock(&mu_);
    return running_;
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

class FallbackTest : public ::testing::Test {
 protected:
  // Fetches blocked at the end of a test finish before the pool is joined.
  ~FallbackTest() override { vnstock_.Open(); }

  void Start(FallbackOptions options) {
    fallback_ = std::make_unique<Fallback>(options, vnstock_, calendar_,
                                           params_, state_, &metrics_);
  }
  // vnstream_gateway_fallback_requests_total{channel="quotes",result}.
  double Requests(const std::string& result) {
    return metrics_.fallback_requests
        ->Add({{"channel", "quotes"}, {"result", result}})
        .Value();
  }
  // Runs Refresh of `symbol` on a thread of its own; its result lands in
  // `*status`.
  std::thread RefreshOnThread(const std::string& symbol, absl::Status* status,
                              const Fallback::Budget& budget = nullptr) {
    return std::thread([this, symbol, status, budget] {
      *status = fallback_->Refresh(v1::CHANNEL_QUOTES, symbol,
                                   absl::Now() + kTimeout, budget);
    });
  }

  prometheus::Registry registry_;
  GatewayMetrics metrics_{registry_};
  MarketState state_{&metrics_};
  GatedVnstock vnstock_;
  market::TradingCalendar calendar_;
  indicators::Params params_;
  std::unique_ptr<Fallback> fallback_;
};

TEST_F(FallbackTest, ACrowdMakesOneFetchPerSymbolAndSymbolsFetchInParallel) {
  Start({.threads = 4});
  const std::vector<std::string> symbols = {"FPT", "HPG", "VCB"};
  constexpr int kPerSymbol = 5;
  std::vector<absl::Status> statuses(symbols.size() * kPerSymbol);
  std::vector<std::thread> callers;
  for (size_t i = 0; i < statuses.size(); ++i)
    callers.push_back(RefreshOnThread(symbols[i % 3], &statuses[i]));
  // All three fetches at once (one per symbol), every other caller waiting
  // on one of them.
  EXPECT_TRUE(PollUntil(
      [&] {
        return vnstock_.running() == 3 &&
               Requests("joined") ==
                   static_cast<double>(statuses.size() - symbols.size());
      },
      kTimeout, absl::Milliseconds(5)));
  vnstock_.Open();
  for (std::thread& t : callers) t.join();
  for (const absl::Status& s : statuses) EXPECT_TRUE(s.ok()) << s;
  for (const std::string& symbol : symbols) {
    EXPECT_EQ(vnstock_.calls(symbol), 1) << symbol;
    std::optional<v1::QuoteItem> quote = state_.GetQuote(symbol);
    ASSERT_TRUE(quote.has_value()) << symbol;
    EXPECT_EQ(quote->delivery(), v1::DELIVERY_VNSTOCK_FALLBACK);
  }
  EXPECT_EQ(Requests("ok"), 3);

  // A second crowd within the TTL (quotes: 5 s) is served the result.
  callers.clear();
  for (size_t i = 0; i < statuses.size(); ++i)
    callers.push_back(RefreshOnThread(symbols[i % 3], &statuses[i]));
  for (std::thread& t : callers) t.join();
  for (const absl::Status& s : statuses) EXPECT_TRUE(s.ok()) << s;
  for (const std::string& symbol : symbols)
    EXPECT_EQ(vnstock_.calls(symbol), 1) << symbol;
  EXPECT_EQ(Requests("cached"), static_cast<double>(statuses.size()));
}

TEST_F(FallbackTest, ACallerGivingUpDoesNotCancelTheFetchForOthers) {
  Start({});
  absl::Status patient;
  std::thread waiting = RefreshOnThread("FPT", &patient);
  ASSERT_TRUE(PollUntil([&] { return vnstock_.running() == 1; }, kTimeout,
                        absl::Milliseconds(5)));
  // Joins the running fetch, then stops waiting at its deadline; its
  // callback still runs when the fetch completes.
  EXPECT_EQ(fallback_
                ->Refresh(v1::CHANNEL_QUOTES, "FPT",
                          absl::Now() + absl::Milliseconds(50))
                .code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Requests("deadline_exceeded"), 1);
  vnstock_.Open();
  waiting.join();
  EXPECT_TRUE(patient.ok()) << patient;
  EXPECT_EQ(vnstock_.calls("FPT"), 1);
  EXPECT_TRUE(state_.GetQuote("FPT").has_value());
}

TEST_F(FallbackTest, TheBudgetIsPaidOncePerFetchAndCanRefuseIt) {
  Start({});
  std::atomic<int> paid{0};
  const Fallback::Budget budget = [&] {
    ++paid;
    return absl::OkStatus();
  };
  std::vector<absl::Status> statuses(6);
  std::vector<std::thread> callers;
  for (absl::Status& s : statuses)
    callers.push_back(RefreshOnThread("HPG", &s, budget));
  EXPECT_TRUE(PollUntil(
      [&] {
        return vnstock_.running() == 1 &&
               Requests("joined") == static_cast<double>(statuses.size() - 1);
      },
      kTimeout, absl::Milliseconds(5)));
  vnstock_.Open();
  for (std::thread& t : callers) t.join();
  for (const absl::Status& s : statuses) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(paid.load(), 1) << "callers joining a fetch do not pay";

  const absl::Status refused = fallback_->Refresh(
      v1::CHANNEL_QUOTES, "VCB", absl::Now() + kTimeout,
      [] { return absl::ResourceExhaustedError("quota fallback_per_minute"); });
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(vnstock_.calls("VCB"), 0);
  EXPECT_EQ(Requests("over_budget"), 1);
  EXPECT_FALSE(state_.GetQuote("VCB").has_value());
}

TEST_F(FallbackTest, AFullQueueRefusesAtOnceAndTheQueuedFetchesComplete) {
  Start({.threads = 1, .max_queued = 1});
  struct Result {
    absl::Notification done;
    absl::Status status;
  };
  Result running;
  Result queued;
  const auto into = [](Result* result) {
    return [result](const absl::Status& status) {
      result->status = status;
      result->done.Notify();
    };
  };
  fallback_->RefreshAsync(v1::CHANNEL_QUOTES, "FPT", into(&running));
  ASSERT_TRUE(PollUntil([&] { return vnstock_.running() == 1; }, kTimeout,
                        absl::Milliseconds(5)));
  // HPG's fetch waits for the only worker; a third symbol has no room and
  // is refused without waiting.
  fallback_->RefreshAsync(v1::CHANNEL_QUOTES, "HPG", into(&queued));
  const absl::Status rejected =
      fallback_->Refresh(v1::CHANNEL_QUOTES, "VCB", absl::Now() + kTimeout);
  EXPECT_EQ(rejected.code(), absl::StatusCode::kResourceExhausted) << rejected;
  EXPECT_EQ(Requests("rejected"), 1);
  vnstock_.Open();
  ASSERT_TRUE(running.done.WaitForNotificationWithTimeout(kTimeout));
  ASSERT_TRUE(queued.done.WaitForNotificationWithTimeout(kTimeout));
  EXPECT_TRUE(running.status.ok()) << running.status;
  EXPECT_TRUE(queued.status.ok()) << queued.status;
  EXPECT_EQ(vnstock_.calls("VCB"), 0);
}

TEST_F(FallbackTest, UnknownSymbolsAndFailuresAreNotAskedAgainWithinTheirTtl) {
  Start({});
  vnstock_.Open();
  const absl::Time deadline = absl::Now() + kTimeout;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(fallback_->Refresh(v1::CHANNEL_QUOTES, "XYZ", deadline).code(),
              absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(vnstock_.calls("XYZ"), 1);
  vnstock_.SetDown(true);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(fallback_->Refresh(v1::CHANNEL_QUOTES, "FPT", deadline).code(),
              absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(vnstock_.calls("FPT"), 1);
  EXPECT_EQ(Requests("cached"), 2);
}

}  // namespace
}  // namespace vnstream::gateway
