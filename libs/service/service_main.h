// The start-up and plumbing every vnstream service binary shares, so each
// main only wires its own components:
//
//   int main(int argc, char** argv) {
//     InitService(argc, argv, "vnstream-x", "usage");
//     absl::StatusOr<XConfig> config = LoadConfig();
//     if (auto code = ConfigExit(config.status())) return *code;
//     auto runtime = ServiceRuntime::Create(config->metrics_address);
//     ... build components with runtime->registry() ...
//     runtime->StartGrpc(options, {&service});
//     runtime->stop().WaitForNotification();
//   }
#ifndef VNSTREAM_LIBS_SERVICE_SERVICE_MAIN_H_
#define VNSTREAM_LIBS_SERVICE_SERVICE_MAIN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "libs/service/grpc_server.h"
#include "libs/service/metrics.h"

namespace vnstream {

// Blocks SIGINT/SIGTERM (before any thread exists), reads the configuration
// (flags > VNSTREAM_* environment > --config YAML; exits 2 on a bad one) and
// sets up logging as `name`. Returns the positional arguments (argv[0]
// first), for binaries with sub-commands.
std::vector<char*> InitService(int argc, char** argv, absl::string_view name,
                               absl::string_view usage);

// Given the status of loading the service's configuration: the exit code
// when the binary must stop here (2, logged, for an invalid configuration;
// 0 for --check_config), else nullopt.
std::optional<int> ConfigExit(const absl::Status& config_status);

// What runs beside every service: a Prometheus exposer, the shutdown
// notification (notified by SIGINT/SIGTERM), and, once started, the gRPC
// server with health and reflection. Errors are logged by the caller.
class ServiceRuntime {
 public:
  static absl::StatusOr<std::unique_ptr<ServiceRuntime>> Create(
      const std::string& metrics_address);

  // Starts the gRPC server with `services` (not owned). Health stays
  // NOT_SERVING until grpc().SetServing(true).
  absl::Status StartGrpc(const GrpcServerOptions& options,
                         const std::vector<grpc::Service*>& services);

  MetricsServer& metrics() { return *metrics_; }
  prometheus::Registry& registry() { return metrics_->registry(); }
  GrpcServer& grpc() { return *grpc_; }
  // Notified once by the first SIGINT/SIGTERM. Lives for the process.
  absl::Notification& stop() { return *stop_; }

 private:
  ServiceRuntime() = default;

  std::unique_ptr<MetricsServer> metrics_;
  std::unique_ptr<GrpcServer> grpc_;
  absl::Notification* stop_ = nullptr;
};

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_SERVICE_SERVICE_MAIN_H_
