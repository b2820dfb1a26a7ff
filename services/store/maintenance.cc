#include "services/store/maintenance.h"

#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace vnstream::store {

Maintenance::Maintenance(MaintenanceOptions options, PgWriter& writer,
                         prometheus::Registry& registry)
    : options_(options),
      writer_(writer),
      dropped_(prometheus::BuildCounter()
                   .Name("vnstream_store_partitions_dropped_total")
                   .Help("Monthly partitions of minute_bars dropped by the "
                         "retention.")
                   .Register(registry)
                   .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("vnstream_store_maintenance_failures_total")
                    .Help("Failed partition upkeep runs (retried).")
                    .Register(registry)
                    .Add({})) {
  writer_.set_minute_retention_months(options_.retention_months);
}

void Maintenance::RunIfDue(absl::Time now) {
  if (now < next_) return;
  const absl::Time deadline = now + absl::Seconds(30);
  const absl::CivilMonth current(
      absl::ToCivilSecond(now, market::VietnamTime()));
  absl::Status status = writer_.EnsurePartitions(
      current, current + options_.months_ahead, deadline);
  if (status.ok() && options_.retention_months > 0) {
    absl::StatusOr<std::vector<std::string>> dropped =
        writer_.DropPartitionsBefore(writer_.RetentionStart(now), deadline);
    if (dropped.ok()) {
      dropped_.Increment(static_cast<double>(dropped->size()));
    }
    status = dropped.status();
  }
  if (!status.ok()) {
    failures_.Increment();
    spdlog::warn("partition upkeep failed (retried in a minute): {}", status);
    next_ = now + absl::Minutes(1);
    return;
  }
  next_ = now + options_.interval;
}

}  // namespace vnstream::store
