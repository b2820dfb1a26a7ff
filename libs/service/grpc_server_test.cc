#include "libs/service/grpc_server.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "libs/service/metrics.h"

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
