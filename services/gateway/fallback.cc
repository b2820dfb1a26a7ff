#include "services/gateway/fallback.h"

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "libs/vnstock/records.h"

namespace vnstream::gateway {
namespace {

// Finished fetches are forgotten beyond this many (results expire anyway).
constexpr size_t kMaxFlights = 4096;

}  // namespace

// One fetch and the callers waiting for it. Guarded by Fallback::mu_.
struct Fallback::Flight {
  bool done = false;
  absl::Status status;  // Valid once done.
  absl::Time expires;   // Valid once done.
  std::vector<Callback> waiters;
};

Fallback::Fallback(FallbackOptions options, vnstock::MarketDataSource& source,
                   const market::TradingCalendar& calendar, MarketState& state,
                   GatewayMetrics* metrics)
    : options_(options),
      source_(source),
      calendar_(calendar),
      state_(state),
      metrics_(metrics),
      pool_(options.threads, options.max_queued) {}

void Fallback::Count(Channel channel, const char* result) {
  metrics_->fallback_requests
      ->Add({{"channel", ChannelName(channel)}, {"result", result}})
      .Increment();
}

absl::Duration Fallback::Ttl(Channel channel,
                             const absl::Status& status) const {
  if (absl::IsNotFound(status)) return options_.not_found_ttl;
  if (!status.ok()) return options_.error_ttl;
  switch (channel) {
    case Channel::kQuotes:
      return options_.quote_ttl;
    case Channel::kBars:
      return options_.bars_ttl;
    case Channel::kHistory:
      return options_.history_ttl;
  }
  return options_.error_ttl;
}

void Fallback::RefreshAsync(Channel channel, const std::string& symbol,
                            Callback done) {
  const std::string key = absl::StrCat(ChannelName(channel), ":", symbol);
  std::shared_ptr<Flight> flight;
  std::optional<absl::Status> cached;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Flight>& slot = flights_[key];
    if (slot != nullptr && !slot->done) {
      Count(channel, "joined");
      slot->waiters.push_back(std::move(done));
      return;
    }
    if (slot != nullptr && absl::Now() < slot->expires) cached = slot->status;
  }
  if (cached.has_value()) {
    Count(channel, "cached");
    done(*cached);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (flights_.size() > kMaxFlights) {
      // Forget finished fetches: unknown symbols must not grow the map.
      for (auto it = flights_.begin(); it != flights_.end();) {
        if (it->second->done) {
          flights_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    std::shared_ptr<Flight>& slot = flights_[key];
    if (slot != nullptr &&
        !slot->done) {  // Another caller started one meanwhile.
      slot->waiters.push_back(std::move(done));
      return;
    }
    slot = std::make_shared<Flight>();
    slot->waiters.push_back(std::move(done));
    flight = slot;
  }
  const bool queued = pool_.TrySubmit([this, channel, symbol, flight] {
    Complete(channel, flight, Fetch(channel, symbol));
  });
  if (!queued) {
    Count(channel, "rejected");
    Complete(channel, flight,
             absl::ResourceExhaustedError(
                 "too many VNStock fallback fetches queued"));
  }
}

void Fallback::Complete(Channel channel, const std::shared_ptr<Flight>& flight,
                        absl::Status status) {
  std::vector<Callback> waiters;
  {
    absl::MutexLock lock(&mu_);
    flight->done = true;
    flight->status = status;
    flight->expires = absl::Now() + Ttl(channel, status);
    waiters.swap(flight->waiters);
  }
  for (Callback& waiter : waiters) waiter(status);
}

absl::Status Fallback::Refresh(Channel channel, const std::string& symbol,
                               absl::Time deadline) {
  // Shared with the callback, which may run after this call returned.
  struct Result {
    absl::Notification done;
    absl::Status status;
  };
  auto result = std::make_shared<Result>();
  RefreshAsync(channel, symbol, [result](const absl::Status& status) {
    result->status = status;
    result->done.Notify();
  });
  if (!result->done.WaitForNotificationWithDeadline(deadline)) {
    Count(channel, "deadline_exceeded");
    return absl::DeadlineExceededError(absl::StrCat(
        "VNStock fallback for ", symbol, " did not finish in time"));
  }
  return result->status;
}

absl::Status Fallback::Fetch(Channel channel, const std::string& symbol) {
  const absl::Time now = absl::Now();
  const absl::Time deadline = now + options_.fetch_timeout;
  const std::vector<std::string> symbols = {symbol};
  absl::Status status;
  switch (channel) {
    case Channel::kQuotes: {
      vnstock::PriceBoard board = source_.FetchPriceBoard(symbols, deadline);
      if (!board.errors.empty()) {
        status = board.errors.front();
      } else if (board.quotes.empty()) {
        status = absl::NotFoundError(
            absl::StrCat("VNStock has no quote for ", symbol));
      } else {
        state_.ApplyQuote(std::move(board.quotes.front()),
                          v1::DELIVERY_VNSTOCK_FALLBACK);
      }
      break;
    }
    case Channel::kBars:
    case Channel::kHistory: {
      const bool bars = channel == Channel::kBars;
      vnstock::Bars fetched = source_.FetchBars(
          symbols,
          bars ? vnstock::TimeFrame::kOneMinute : vnstock::TimeFrame::kOneDay,
          now + (bars ? absl::Minutes(1) : absl::Hours(24)),
          bars ? options_.intraday_bars : options_.history_bars, deadline);
      if (!fetched.errors.empty()) {
        status = fetched.errors.front();
        break;
      }
      if (fetched.series.empty() || fetched.series.front().bars.empty()) {
        status = absl::NotFoundError(absl::StrCat(
            "VNStock has no ", ChannelName(channel), " for ", symbol));
        break;
      }
      const absl::Time applied_at = absl::Now();
      if (bars) {
        for (v1::IntradayBar& bar :
             vnstock::ToIntradayBars(fetched.series.front(), applied_at)) {
          state_.ApplyBar(std::move(bar), v1::DELIVERY_VNSTOCK_FALLBACK);
        }
      } else {
        state_.ApplyHistory(vnstock::ToDailyHistory(fetched.series.front(),
                                                    applied_at, calendar_),
                            v1::DELIVERY_VNSTOCK_FALLBACK);
      }
      break;
    }
  }
  if (status.ok()) {
    Count(channel, "ok");
  } else if (absl::IsNotFound(status)) {
    Count(channel, "not_found");
  } else {
    Count(channel, "unavailable");
    spdlog::warn("fallback {} {}: {}", ChannelName(channel), symbol, status);
  }
  return status;
}

}  // namespace vnstream::gateway
