#include "services/analytics/processor.h"

#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/service/metrics.h"

namespace vnstream::analytics {

AnalyticsProcessor::AnalyticsProcessor(indicators::Params params,
                                       prometheus::Registry& registry,
                                       std::function<absl::Time()> now)
    : params_(std::move(params)), now_(std::move(now)) {
  auto& records = prometheus::BuildCounter()
                      .Name("vnstream_analytics_records_in_total")
                      .Help(
                          "stock-historical records consumed, by result "
                          "(enriched, invalid, malformed).")
                      .Register(registry);
  enriched_ = &records.Add({{"result", "enriched"}});
  invalid_ = &records.Add({{"result", "invalid"}});
  malformed_ = &records.Add({{"result", "malformed"}});
  compute_seconds_ = &prometheus::BuildHistogram()
                          .Name("vnstream_analytics_compute_seconds")
                          .Help("Time to compute one record's indicators.")
                          .Register(registry)
                          .Add({}, LatencyBuckets());
}

absl::StatusOr<kafka::OutgoingRecord> AnalyticsProcessor::Process(
    const v1::DailyHistory& history) {
  const absl::Time start = now_();
  v1::EnrichedHistory enriched;
  if (absl::Status s = indicators::Enrich(history, params_, &enriched);
      !s.ok()) {
    invalid_->Increment();
    return s;
  }
  const absl::Time done = now_();
  *enriched.mutable_computed_at() = market::ToTimestamp(done);
  compute_seconds_->Observe(absl::ToDoubleSeconds(done - start));
  enriched_->Increment();
  return kafka::EncodeRecord(kafka::kAnalyticsTopic, enriched, enriched.meta());
}

void AnalyticsProcessor::CountMalformed() { malformed_->Increment(); }

}  // namespace vnstream::analytics
