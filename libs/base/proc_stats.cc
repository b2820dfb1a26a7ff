#include "libs/base/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vnstream {
namespace {

// Boot time, seconds since the epoch ("btime" in /proc/stat).
double BootTime() {
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    double btime = 0;
    if (line.rfind("btime ", 0) == 0 &&
        absl::SimpleAtod(line.substr(6), &btime)) {
      return btime;
    }
  }
  return 0;
}

}  // namespace

absl::StatusOr<ProcessStats> ReadProcessStats(pid_t pid) {
  const std::string path =
      pid == 0 ? "/proc/self/stat" : absl::StrCat("/proc/", pid, "/stat");
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  const std::string stat((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: count
  // fields after the last ")". utime and stime are fields 14 and 15,
  // starttime 22, rss 24 (1-based, proc(5)).
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 > stat.size()) {
    return absl::DataLossError(absl::StrCat("unexpected ", path));
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close_paren + 2), ' ');
  double utime = 0, stime = 0, start = 0, rss_pages = 0;
  if (fields.size() < 22 || !absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime) ||
      !absl::SimpleAtod(fields[19], &start) ||
      !absl::SimpleAtod(fields[21], &rss_pages)) {
    return absl::DataLossError(absl::StrCat("unexpected ", path));
  }
  // Constant while the machine runs: read once, not on every scrape.
  static const double boot_time = BootTime();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ProcessStats{
      .cpu_seconds = (utime + stime) / ticks,
      .rss_bytes = rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE)),
      .start_time_seconds = boot_time + start / ticks,
  };
}

}  // namespace vnstream
