// gRPC server metrics with the go-grpc-prometheus names, so the usual
// dashboards and alerts work unchanged:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_msg_received_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_msg_sent_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method}
//   (histogram)
#ifndef VNSTREAM_LIBS_SERVICE_GRPC_METRICS_H_
#define VNSTREAM_LIBS_SERVICE_GRPC_METRICS_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace vnstream {

// The metrics of one method, resolved once: recording only increments.
// Thread-safe (prometheus-cpp's metrics are).
struct GrpcMethodMetrics {
  prometheus::Counter* started = nullptr;
  prometheus::Counter* received = nullptr;
  prometheus::Counter* sent = nullptr;
  prometheus::Histogram* handling = nullptr;
  // By grpc::StatusCode.
  std::array<prometheus::Counter*, 17> handled{};

  // A call of the method ended with `code` after `elapsed`.
  void Handled(grpc::StatusCode code, absl::Duration elapsed);
};

// The families above in one registry, and each method's series, made on
// first use (a family registered again in the registry is merged).
// Thread-safe.
class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // `method` as gRPC names it: "/package.Service/Method". Valid as long as
  // the registry.
  GrpcMethodMetrics* Method(const std::string& method,
                            grpc::experimental::ServerRpcInfo::Type type);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Histogram>& handling_;
  absl::Mutex mu_;
  // node_hash_map: callers keep pointers to the entries.
  absl::node_hash_map<std::string, GrpcMethodMetrics> methods_
      ABSL_GUARDED_BY(mu_);
};

// Implemented by a service that records the metrics above for some of its
// methods itself (GrpcMethodMetrics), so that its calls skip the
// interceptor: with any interceptor on a call, gRPC runs its interception
// machinery on every message (at 10,000 streams it was ~4% of the
// gateway's CPU).
class GrpcSelfRecordingService {
 public:
  virtual ~GrpcSelfRecordingService() = default;
  // "/package.Service/Method" of each method the service records itself.
  virtual std::vector<std::string> SelfRecordedMethods() const = 0;
};

// An interceptor factory recording the metrics above in `registry`, which
// must outlive the server, for every call but those of `self_recorded`
// methods ("/package.Service/Method"). Thread-safe.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory(prometheus::Registry& registry,
                                  std::vector<std::string> self_recorded = {});

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_SERVICE_GRPC_METRICS_H_
