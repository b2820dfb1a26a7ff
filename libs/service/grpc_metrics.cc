#include "libs/service/grpc_metrics.h"

#include <array>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/support/interceptor.h"
#include "grpcpp/support/status.h"
#include "libs/service/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"

namespace vnstream {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// gRPC status code names as go-grpc-prometheus labels them.
constexpr std::array<const char*, 17> kCodeNames = {"OK",
                                                    "Canceled",
                                                    "Unknown",
                                                    "InvalidArgument",
                                                    "DeadlineExceeded",
                                                    "NotFound",
                                                    "AlreadyExists",
                                                    "PermissionDenied",
                                                    "ResourceExhausted",
                                                    "FailedPrecondition",
                                                    "Aborted",
                                                    "OutOfRange",
                                                    "Unimplemented",
                                                    "Internal",
                                                    "Unavailable",
                                                    "DataLoss",
                                                    "Unauthenticated"};
static_assert(kCodeNames.size() ==
              std::tuple_size_v<decltype(GrpcMethodMetrics::handled)>);

const char* TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

}  // namespace

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, "
                         "regardless of success or failure.")
                   .Register(registry)),
      received_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_received_total")
                    .Help("Total number of RPC stream messages received on "
                          "the server.")
                    .Register(registry)),
      sent_(prometheus::BuildCounter()
                .Name("grpc_server_msg_sent_total")
                .Help("Total number of gRPC stream messages sent by the "
                      "server.")
                .Register(registry)),
      handling_(prometheus::BuildHistogram()
                    .Name("grpc_server_handling_seconds")
                    .Help("Histogram of response latency (seconds) of gRPC "
                          "that had been application-level handled by the "
                          "server.")
                    .Register(registry)) {}

GrpcMethodMetrics* GrpcServerMetrics::Method(const std::string& method,
                                             ServerRpcInfo::Type type) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = methods_.try_emplace(method);
  if (inserted) {
    const size_t slash = method.rfind('/');
    const std::string service = method.substr(
        method.empty() ? 0 : 1, slash == std::string::npos ? 0 : slash - 1);
    const std::string name =
        slash == std::string::npos ? method : method.substr(slash + 1);
    const prometheus::Labels labels = {{"grpc_type", TypeName(type)},
                                       {"grpc_service", service},
                                       {"grpc_method", name}};
    GrpcMethodMetrics& m = it->second;
    m.started = &started_.Add(labels);
    m.received = &received_.Add(labels);
    m.sent = &sent_.Add(labels);
    m.handling = &handling_.Add(labels, LatencyBuckets());
    for (size_t code = 0; code < kCodeNames.size(); ++code) {
      prometheus::Labels with_code = labels;
      with_code["grpc_code"] = kCodeNames[code];
      m.handled[code] = &handled_.Add(with_code);
    }
  }
  return &it->second;
}

void GrpcMethodMetrics::Handled(grpc::StatusCode code, absl::Duration elapsed) {
  const int index = static_cast<int>(code);
  if (index >= 0 && index < static_cast<int>(handled.size())) {
    handled[index]->Increment();
  }
  handling->Observe(absl::ToDoubleSeconds(elapsed));
}

namespace {

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(GrpcMethodMetrics* metrics)
      : metrics_(metrics), start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      metrics_->received->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      metrics_->sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->Handled(methods->GetSendStatus().error_code(),
                        absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  GrpcMethodMetrics* metrics_;
  absl::Time start_;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(prometheus::Registry& registry,
                            std::vector<std::string> self_recorded)
      : metrics_(registry),
        self_recorded_(self_recorded.begin(), self_recorded.end()) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    if (info->method() == nullptr || self_recorded_.contains(info->method())) {
      return nullptr;
    }
    GrpcMethodMetrics* metrics = metrics_.Method(info->method(), info->type());
    metrics->started->Increment();
    return new MetricsInterceptor(metrics);
  }

 private:
  GrpcServerMetrics metrics_;
  const absl::flat_hash_set<std::string> self_recorded_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory(prometheus::Registry& registry,
                                  std::vector<std::string> self_recorded) {
  return std::make_unique<MetricsInterceptorFactory>(registry,
                                                     std::move(self_recorded));
}

}  // namespace vnstream
