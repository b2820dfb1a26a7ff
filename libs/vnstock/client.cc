#include "libs/vnstock/client.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "libs/service/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace vnstream::vnstock {
namespace {

// Outcomes of one HTTP attempt (metric label values).
constexpr const char* kOutcomes[] = {
    "ok",       "timeout",  "unavailable",  "http_5xx",     "http_429",
    "http_403", "http_4xx", "bad_response", "circuit_open", "rate_limited"};
enum Outcome {
  kOk,
  kTimeout,
  kUnavailable,
  kHttp5xx,
  kHttp429,
  kHttp403,
  kHttp4xx,
  kBadResponse,
  kCircuitOpen,
  kRateLimited,
  kOutcomeCount
};

// Runs fn(0..n-1) on up to `concurrency` threads (the caller's included).
void ParallelFor(size_t n, int concurrency,
                 const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  const size_t extra = std::min<size_t>(n, std::max(concurrency, 1)) - (n > 0);
  std::vector<std::thread> threads;
  threads.reserve(extra);
  for (size_t t = 0; t < extra; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
}

template <typename T>
std::vector<std::span<const T>> Chunks(std::span<const T> items, size_t size) {
  std::vector<std::span<const T>> chunks;
  for (size_t i = 0; i < items.size(); i += size) {
    chunks.push_back(items.subspan(i, std::min(size, items.size() - i)));
  }
  return chunks;
}

v1::Source SourceOf(const HttpResponse& response) {
  // vnstock-sim labels its responses; anything else is the real VCI.
  return response.headers.contains("x-vnstock-sim") ? v1::SOURCE_SIMULATOR
                                                    : v1::SOURCE_VCI;
}

}  // namespace

struct VciClient::Endpoint {
  Endpoint(const std::string& name, std::string method, std::string url,
           CircuitBreaker::Options breaker_options,
           prometheus::Registry& registry)
      : method(std::move(method)),
        url(std::move(url)),
        breaker(breaker_options) {
    const prometheus::Labels labels = {{"endpoint", name}};
    duration = &prometheus::BuildHistogram()
                    .Name("vnstream_vnstock_request_duration_seconds")
                    .Help("VNStock HTTP request latency per attempt, seconds.")
                    .Register(registry)
                    .Add(labels, LatencyBuckets());
    auto& requests = prometheus::BuildCounter()
                         .Name("vnstream_vnstock_requests_total")
                         .Help("VNStock HTTP attempts by outcome.")
                         .Register(registry);
    for (int i = 0; i < kOutcomeCount; ++i) {
      outcomes[i] =
          &requests.Add({{"endpoint", name}, {"outcome", kOutcomes[i]}});
    }
    retries = &prometheus::BuildCounter()
                   .Name("vnstream_vnstock_retries_total")
                   .Help("VNStock HTTP retries.")
                   .Register(registry)
                   .Add(labels);
    circuit_state =
        &prometheus::BuildGauge()
             .Name("vnstream_vnstock_circuit_state")
             .Help("Circuit breaker: 0 closed, 1 half-open, 2 open.")
             .Register(registry)
             .Add(labels);
    rejected = &prometheus::BuildCounter()
                    .Name("vnstream_vnstock_records_rejected_total")
                    .Help("VNStock records dropped by validation.")
                    .Register(registry)
                    .Add(labels);
  }

  void UpdateCircuitGauge(absl::Time now) {
    circuit_state->Set(static_cast<double>(breaker.state(now)));
  }

