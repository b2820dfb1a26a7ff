// vnstream-analytics: stock-historical -> indicators (TA-Lib semantics) ->
// stock-analytics, exactly once (Kafka transactions). See config.yaml.
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"
#include "libs/base/config.h"
#include "libs/base/logging.h"
#include "libs/base/signals.h"
#include "libs/service/grpc_server.h"
#include "libs/service/metrics.h"
#include "services/analytics/config.h"
#include "services/analytics/pipeline.h"
#include "services/analytics/processor.h"

namespace vnstream::analytics {
namespace {

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  ParseConfig(
      argc, argv,
      "vnstream-analytics: stock-historical -> indicators -> stock-analytics.\n"
      "Settings: flags, VNSTREAM_<FLAG> or --config=FILE.yaml");
  InitLogging("vnstream-analytics");
  absl::StatusOr<AnalyticsConfig> config = LoadConfig();
  if (!config.ok()) {
    spdlog::error("configuration: {}", config.status());
    return 2;
  }
  if (CheckConfigOnly()) {
    spdlog::info("configuration is valid");
    return 0;
  }
  absl::Notification stop;
  NotifyOnShutdownSignal(&stop);
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
      MetricsServer::Start(config->metrics_address);
  if (!metrics.ok()) {
    spdlog::error("{}", metrics.status());
    return 1;
  }
  prometheus::Registry& registry = (*metrics)->registry();
  absl::StatusOr<std::unique_ptr<GrpcServer>> grpc =
      GrpcServer::Start({.address = config->grpc_address}, {}, &registry);
  if (!grpc.ok()) {
    spdlog::error("{}", grpc.status());
    return 1;
  }
  AnalyticsProcessor processor(config->indicators, registry);
  absl::StatusOr<std::unique_ptr<Pipeline>> pipeline =
      Pipeline::Create(config->pipeline, processor, registry);
  if (!pipeline.ok()) {
    spdlog::error("{}", pipeline.status());
    return 1;
  }
  spdlog::info("analytics as {}; Kafka {}; metrics :{}; gRPC :{}",
               config->pipeline.transactional_id,
               config->pipeline.bootstrap_servers, (*metrics)->port(),
               (*grpc)->port());
  (*grpc)->SetServing(true);
  const absl::Status status = (*pipeline)->Run(stop);
  (*grpc)->Shutdown(absl::Seconds(2));
  if (!status.ok()) {
    // Fenced or fatal: another replica owns our work now; exit so the
    // orchestrator restarts us cleanly.
    spdlog::error("stopping: {}", status);
    return 1;
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace vnstream::analytics

int main(int argc, char** argv) {
  return vnstream::analytics::Main(argc, argv);
}
