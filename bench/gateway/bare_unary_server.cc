// bare_unary_server: the baseline of the unary benchmark (unary_bench.cc).
// The smallest correct C++ gRPC unary server of the same API over the same
// TLS: it answers every call of a method with the serialized response read
// at start-up (the gateway's own answer, fetched by the benchmark), from
// memory, with the callback API's generic service: no request parsing, no
// API key, no lookup, no serialization, no interceptors or metrics.
// Whatever the gateway costs beyond this is its own work per call.
//
//   bare_unary_server --port=0 --responses_dir=DIR
//       --tls_cert_file=gateway.pem --tls_key_file=gateway.key
// DIR holds one file per method, named as the method (GetQuotes, ...).
#include <filesystem>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "libs/base/logging.h"
#include "libs/base/signals.h"
#include "tests/support/certs.h"

ABSL_FLAG(int, port, 0, "Port on 127.0.0.1 (0 = a free one).");
ABSL_FLAG(std::string, responses_dir, "",
          "Directory of serialized responses, one file per method name.");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key.");

namespace vnstream::bench {
namespace {

constexpr char kServicePrefix[] = "/vnstream.v1.MarketDataService/";

// Full method name ("/vnstream.v1.MarketDataService/GetQuotes") -> its
// response. Read-only once the server runs; copying a ByteBuffer only
// references its slices.
using Responses = absl::flat_hash_map<std::string, grpc::ByteBuffer>;

// One call: read the request, write the stored response and finish.
class Call : public grpc::ServerGenericBidiReactor {
 public:
  explicit Call(const grpc::ByteBuffer* response) : response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      return;
    }
    if (response_ == nullptr) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
      return;
    }
    StartWriteAndFinish(response_, grpc::WriteOptions(), grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  const grpc::ByteBuffer* const response_;  // Null: unknown method.
  grpc::ByteBuffer request_;
};

class BareUnaryService : public grpc::CallbackGenericService {
 public:
  explicit BareUnaryService(Responses responses)
      : responses_(std::move(responses)) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    auto it = responses_.find(context->method());
    return new Call(it == responses_.end() ? nullptr : &it->second);
  }

 private:
  const Responses responses_;
};

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  absl::ParseCommandLine(argc, argv);
  InitLogging("bare-unary-server");
  Responses responses;
  for (const auto& file : std::filesystem::directory_iterator(
           absl::GetFlag(FLAGS_responses_dir))) {
    const std::string bytes = testing::ReadTextFile(file.path().string());
    grpc::Slice slice(bytes);
    responses.emplace(
        absl::StrCat(kServicePrefix, file.path().filename().string()),
        grpc::ByteBuffer(&slice, 1));
  }
  if (responses.empty()) {
    spdlog::error("no responses in --responses_dir");
    return 1;
  }
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back(
      {testing::ReadTextFile(absl::GetFlag(FLAGS_tls_key_file)),
       testing::ReadTextFile(absl::GetFlag(FLAGS_tls_cert_file))});
  BareUnaryService service(std::move(responses));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(
      absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)),
      grpc::SslServerCredentials(tls), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen");
    return 1;
  }
  spdlog::info("bare unary server on :{}", port);
  absl::Notification stop;
  NotifyOnShutdownSignal(&stop);
  stop.WaitForNotification();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  return 0;
}

}  // namespace
}  // namespace vnstream::bench

int main(int argc, char** argv) { return vnstream::bench::Main(argc, argv); }
