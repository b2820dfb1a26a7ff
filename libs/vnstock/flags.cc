#include "libs/vnstock/flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(
    std::string, vnstock_url, "https://trading.vietcap.com.vn/api/",
    "Base URL of the VCI trading API (vnstock-sim serves the same routes).");
ABSL_FLAG(double, vnstock_requests_per_minute,
          vnstream::vnstock::VciClientOptions().requests_per_minute,
          "Client-side rate limit for all VNStock requests, per minute.");
ABSL_FLAG(int, vnstock_burst, vnstream::vnstock::VciClientOptions().burst,
          "Requests allowed back to back after an idle period.");
ABSL_FLAG(absl::Duration, vnstock_timeout, absl::Seconds(10),
          "Timeout of one HTTP attempt.");
ABSL_FLAG(int, vnstock_max_attempts, 3,
          "Attempts per request, including the first.");
ABSL_FLAG(
    absl::Duration, vnstock_backoff, absl::Milliseconds(500),
    "Backoff cap before the first retry (doubles per retry, full jitter).");
ABSL_FLAG(absl::Duration, vnstock_max_backoff, absl::Seconds(10),
          "Largest backoff cap.");
ABSL_FLAG(int, vnstock_batch_size, 50,
          "Symbols per price-board or chart request.");
ABSL_FLAG(int, vnstock_concurrency, 4, "Requests in flight at once.");
ABSL_FLAG(int, vnstock_breaker_failures, 5,
          "Consecutive failures that open an endpoint's circuit breaker.");
ABSL_FLAG(std::vector<std::string>, vnstock_headers, {},
          "Extra or replacement request headers, \"Name: value\" each "
          "(e.g. a User-Agent or a proxy's authorisation).");
ABSL_FLAG(absl::Duration, vnstock_breaker_open, absl::Seconds(30),
          "How long an open circuit refuses calls before a trial call.");

namespace vnstream::vnstock {

absl::StatusOr<VciClientOptions> VciClientOptionsFromFlags() {
  VciClientOptions options;
  options.base_url = absl::GetFlag(FLAGS_vnstock_url);
  options.requests_per_minute =
      absl::GetFlag(FLAGS_vnstock_requests_per_minute);
  options.burst = absl::GetFlag(FLAGS_vnstock_burst);
  options.request_timeout = absl::GetFlag(FLAGS_vnstock_timeout);
  options.retry.max_attempts = absl::GetFlag(FLAGS_vnstock_max_attempts);
  options.retry.initial_backoff = absl::GetFlag(FLAGS_vnstock_backoff);
  options.retry.max_backoff = absl::GetFlag(FLAGS_vnstock_max_backoff);
  options.max_symbols_per_request = absl::GetFlag(FLAGS_vnstock_batch_size);
  options.concurrency = absl::GetFlag(FLAGS_vnstock_concurrency);
  options.breaker.failure_threshold =
      absl::GetFlag(FLAGS_vnstock_breaker_failures);
  options.breaker.open_duration = absl::GetFlag(FLAGS_vnstock_breaker_open);
  for (const std::string& header : absl::GetFlag(FLAGS_vnstock_headers)) {
    const size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "vnstock_headers: expected \"Name: value\", got '", header, "'"));
    }
    // A header given here replaces the default of the same name.
    const std::string name = absl::AsciiStrToLower(header.substr(0, colon + 1));
    std::erase_if(options.headers, [&](const std::string& h) {
      return absl::AsciiStrToLower(h.substr(0, colon + 1)) == name;
    });
    options.headers.push_back(header);
  }
  if (!absl::StartsWith(options.base_url, "http://") &&
      !absl::StartsWith(options.base_url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vnstock_url must be an http(s) URL, got '", options.base_url, "'"));
  }
  if (options.requests_per_minute <= 0 || options.burst < 1 ||
      options.retry.max_attempts < 1 || options.max_symbols_per_request < 1 ||
      options.concurrency < 1 || options.breaker.failure_threshold < 1 ||
      options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "vnstock_requests_per_minute, _burst, _max_attempts, _batch_size, "
        "_concurrency, _breaker_failures and _timeout must be positive");
  }
  return options;
}

}  // namespace vnstream::vnstock
