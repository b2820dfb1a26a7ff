// Prometheus metrics for every service: one exposer on its own port, one
// registry, plus the standard process_* metrics.
//
// Naming: vnstream_<service>_<what>_<unit>, base units (_seconds, _bytes),
// _total for counters. gRPC server metrics use the go-grpc-prometheus names
// (grpc_metrics.h).
#ifndef VNSTREAM_LIBS_SERVICE_METRICS_H_
#define VNSTREAM_LIBS_SERVICE_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/exposer.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace vnstream {

// Serves GET /metrics over HTTP. Thread-safe (prometheus-cpp metrics are).
class MetricsServer {
 public:
  // Binds `address` ("0.0.0.0:9464"; port 0 = an ephemeral port) and
  // registers process_cpu_seconds_total, process_resident_memory_bytes,
  // process_open_fds and process_start_time_seconds.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address);

  prometheus::Registry& registry() { return *registry_; }
  // Also serves metrics computed at scrape time by `collectable`.
  void RegisterCollectable(
      const std::shared_ptr<prometheus::Collectable>& collectable) {
    exposer_->RegisterCollectable(collectable);
  }
  // The bound port.
  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

// Histogram buckets for latencies, in seconds: 100 us .. ~52 s, x2 steps.
prometheus::Histogram::BucketBoundaries LatencyBuckets();

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_SERVICE_METRICS_H_
