// AnalyticsProcessor: analytics' domain. Turns one stock-historical record
// (a symbol's daily history) into its stock-analytics record (the same bars
// with every indicator and the performance summary, TA-Lib semantics) with
// the input's metadata and seq. Stateless: each record carries the whole
// window, so any replica (or a restarted one) computes the same output for
// the same input, which is what makes the exactly-once pipeline simple.
// Thread-safe.
#ifndef VNSTREAM_SERVICES_ANALYTICS_PROCESSOR_H_
#define VNSTREAM_SERVICES_ANALYTICS_PROCESSOR_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/indicators/indicators.h"
#include "libs/kafka/record.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::analytics {

class AnalyticsProcessor {
 public:
  AnalyticsProcessor(
      indicators::Params params, prometheus::Registry& registry,
      std::function<absl::Time()> now = [] { return absl::Now(); });

  // The stock-analytics record for `history`, or InvalidArgument when the
  // history cannot be used (non-increasing dates, non-positive prices, ...).
  // Counts every outcome.
  absl::StatusOr<kafka::OutgoingRecord> Process(
      const v1::DailyHistory& history);

  // Counts a record that did not even decode.
  void CountMalformed();

 private:
  const indicators::Params params_;
  const std::function<absl::Time()> now_;
  prometheus::Counter* enriched_;
  prometheus::Counter* invalid_;
  prometheus::Counter* malformed_;
  prometheus::Histogram* compute_seconds_;
};

}  // namespace vnstream::analytics

#endif  // VNSTREAM_SERVICES_ANALYTICS_PROCESSOR_H_
