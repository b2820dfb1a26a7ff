#include "libs/service/service_main.h"

#include "absl/synchronization/mutex.h"
#include "libs/base/config.h"
#include "libs/base/logging.h"
#include "libs/base/signals.h"

namespace vnstream {

std::vector<char*> InitService(int argc, char** argv, absl::string_view name,
                               absl::string_view usage) {
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex
  // acquisition would feed the deadlock detector's lock graph: ~9% of the
  // gateway's CPU under fan-out (perf). Tests keep the detector.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BlockShutdownSignals();
  std::vector<char*> args = ParseConfig(argc, argv, usage);
  InitLogging(name);
  return args;
}

std::optional<int> ConfigExit(const absl::Status& config_status) {
  if (!config_status.ok()) {
    spdlog::error("configuration: {}", config_status);
    return 2;
  }
  if (CheckConfigOnly()) {
    spdlog::info("configuration is valid");
    return 0;
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<ServiceRuntime>> ServiceRuntime::Create(
    const std::string& metrics_address) {
  auto runtime = std::unique_ptr<ServiceRuntime>(new ServiceRuntime());
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
      MetricsServer::Start(metrics_address);
  if (!metrics.ok()) return metrics.status();
  runtime->metrics_ = *std::move(metrics);
  // The signal thread outlives main's objects: the notification is never
  // destroyed.
  static absl::Notification* const stop = new absl::Notification();
  runtime->stop_ = stop;
  NotifyOnShutdownSignal(stop);
  return runtime;
}

absl::Status ServiceRuntime::StartGrpc(
    const GrpcServerOptions& options,
    const std::vector<grpc::Service*>& services) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(options, services, &registry());
  if (!server.ok()) return server.status();
  grpc_ = *std::move(server);
  return absl::OkStatus();
}

}  // namespace vnstream
