#include "libs/service/grpc_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/server_builder.h"
#include "libs/base/logging.h"
#include "libs/service/grpc_metrics.h"

namespace vnstream {
namespace {

int Millis(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

// Removes the reflection plugin, which libgrpc++_reflection registers for
// every server from a static initializer.
class NoReflection : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    std::erase_if(*plugins, [](const auto& plugin) {
      return plugin->name() == "proto_server_reflection";
    });
  }
};

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  return text.str();
}

std::unique_ptr<BIO, BioDeleter> MemBio(const std::string& text) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The first certificate of a PEM file, or an error naming the file.
absl::StatusOr<std::unique_ptr<X509, X509Deleter>> ReadCertificate(
    const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  std::unique_ptr<X509, X509Deleter> cert(
      PEM_read_bio_X509(MemBio(*pem).get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " holds no PEM certificate"));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the certificate in ", path, " has expired"));
  }
  return cert;
}

// Checks at start-up what gRPC would otherwise only report as failed
// handshakes: the files exist, parse, and the key is the certificate's.
absl::Status CheckTlsFiles(const GrpcTlsOptions& tls) {
  if (tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS certificate needs its private key file");
  }
  absl::StatusOr<std::unique_ptr<X509, X509Deleter>> cert =
      ReadCertificate(tls.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key_pem = ReadFile(tls.key_file);
  if (!key_pem.ok()) return key_pem.status();
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(PEM_read_bio_PrivateKey(
      MemBio(*key_pem).get(), nullptr, nullptr, nullptr));
  const bool matches =
      key != nullptr && X509_check_private_key(cert->get(), key.get()) == 1;
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(tls.key_file, " holds no (unencrypted) PEM private key"));
  }
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the key in ", tls.key_file, " is not the key of ", tls.cert_file));
  }
  if (!tls.client_ca_file.empty()) {
    if (auto ca = ReadCertificate(tls.client_ca_file); !ca.ok()) {
      return ca.status();
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> TlsCredentials(
    const GrpcTlsOptions& tls) {
  using grpc::experimental::FileWatcherCertificateProvider;
  const auto refresh = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(tls.refresh_interval)));
  std::shared_ptr<FileWatcherCertificateProvider> provider =
      tls.client_ca_file.empty()
          ? std::make_shared<FileWatcherCertificateProvider>(
                tls.key_file, tls.cert_file, refresh)
          : std::make_shared<FileWatcherCertificateProvider>(
                tls.key_file, tls.cert_file, tls.client_ca_file, refresh);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.client_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options,
    const std::vector<grpc::Service*>& services,
    prometheus::Registry* metrics) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // libgrpc++'s health service carries no protobuf descriptor; linking ours
  // puts grpc.health.v1 into the descriptor pool, so reflection (grpcurl)
  // can describe and call it.
  (void)grpc::health::v1::HealthCheckResponse::descriptor();

  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options.tls.enabled()) {
    if (absl::Status s = CheckTlsFiles(options.tls); !s.ok()) return s;
    credentials = TlsCredentials(options.tls);
  } else if (!services.empty() && !options.insecure_plaintext) {
    return absl::FailedPreconditionError(absl::StrCat(
        "gRPC on ", options.address,
        ": no TLS certificate configured; refusing to serve plaintext (set "
        "a certificate and key, or insecure_plaintext to accept the risk)"));
  } else {
    if (!services.empty()) {
      spdlog::warn(
          "INSECURE: gRPC on {} serves PLAINTEXT (insecure_plaintext): "
          "requests, API keys and market data cross the network "
          "unencrypted and unauthenticated; use only on a trusted network or "
          "behind a TLS-terminating proxy",
          options.address);
    }
    credentials = grpc::InsecureServerCredentials();
  }

  auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
  server->tls_ = options.tls.enabled();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, credentials, &server->port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (!options.reflection) builder.SetOption(std::make_unique<NoReflection>());

  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Millis(options.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Millis(options.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Millis(options.min_client_ping_interval));
  // Pings without data are fine (long-lived quiet streams); never GOAWAY a
  // well-behaved client for them.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             options.max_concurrent_streams_per_connection);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  if (options.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               Millis(options.max_connection_age));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               Millis(options.max_connection_age_grace));
  }
  if (metrics != nullptr) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    // Services that record some methods' metrics themselves.
    std::vector<std::string> self_recorded;
    for (grpc::Service* service : services) {
      if (const auto* recording =
              dynamic_cast<const GrpcSelfRecordingService*>(service)) {
        for (std::string& method : recording->SelfRecordedMethods())
          self_recorded.push_back(std::move(method));
      }
    }
    interceptors.push_back(
        MakeGrpcMetricsInterceptorFactory(*metrics, std::move(self_recorded)));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("gRPC: cannot listen on ", options.address));
  }
  if (!options.health_address.empty()) {
    grpc::ServerBuilder health;
    health.AddListeningPort(options.health_address,
                            grpc::InsecureServerCredentials(),
                            &server->health_port_);
    health.SetOption(std::make_unique<NoReflection>());
    // Every other method answers UNIMPLEMENTED; a server needs at least
    // one service of its own to poll its completion queue.
    server->unimplemented_ = std::make_unique<grpc::CallbackGenericService>();
    health.RegisterCallbackGenericService(server->unimplemented_.get());
    server->health_server_ = health.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      return absl::UnavailableError(absl::StrCat(
          "gRPC health: cannot listen on ", options.health_address));
    }
  }
  server->SetServing(false);
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(absl::Seconds(5)); }

void GrpcServer::SetServing(bool serving) {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
    if (health != nullptr) health->SetServingStatus(serving);
  }
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (shut_down_.exchange(true)) return;
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    if (grpc::HealthCheckServiceInterface* health =
            server->GetHealthCheckService();
        health != nullptr) {
      // NOT_SERVING for every service, and no later SetServing undoes it.
      health->Shutdown();
    }
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  if (health_server_ != nullptr) {
    // Answers NOT_SERVING until the main server is gone.
    health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
    health_server_->Wait();
  }
}

}  // namespace vnstream
