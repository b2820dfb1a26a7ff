// Upkeep of the 1-minute bars' monthly partitions: the current month and
// `months_ahead` more exist before any bar needs them, and months older
// than the retention are dropped (a DROP of a partition, not a DELETE of
// rows: instant, no bloat).
#ifndef VNSTREAM_SERVICES_STORE_MAINTENANCE_H_
#define VNSTREAM_SERVICES_STORE_MAINTENANCE_H_

#include "absl/time/time.h"
#include "libs/service/prometheus_fwd.h"
#include "libs/store/writer.h"

namespace vnstream::store {

struct MaintenanceOptions {
  // Partitions created ahead of the current month.
  int months_ahead = 2;
  // Months of 1-minute bars kept, counting the current one; 0 = forever.
  int retention_months = 0;
  // How often the partitions are checked.
  absl::Duration interval = absl::Hours(1);
};

// Not thread-safe: runs on the thread that owns `writer`.
class Maintenance {
 public:
  Maintenance(MaintenanceOptions options, PgWriter& writer,
              prometheus::Registry& registry);

  // Runs when `interval` has passed since the last successful run (or
  // never ran); failures are logged and retried at the next call.
  void RunIfDue(absl::Time now);

 private:
  const MaintenanceOptions options_;
  PgWriter& writer_;
  absl::Time next_ = absl::InfinitePast();
  prometheus::Counter& dropped_;
  prometheus::Counter& failures_;
};

}  // namespace vnstream::store

#endif  // VNSTREAM_SERVICES_STORE_MAINTENANCE_H_