  const std::string method;  // "POST" or "GET".
  const std::string url;
  CircuitBreaker breaker;
  prometheus::Histogram* duration;
  prometheus::Counter* outcomes[kOutcomeCount];
  prometheus::Counter* retries;
  prometheus::Gauge* circuit_state;
  prometheus::Counter* rejected;
};

std::vector<std::string> VciHeaders() {
  return {
      "Accept: application/json, text/plain, */*",
      "Accept-Language: en-US,en;q=0.9,vi-VN;q=0.8,vi;q=0.7",
      "Content-Type: application/json",
      "Cache-Control: no-cache",
      "Pragma: no-cache",
      "Sec-Fetch-Dest: empty",
      "Sec-Fetch-Mode: cors",
      "Sec-Fetch-Site: same-site",
      "Referer: https://trading.vietcap.com.vn/",
      "Origin: https://trading.vietcap.com.vn/",
      "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
      "AppleWebKit/537.36 "
      "(KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36",
  };
}

VciClient::VciClient(VciClientOptions options,
                     const market::TradingCalendar* calendar,
                     prometheus::Registry* metrics)
    : options_(std::move(options)),
      calendar_(calendar),
      own_registry_(metrics == nullptr
                        ? std::make_unique<prometheus::Registry>()
                        : nullptr),
      http_(HttpClient::Options{.headers = options_.headers}),
      limiter_(options_.requests_per_minute, options_.burst, absl::Now()) {
  prometheus::Registry& registry =
      metrics != nullptr ? *metrics : *own_registry_;
  std::string base = options_.base_url;
  if (!base.empty() && base.back() != '/') base.push_back('/');
  auto endpoint = [&](const char* name, const char* method, const char* path) {
    return std::make_unique<Endpoint>(name, method, base + path,
                                      options_.breaker, registry);
  };
  price_board_ = endpoint("price_board", "POST", kPriceBoardPath);
  gap_chart_ = endpoint("gap_chart", "POST", kGapChartPath);
  ticks_ = endpoint("ticks", "POST", kTicksPath);
  listing_ = endpoint("listing", "GET", kListingPath);
  group_ = endpoint("group", "GET", kGroupPath);
  bars_normalised_ =
      &prometheus::BuildCounter()
           .Name("vnstream_vnstock_bars_normalised_total")
           .Help(
               "Bars kept after normalising high/low by at most a rounding "
               "unit (low <= open, close <= high broken slightly), per "
               "fetch.")
           .Register(registry)
           .Add({});
}

VciClient::~VciClient() = default;

absl::Status VciClient::Call(
    Endpoint& endpoint, const std::string& body, absl::Time deadline,
    const std::function<absl::Status(const HttpResponse&)>& parse,
    const std::string& query) {
  absl::BitGen random;
  absl::Status failure;
  for (int attempt = 1;; ++attempt) {
    const absl::Time now = absl::Now();
    if (!endpoint.breaker.Allow(now)) {
      endpoint.outcomes[kCircuitOpen]->Increment();
      endpoint.UpdateCircuitGauge(now);
      return absl::UnavailableError(
          absl::StrCat(endpoint.url, ": circuit open after repeated failures"));
    }
    const std::optional<absl::Time> send_at = limiter_.Reserve(now, deadline);
    if (!send_at.has_value()) {
      endpoint.outcomes[kRateLimited]->Increment();
      // A half-open trial that never ran must not keep the breaker stuck.
      endpoint.breaker.RecordFailure(now);
      return absl::ResourceExhaustedError(absl::StrCat(
          endpoint.url, ": rate limit leaves no slot before the deadline"));
    }
    absl::SleepFor(*send_at - absl::Now());
    const absl::Duration timeout =
        std::min(options_.request_timeout, deadline - absl::Now());
    Outcome outcome = kOk;
    std::optional<absl::Duration> retry_after;
    if (timeout <= absl::ZeroDuration()) {
      outcome = kTimeout;
      failure = absl::DeadlineExceededError(
          absl::StrCat(endpoint.url, ": deadline passed"));
    } else {
      absl::StatusOr<HttpResponse> response =
          http_.Perform({.method = endpoint.method,
                         .url = endpoint.url + query,
                         .body = body,
                         .timeout = timeout});
      if (!response.ok()) {
        outcome = absl::IsDeadlineExceeded(response.status()) ? kTimeout
                                                              : kUnavailable;
        failure = response.status();
      } else {
        endpoint.duration->Observe(absl::ToDoubleSeconds(response->elapsed));
        const int status = response->status;
        if (status == 200) {
          failure = parse(*response);
          outcome = failure.ok() ? kOk : kBadResponse;
        } else {
          failure = absl::UnavailableError(
              absl::StrCat(endpoint.url, ": HTTP ", status));
          if (status == 429) {
            outcome = kHttp429;
            auto it = response->headers.find("retry-after");
            if (it != response->headers.end()) {
              retry_after = ParseRetryAfter(it->second, absl::Now());
            }
            // Every caller holds off, not just this one.
            limiter_.PauseUntil(
                absl::Now() +
                retry_after.value_or(options_.retry.initial_backoff));
            failure = absl::ResourceExhaustedError(
                absl::StrCat(endpoint.url, ": HTTP 429, retry after ",
                             absl::FormatDuration(
                                 retry_after.value_or(absl::ZeroDuration()))));
          } else if (status >= 500) {
            outcome = kHttp5xx;
          } else if (status == 403) {
            outcome = kHttp403;
            failure = absl::PermissionDeniedError(
                absl::StrCat(endpoint.url, ": HTTP 403 (blocked)"));
          } else {
            outcome = kHttp4xx;
            failure = absl::InvalidArgumentError(
                absl::StrCat(endpoint.url, ": HTTP ", status));
          }
        }
      }
    }
    endpoint.outcomes[outcome]->Increment();
    if (outcome == kOk) {
      endpoint.breaker.RecordSuccess();
      endpoint.UpdateCircuitGauge(absl::Now());
      return absl::OkStatus();
    }
    // Throttling is not a sign of a broken endpoint.
    if (outcome != kHttp429) endpoint.breaker.RecordFailure(absl::Now());
    endpoint.UpdateCircuitGauge(absl::Now());
    const bool retryable = outcome == kTimeout || outcome == kUnavailable ||
                           outcome == kHttp5xx || outcome == kHttp429 ||
                           outcome == kBadResponse;
    if (!retryable || attempt >= options_.retry.max_attempts) return failure;
    const absl::Duration delay =
        std::max(BackoffDelay(options_.retry, attempt, random),
                 retry_after.value_or(absl::ZeroDuration()));
    if (absl::Now() + delay >= deadline) return failure;
    endpoint.retries->Increment();
    absl::SleepFor(delay);
  }
}

PriceBoard VciClient::FetchPriceBoard(std::span<const std::string> symbols,
                                      absl::Time deadline) {
  const auto chunks = Chunks(symbols, options_.max_symbols_per_request);
  std::vector<PriceBoard> parts(chunks.size());
  ParallelFor(chunks.size(), options_.concurrency, [&](size_t i) {
    PriceBoard& part = parts[i];
    const absl::Status status =
        Call(*price_board_, PriceBoardRequest(chunks[i]), deadline,
             [&](const HttpResponse& response) {
               Rejections rejected;
               absl::StatusOr<std::vector<v1::Quote>> quotes =
                   ParsePriceBoard(response.body,
                                   {.source = SourceOf(response),
                                    .fetched_at = absl::Now(),
                                    .calendar = calendar_},
                                   &rejected);
               if (!quotes.ok()) return quotes.status();
               part.quotes = *std::move(quotes);
               part.rejected = std::move(rejected);
               return absl::OkStatus();
             });
    if (!status.ok()) part.errors.push_back(status);
  });
  PriceBoard result;
  for (PriceBoard& part : parts) {
    std::move(part.quotes.begin(), part.quotes.end(),
              std::back_inserter(result.quotes));
    std::move(part.rejected.begin(), part.rejected.end(),
              std::back_inserter(result.rejected));
    std::move(part.errors.begin(), part.errors.end(),
              std::back_inserter(result.errors));
  }
  price_board_->rejected->Increment(
      static_cast<double>(result.rejected.size()));
  return result;
}

Bars VciClient::FetchBars(std::span<const std::string> symbols,
                          TimeFrame time_frame, absl::Time to, int count_back,
                          absl::Time deadline) {
  const auto chunks = Chunks(symbols, options_.max_symbols_per_request);
  std::vector<Bars> parts(chunks.size());
  ParallelFor(chunks.size(), options_.concurrency, [&](size_t i) {
    Bars& part = parts[i];
    const absl::Status status = Call(
        *gap_chart_, GapChartRequest(chunks[i], time_frame, to, count_back),
        deadline, [&](const HttpResponse& response) {
          Rejections rejected;
          absl::StatusOr<std::vector<SymbolBars>> series =
              ParseGapChart(response.body, &rejected);
          if (!series.ok()) return series.status();
          const absl::Time fetched_at = absl::Now();
          for (SymbolBars& s : *series) {
            s.source = SourceOf(response);
            s.fetched_at = fetched_at;
          }
          part.series = *std::move(series);
          part.rejected = std::move(rejected);
          return absl::OkStatus();
        });
    if (!status.ok()) part.errors.push_back(status);
  });
  Bars result;
  for (Bars& part : parts) {
    std::move(part.series.begin(), part.series.end(),
              std::back_inserter(result.series));
    std::move(part.rejected.begin(), part.rejected.end(),
              std::back_inserter(result.rejected));
    std::move(part.errors.begin(), part.errors.end(),
              std::back_inserter(result.errors));
  }
  gap_chart_->rejected->Increment(static_cast<double>(result.rejected.size()));
  for (const SymbolBars& series : result.series) {
    if (series.normalised.empty()) continue;
    bars_normalised_->Increment(static_cast<double>(series.normalised.size()));
    absl::MutexLock lock(&normalised_mu_);
    if (normalised_logged_.insert(series.symbol).second) {
      spdlog::warn(
          "{}: {} bar(s) off by a rounding unit kept, normalised (logged once "
          "per symbol; vnstream_vnstock_bars_normalised_total counts them); "
          "first: {}",
          series.symbol, series.normalised.size(), series.normalised.front());
    }
  }
  return result;
}

absl::StatusOr<std::vector<Tick>> VciClient::FetchTicks(
    const std::string& symbol, int limit, absl::Time deadline) {
  std::vector<Tick> ticks;
  Rejections rejected;
  const absl::Status status = Call(*ticks_, TicksRequest(symbol, limit),
                                   deadline, [&](const HttpResponse& response) {
                                     rejected.clear();
                                     absl::StatusOr<std::vector<Tick>> parsed =
                                         ParseTicks(response.body, &rejected);
                                     if (!parsed.ok()) return parsed.status();
                                     ticks = *std::move(parsed);
                                     return absl::OkStatus();
                                   });
  ticks_->rejected->Increment(static_cast<double>(rejected.size()));
  if (!status.ok()) return status;
  return ticks;
}

absl::StatusOr<Listing> VciClient::FetchListing(absl::Time deadline) {
  Listing listing;
  const absl::Status status =
      Call(*listing_, "", deadline, [&](const HttpResponse& response) {
        Rejections rejected;
        absl::StatusOr<std::vector<ListedSecurity>> securities =
            ParseListing(response.body, &rejected);
        if (!securities.ok()) return securities.status();
        listing = {.securities = *std::move(securities),
                   .rejected = std::move(rejected),
                   .source = SourceOf(response),
                   .fetched_at = absl::Now()};
        return absl::OkStatus();
      });
  listing_->rejected->Increment(static_cast<double>(listing.rejected.size()));
  if (!status.ok()) return status;
  return listing;
}

absl::StatusOr<std::vector<std::string>> VciClient::FetchGroup(
    const std::string& group, absl::Time deadline) {
  if (group.empty() || !std::all_of(group.begin(), group.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '_';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("group '", group, "': letters, digits and '_' only"));
  }
  std::vector<std::string> members;
  Rejections rejected;
  const absl::Status status = Call(
      *group_, "", deadline,
      [&](const HttpResponse& response) {
        rejected.clear();
        absl::StatusOr<std::vector<std::string>> parsed =
            ParseGroup(response.body, &rejected);
        if (!parsed.ok()) return parsed.status();
        members = *std::move(parsed);
        return absl::OkStatus();
      },
      absl::StrCat("?group=", group));
  group_->rejected->Increment(static_cast<double>(rejected.size()));
  if (!status.ok()) return status;
  return members;
}

}  // namespace vnstream::vnstock
