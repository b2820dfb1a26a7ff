// vnstream-analytics: daily and 1-minute indicators (TA-Lib semantics),
// market breadth and signals from the ingest topics, exactly once (Kafka
// transactions with a changelog for its state). See config.yaml.
#include <memory>
#include <thread>

#include "libs/base/logging.h"
#include "libs/service/service_main.h"
#include "services/analytics/config.h"
#include "services/analytics/pipeline.h"
#include "services/analytics/processor.h"

namespace vnstream::analytics {
namespace {

int Main(int argc, char** argv) {
  InitService(
      argc, argv, "vnstream-analytics",
      "vnstream-analytics: indicators, intraday analytics, market breadth and "
      "signals.\n"
      "Settings: flags, VNSTREAM_<FLAG> or --config=FILE.yaml");
  absl::StatusOr<AnalyticsConfig> config = LoadConfig();
  if (std::optional<int> code = ConfigExit(config.status())) return *code;
  absl::StatusOr<std::unique_ptr<ServiceRuntime>> runtime =
      ServiceRuntime::Create(config->metrics_address);
  if (!runtime.ok()) {
    spdlog::error("{}", runtime.status());
    return 1;
  }
  if (absl::Status s =
          (*runtime)->StartGrpc({.address = config->grpc_address}, {});
      !s.ok()) {
    spdlog::error("{}", s);
    return 1;
  }
  prometheus::Registry& registry = (*runtime)->registry();
  GrpcServer& grpc = (*runtime)->grpc();
  AnalyticsProcessor processor(config->processor, registry);
  absl::StatusOr<std::unique_ptr<Pipeline>> pipeline =
      Pipeline::Create(config->pipeline, processor, registry);
  if (!pipeline.ok()) {
    spdlog::error("{}", pipeline.status());
    return 1;
  }
  spdlog::info("analytics as {}; Kafka {}; metrics :{}; gRPC :{}",
               config->pipeline.transactional_id,
               config->pipeline.bootstrap_servers, (*runtime)->metrics().port(),
               grpc.port());
  grpc.SetServing(true);
  const absl::Status status = (*pipeline)->Run((*runtime)->stop());
  grpc.Shutdown(absl::Seconds(2));
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
