#include "services/gateway/candles.h"

#include <chrono>

#include "absl/time/clock.h"
#include "libs/base/logging.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace vnstream::gateway {

CandlesHandler::CandlesHandler(CandlesOptions options,
                               const candles::CandleQuery* query,
                               prometheus::Registry& registry)
    : options_(options),
      query_(query),
      store_errors_(prometheus::BuildCounter()
                        .Name("vnstream_gateway_candles_store_errors_total")
                        .Help("GetCandles calls the history store could not "
                              "answer, by status code.")
                        .Register(registry)) {}

grpc::Status CandlesHandler::GetCandles(grpc::ServerContextBase* context,
                                        const v1::GetCandlesRequest* request,
                                        v1::GetCandlesResponse* response) {
  if (query_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "GetCandles needs the history store, and this gateway "
                        "has none configured (store_dsn)");
  }
  const absl::Time now = absl::Now();
  // gRPC's "no deadline" is a time point far in the future.
  const absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), now + options_.max_wait);
  absl::StatusOr<v1::GetCandlesResponse> result =
      query_->Run(*request, now, deadline);
  if (!result.ok()) {
    const absl::StatusCode code = result.status().code();
    if (code == absl::StatusCode::kUnavailable ||
        code == absl::StatusCode::kDeadlineExceeded ||
        code == absl::StatusCode::kInternal ||
        code == absl::StatusCode::kDataLoss) {
      store_errors_.Add({{"code", absl::StatusCodeToString(code)}}).Increment();
      spdlog::warn("GetCandles {}: {}", request->symbol(), result.status());
    }
    return grpc::Status(static_cast<grpc::StatusCode>(code),
                        std::string(result.status().message()));
  }
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace vnstream::gateway
