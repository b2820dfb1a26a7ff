#include "libs/service/grpc_server.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "libs/service/metrics.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"

namespace vnstream {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

std::string HttpGet(const std::string& url) {
  std::string body;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return body;
}

grpc::Status Check(Health::Stub& stub, HealthCheckResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  HealthCheckRequest request;
  return stub.Check(&context, request, response);
}

TEST(GrpcServerTest, HealthMetricsAndShutdown) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(
      {.address = "127.0.0.1:0"}, {}, &(*metrics)->registry());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);

  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials());
  auto stub = Health::NewStub(channel);
  HealthCheckResponse response;
  ASSERT_TRUE(Check(*stub, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);

  (*server)->SetServing(true);
  ASSERT_TRUE(Check(*stub, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  const std::string scrape = HttpGet(
      absl::StrCat("http://127.0.0.1:", (*metrics)->port(), "/metrics"));
  EXPECT_THAT(scrape,
              HasSubstr("grpc_server_handled_total{grpc_code=\"OK\","
                        "grpc_method=\"Check\",grpc_service=\"grpc.health.v1."
                        "Health\",grpc_type=\"unary\"} 2"));
  EXPECT_THAT(scrape,
              HasSubstr("grpc_server_started_total{grpc_method=\"Check\","
                        "grpc_service=\"grpc.health.v1.Health\",grpc_type="
                        "\"unary\"} 2"));
  EXPECT_THAT(scrape, HasSubstr("grpc_server_msg_sent_total"));
  EXPECT_THAT(scrape, HasSubstr("grpc_server_handling_seconds_bucket"));
  EXPECT_THAT(scrape, HasSubstr("process_resident_memory_bytes"));

  (*server)->Shutdown(absl::Seconds(2));
  EXPECT_EQ(Check(*stub, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// An application service (no methods needed to test the transport).
class AppService : public grpc::Service {};

using ::vnstream::testing::MakeTestCerts;
using ::vnstream::testing::ReadTextFile;
using ::vnstream::testing::TestCerts;
using ::vnstream::testing::TestTempPath;

class GrpcTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TestCerts> certs = MakeTestCerts(TestTempPath("certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    absl::StatusOr<TestCerts> other =
        MakeTestCerts(TestTempPath("other-certs"), "another CA");
    ASSERT_TRUE(other.ok()) << other.status();
    certs_ = new TestCerts(*certs);
    other_ = new TestCerts(*other);
  }

  // A health stub over TLS trusting `ca`, presenting the client
  // certificate `cert`/`key` if given.
  static std::unique_ptr<Health::Stub> TlsStub(int port, const std::string& ca,
                                               const std::string& cert = "",
                                               const std::string& key = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadTextFile(ca);
    if (!cert.empty()) {
      ssl.pem_cert_chain = ReadTextFile(cert);
      ssl.pem_private_key = ReadTextFile(key);
    }
    return Health::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                               grpc::SslCredentials(ssl)));
  }

  static TestCerts* certs_;
  static TestCerts* other_;
  AppService app_;
};

TestCerts* GrpcTlsTest::certs_ = nullptr;
TestCerts* GrpcTlsTest::other_ = nullptr;

TEST_F(GrpcTlsTest, PlaintextWithServicesIsRefusedUnlessAskedFor) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> refused =
      GrpcServer::Start({.address = "127.0.0.1:0"}, {&app_}, nullptr);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("no TLS certificate"));

  absl::StatusOr<std::unique_ptr<GrpcServer>> plaintext = GrpcServer::Start(
      {.address = "127.0.0.1:0", .insecure_plaintext = true}, {&app_}, nullptr);
  ASSERT_TRUE(plaintext.ok()) << plaintext.status();
  EXPECT_FALSE((*plaintext)->tls());
}

TEST_F(GrpcTlsTest, ServesTlsToClientsTrustingItsCa) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start({.address = "127.0.0.1:0",
                         .tls = {.cert_file = certs_->gateway_cert,
                                 .key_file = certs_->gateway_key}},
                        {&app_}, nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->tls());
  const int port = (*server)->port();
  HealthCheckResponse response;
  EXPECT_TRUE(Check(*TlsStub(port, certs_->ca), &response).ok());
  // A client that does not trust the CA, and a plaintext client, fail.
  EXPECT_EQ(Check(*TlsStub(port, other_->ca), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto plaintext = Health::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(Check(*plaintext, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start({.address = "127.0.0.1:0",
                         .tls = {.cert_file = certs_->gateway_cert,
                                 .key_file = certs_->gateway_key,
                                 .client_ca_file = certs_->ca}},
                        {&app_}, nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  HealthCheckResponse response;
  EXPECT_TRUE(
      Check(*TlsStub(port, certs_->ca, certs_->client_cert, certs_->client_key),
            &response)
          .ok());
  EXPECT_EQ(Check(*TlsStub(port, certs_->ca), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "no client certificate";
  EXPECT_EQ(
      Check(*TlsStub(port, certs_->ca, other_->client_cert, other_->client_key),
            &response)
          .error_code(),
      grpc::StatusCode::UNAVAILABLE)
      << "a client certificate from another CA";
}

TEST_F(GrpcTlsTest, BadTlsFilesFailAtStartNamingTheFile) {
  auto start = [&](GrpcTlsOptions tls) {
    return GrpcServer::Start({.address = "127.0.0.1:0", .tls = tls}, {&app_},
                             nullptr)
        .status();
  };
  absl::Status mismatched = start(
      {.cert_file = certs_->gateway_cert, .key_file = certs_->client_key});
  EXPECT_EQ(mismatched.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatched.message(), HasSubstr("is not the key of"));
  absl::Status missing = start({.cert_file = certs_->dir + "/nope.pem",
                                .key_file = certs_->gateway_key});
  EXPECT_THAT(missing.message(), HasSubstr("nope.pem"));
  absl::Status not_a_cert = start(
      {.cert_file = certs_->gateway_key, .key_file = certs_->gateway_key});
  EXPECT_THAT(not_a_cert.message(), HasSubstr("holds no PEM certificate"));
  absl::Status no_key = start({.cert_file = certs_->gateway_cert});
  EXPECT_EQ(no_key.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(GrpcTlsTest, PlaintextHealthPortBesideTls) {
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start({.address = "127.0.0.1:0",
                         .tls = {.cert_file = certs_->gateway_cert,
                                 .key_file = certs_->gateway_key},
                         .health_address = "127.0.0.1:0"},
                        {&app_}, nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->health_port(), 0);
  auto probe = Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->health_port()),
                          grpc::InsecureChannelCredentials()));
  HealthCheckResponse response;
  ASSERT_TRUE(Check(*probe, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  (*server)->SetServing(true);
  ASSERT_TRUE(Check(*probe, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  (*server)->Shutdown(absl::Seconds(1));
  EXPECT_FALSE(Check(*probe, &response).ok());
}

TEST(MetricsServerTest, PortInUseIsAnError) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> first =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<MetricsServer>> second =
      MetricsServer::Start(absl::StrCat("127.0.0.1:", (*first)->port()));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace vnstream
