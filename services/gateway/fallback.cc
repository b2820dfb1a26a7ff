#include "services/gateway/fallback.h"

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"

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
                   const market::TradingCalendar& calendar,
                   const indicators::Params& indicators, MarketState& state,
                   GatewayMetrics* metrics)
    : options_(options),
      source_(source),
      calendar_(calendar),
      indicators_(indicators),
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
  return Def(channel).fallback->ttl;
}

void Fallback::RefreshAsync(Channel channel, const std::string& symbol,
                            Callback done, const Budget& budget) {
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
  absl::Status paid;
  {
    absl::MutexLock lock(&mu_);
    if (flights_.size() > kMaxFlights) {
      // Forget finished fetches: unknown symbols must not grow the map.
      for (auto it = flights_.begin(); it != flights_.end();) {
        if (it->second != nullptr && it->second->done) {
          flights_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    std::shared_ptr<Flight>& slot = flights_[key];
    if (slot != nullptr &&
        !slot->done) {  // Another caller started one meanwhile.
      Count(channel, "joined");
      slot->waiters.push_back(std::move(done));
      return;
    }
    // Paid under the lock: callers racing for one symbol pay once.
    if (budget != nullptr) paid = budget();
    if (paid.ok()) {
      slot = std::make_shared<Flight>();
      slot->waiters.push_back(std::move(done));
      flight = slot;
    } else if (slot == nullptr) {
      flights_.erase(key);
    }
  }
  if (!paid.ok()) {
    Count(channel, "over_budget");
    done(paid);
    return;
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
                               absl::Time deadline, const Budget& budget) {
  // Shared with the callback, which may run after this call returned.
  struct Result {
    absl::Notification done;
    absl::Status status;
  };
  auto result = std::make_shared<Result>();
  RefreshAsync(
      channel, symbol,
      [result](const absl::Status& status) {
        result->status = status;
        result->done.Notify();
      },
      budget);
  if (!result->done.WaitForNotificationWithDeadline(deadline)) {
    Count(channel, "deadline_exceeded");
    return absl::DeadlineExceededError(absl::StrCat(
        "VNStock fallback for ", symbol, " did not finish in time"));
  }
  return result->status;
}

absl::Status Fallback::Fetch(Channel channel, const std::string& symbol) {
  const FallbackSpec& spec = *Def(channel).fallback;
  const absl::Time now = absl::Now();
  absl::StatusOr<std::vector<RecordPtr>> records =
      spec.fetch({.source = &source_,
                  .calendar = &calendar_,
                  .indicators = &indicators_,
                  .now = now,
                  .deadline = now + options_.fetch_timeout},
                 symbol);
  const absl::Status status = records.status();
  if (records.ok()) {
    for (RecordPtr& record : *records) {
      state_.Apply(channel, spec.source_index, std::move(record),
                   v1::DELIVERY_VNSTOCK_FALLBACK);
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
