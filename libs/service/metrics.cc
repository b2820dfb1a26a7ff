#include "libs/service/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace vnstream {
namespace {

// process_* metrics from /proc/self, read at scrape time.
class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families;
    // /proc/self/stat: fields after the ")" of the command name; utime and
    // stime are fields 14 and 15, starttime 22, rss 24 (1-based).
    std::ifstream stat_file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)),
                     std::istreambuf_iterator<char>());
    const size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return families;
    std::vector<std::string> fields =
        absl::StrSplit(stat.substr(close_paren + 2), ' ');
    if (fields.size() < 22) return families;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    const double cpu = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
    const double rss = std::stod(fields[21]) * page;
    const double start_ticks = std::stod(fields[19]);

    double boot_time = 0;
    std::ifstream proc_stat("/proc/stat");
    for (std::string line; std::getline(proc_stat, line);) {
      if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
    }
    int fds = 0;
    if (DIR* dir = opendir("/proc/self/fd"); dir != nullptr) {
      while (readdir(dir) != nullptr) ++fds;
      closedir(dir);
      fds -= 3;  // ".", ".." and the directory's own descriptor.
    }

    auto gauge = [&](const char* name, const char* help,
                     prometheus::MetricType type, double value) {
      prometheus::MetricFamily family;
      family.name = name;
      family.help = help;
      family.type = type;
      prometheus::ClientMetric metric;
      if (type == prometheus::MetricType::Counter) {
        metric.counter.value = value;
      } else {
        metric.gauge.value = value;
      }
      family.metric.push_back(std::move(metric));
      families.push_back(std::move(family));
    };
    gauge("process_cpu_seconds_total", "User and system CPU time, seconds.",
          prometheus::MetricType::Counter, cpu);
    gauge("process_resident_memory_bytes", "Resident set size, bytes.",
          prometheus::MetricType::Gauge, rss);
    gauge("process_open_fds", "Open file descriptors.",
          prometheus::MetricType::Gauge, fds);
    gauge("process_start_time_seconds",
          "Start time since the Unix epoch, seconds.",
          prometheus::MetricType::Gauge, boot_time + start_ticks / ticks);
    return families;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address) {
  auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
  server->registry_ = std::make_shared<prometheus::Registry>();
  server->process_metrics_ = std::make_shared<ProcessMetrics>();
  try {
    // One civetweb worker thread is plenty for a scrape every few seconds.
    server->exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", address, ": ", e.what()));
  }
  server->exposer_->RegisterCollectable(server->registry_);
  server->exposer_->RegisterCollectable(server->process_metrics_);
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(
        absl::StrCat("metrics: no listening port for ", address));
  }
  server->port_ = ports.front();
  return server;
}

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  for (double b = 0.0001; b < 60; b *= 2) buckets.push_back(b);
  return buckets;
}

}  // namespace vnstream
