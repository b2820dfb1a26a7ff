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

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "prometheus/registry.h"

namespace vnstream {

// An interceptor factory recording the metrics above in `registry`, which
// must outlive the server. Thread-safe.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory(prometheus::Registry& registry);

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_SERVICE_GRPC_METRICS_H_
