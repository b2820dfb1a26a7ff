// Resource usage of a process from /proc (Linux): what the services export
// as process_* metrics and what the benchmarks report for the processes
// they start.
#ifndef VNSTREAM_LIBS_BASE_PROC_STATS_H_
#define VNSTREAM_LIBS_BASE_PROC_STATS_H_

#include <sys/types.h>

#include "absl/status/statusor.h"

namespace vnstream {

struct ProcessStats {
  double cpu_seconds = 0;         // User + system CPU time since start.
  double rss_bytes = 0;           // Resident set size now.
  double start_time_seconds = 0;  // Start time, seconds since the Unix epoch.
};

// Reads /proc/<pid>/stat; pid 0 means the calling process. NOT_FOUND when
// the process is gone.
absl::StatusOr<ProcessStats> ReadProcessStats(pid_t pid = 0);

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_PROC_STATS_H_
