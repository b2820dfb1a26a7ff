#include "libs/service/metrics.h"

#include <dirent.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/base/proc_stats.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace vnstream {
namespace {

// process_* metrics from /proc/self, read at scrape time.
class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families;
    absl::StatusOr<ProcessStats> stats = ReadProcessStats();
    if (!stats.ok()) return families;
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
          prometheus::MetricType::Counter, stats->cpu_seconds);
    gauge("process_resident_memory_bytes", "Resident set size, bytes.",
          prometheus::MetricType::Gauge, stats->rss_bytes);
    gauge("process_open_fds", "Open file descriptors.",
          prometheus::MetricType::Gauge, fds);
    gauge("process_start_time_seconds",
          "Start time since the Unix epoch, seconds.",
          prometheus::MetricType::Gauge, stats->start_time_seconds);
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
