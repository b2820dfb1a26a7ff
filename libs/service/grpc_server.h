// The gRPC server bootstrap every vnstream service uses: health checking,
// server reflection (grpcurl), keepalive and limits, go-grpc-prometheus
// metrics, and an orderly shutdown.
#ifndef VNSTREAM_LIBS_SERVICE_GRPC_SERVER_H_
#define VNSTREAM_LIBS_SERVICE_GRPC_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "prometheus/registry.h"

namespace vnstream {

struct GrpcServerOptions {
  // Listen address; port 0 picks an ephemeral port (see GrpcServer::port()).
  std::string address = "0.0.0.0:50051";
  // The server pings a connection idle for this long and closes it when the
  // ping is not answered within keepalive_timeout: dead peers (a laptop that
  // went to sleep) do not pin streams forever.
  absl::Duration keepalive_time = absl::Seconds(60);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Clients may ping this often (even without active calls) without getting
  // GOAWAY "too_many_pings". gRPC clients' keepalive minimum is 10 s.
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // Concurrent streams per HTTP/2 connection (RESOURCE_EXHAUSTED-like
  // REFUSED_STREAM beyond it).
  int max_concurrent_streams_per_connection = 100;
  // Largest request accepted / response sent, bytes.
  int max_receive_message_bytes = 1 << 20;
  int max_send_message_bytes = 16 << 20;
  // Connections are closed (GOAWAY) after this age so load balancers can
  // rebalance long-lived streams; zero = never. Streams in flight get
  // max_connection_age_grace to finish.
  absl::Duration max_connection_age = absl::ZeroDuration();
  absl::Duration max_connection_age_grace = absl::Seconds(30);
};

// A started gRPC server. Thread-safe.
class GrpcServer {
 public:
  // Registers `services` (sync or callback; not owned, must outlive the
  // server), the health service (overall status NOT_SERVING until
  // SetServing(true)) and reflection, and starts listening. When `metrics`
  // is given, records go-grpc-prometheus metrics in it.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options,
      const std::vector<grpc::Service*>& services,
      prometheus::Registry* metrics);

  ~GrpcServer();

  int port() const { return port_; }

  // Sets the health status of the server ("") and of every registered
  // service: readiness for Kubernetes' grpc probes and load balancers.
  void SetServing(bool serving);

  // Orderly stop: health NOT_SERVING, then Shutdown with a deadline after
  // which calls still running are cancelled. Streams should be finished by
  // their owners before (gateway: UNAVAILABLE). Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer() = default;

  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
};

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_SERVICE_GRPC_SERVER_H_
