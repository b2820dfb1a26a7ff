#include "libs/service/grpc_metrics.h"

#include <array>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
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

// The metrics of one method, resolved once: the per-message hot path only
// increments counters.
struct MethodMetrics {
  prometheus::Counter* received;
  prometheus::Counter* sent;
  prometheus::Histogram* handling;
  std::array<prometheus::Counter*, kCodeNames.size()> handled;
};

class Families {
 public:
  explicit Families(prometheus::Registry& registry)
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

  // Returns the metrics of `method` ("/pkg.Service/Method") and counts it
  // as started.
  MethodMetrics* Start(const char* method, ServerRpcInfo::Type type) {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = methods_.try_emplace(method);
    if (inserted) {
      const std::string full(method);
      const size_t slash = full.rfind('/');
      const std::string service = full.substr(
          full.empty() ? 0 : 1, slash == std::string::npos ? 0 : slash - 1);
      const std::string name =
          slash == std::string::npos ? full : full.substr(slash + 1);
      const prometheus::Labels labels = {{"grpc_type", TypeName(type)},
                                         {"grpc_service", service},
                                         {"grpc_method", name}};
      MethodMetrics& m = it->second.metrics;
      it->second.started = &started_.Add(labels);
      m.received = &received_.Add(labels);
      m.sent = &sent_.Add(labels);
      m.handling = &handling_.Add(labels, LatencyBuckets());
      for (size_t code = 0; code < kCodeNames.size(); ++code) {
        prometheus::Labels with_code = labels;
        with_code["grpc_code"] = kCodeNames[code];
        m.handled[code] = &handled_.Add(with_code);
      }
    }
    it->second.started->Increment();
    return &it->second.metrics;
  }

 private:
  struct Entry {
    prometheus::Counter* started = nullptr;
    MethodMetrics metrics{};
  };

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Histogram>& handling_;
  absl::Mutex mu_;
  // node_hash_map: interceptors keep pointers to the entries.
  absl::node_hash_map<std::string, Entry> methods_ ABSL_GUARDED_BY(mu_);
};

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(MethodMetrics* metrics)
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
      const int code = methods->GetSendStatus().error_code();
      if (code >= 0 && code < static_cast<int>(kCodeNames.size())) {
        metrics_->handled[code]->Increment();
      }
      metrics_->handling->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  MethodMetrics* metrics_;
  absl::Time start_;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(prometheus::Registry& registry)
      : families_(registry) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    if (info->method() == nullptr) return nullptr;
    return new MetricsInterceptor(
        families_.Start(info->method(), info->type()));
  }

 private:
  Families families_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory(prometheus::Registry& registry) {
  return std::make_unique<MetricsInterceptorFactory>(registry);
}

}  // namespace vnstream
