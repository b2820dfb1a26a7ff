// The gRPC server bootstrap every vnstream service uses: TLS (optionally
// mutual), health checking (optionally on a second, plaintext health-only
// port for Kubernetes probes), server reflection (grpcurl), keepalive and
// limits, go-grpc-prometheus metrics, and an orderly shutdown.
#ifndef VNSTREAM_LIBS_SERVICE_GRPC_SERVER_H_
#define VNSTREAM_LIBS_SERVICE_GRPC_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"
#include "prometheus/registry.h"

namespace vnstream {

// TLS of the gRPC port. The files are PEM; gRPC re-reads them every
// `refresh_interval` so renewed certificates (cert-manager) are used without
// a restart.
struct GrpcTlsOptions {
  // The server's certificate (chain) and its private key. Both or neither.
  std::string cert_file;
  std::string key_file;
  // Mutual TLS: clients must present a certificate signed by a CA in this
  // file, or the handshake fails. Empty = no client certificate asked for.
  std::string client_ca_file;
  absl::Duration refresh_interval = absl::Minutes(1);

  bool enabled() const { return !cert_file.empty(); }
};

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
  // TLS. Without it, a server with application services refuses to start
  // unless `insecure_plaintext` is set (then it logs a warning): the secure
  // configuration is the default. Health-only servers (no services) are
  // plaintext: they answer nothing but SERVING/NOT_SERVING.
  GrpcTlsOptions tls;
  bool insecure_plaintext = false;
  // Server reflection (grpcurl list/describe). It describes the public API
  // (proto/) only, to anyone who can connect.
  bool reflection = true;
  // A second listener serving only grpc.health.v1, always plaintext (the
  // Kubernetes gRPC probe cannot do TLS). Empty = none. Its port:
  // GrpcServer::health_port().
  std::string health_address;
};

// A started gRPC server. Thread-safe.
class GrpcServer {
 public:
  // Registers `services` (sync or callback; not owned, must outlive the
  // server), the health service (overall status NOT_SERVING until
  // SetServing(true)) and reflection, and starts listening. When `metrics`
  // is given, records go-grpc-prometheus metrics in it (but for the methods
  // a GrpcSelfRecordingService records itself). Fails with
  // FailedPrecondition for a refused plaintext configuration, and with
  // InvalidArgument naming the file for unreadable or mismatched TLS files.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options,
      const std::vector<grpc::Service*>& services,
      prometheus::Registry* metrics);

  ~GrpcServer();

  int port() const { return port_; }
  // The health-only listener's port, 0 without one.
  int health_port() const { return health_port_; }
  bool tls() const { return tls_; }

  // Sets the health status of the server ("") and of every registered
  // service: readiness for Kubernetes' grpc probes and load balancers.
  void SetServing(bool serving);

  // Orderly stop: health NOT_SERVING, then Shutdown with a deadline after
  // which calls still running are cancelled. Streams should be finished by
  // their owners before (gateway: UNAVAILABLE). Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer() = default;

  std::unique_ptr<grpc::CallbackGenericService> unimplemented_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  int port_ = 0;
  int health_port_ = 0;
  bool tls_ = false;
  std::atomic<bool> shut_down_{false};
};

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_SERVICE_GRPC_SERVER_H_
