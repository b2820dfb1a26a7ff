// GetCandles on the gateway: the gRPC side of libs/candles' CandleQuery
// over the PostgreSQL history store (the read-only role). Kept apart from
// the streaming service: the query runs on the calling thread (one of the
// service's waiting threads, never gRPC's), bounded by the call's deadline
// (at most `max_wait`) and by the store's connection pool, so a slow or
// absent PostgreSQL costs only GetCandles calls, never the live streams.
//
// Without a store (no store_dsn) GetCandles answers UNIMPLEMENTED; with
// the store unreachable, UNAVAILABLE (retry with backoff).
#ifndef VNSTREAM_SERVICES_GATEWAY_CANDLES_H_
#define VNSTREAM_SERVICES_GATEWAY_CANDLES_H_

#include <memory>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "libs/candles/query.h"
#include "libs/service/prometheus_fwd.h"
#include "vnstream/v1/market_data_service.pb.h"

namespace vnstream::gateway {

struct CandlesOptions {
  // How long a call without a deadline (or a longer one) may take.
  absl::Duration max_wait = absl::Seconds(30);
};

// Thread-safe.
class CandlesHandler {
 public:
  // `query` may be null: no history store configured. Not owned.
  CandlesHandler(CandlesOptions options, const candles::CandleQuery* query,
                 prometheus::Registry& registry);

  // Blocks until the store answers or the call's deadline.
  grpc::Status GetCandles(grpc::ServerContextBase* context,
                          const v1::GetCandlesRequest* request,
                          v1::GetCandlesResponse* response);

 private:
  const CandlesOptions options_;
  const candles::CandleQuery* const query_;
  prometheus::Family<prometheus::Counter>& store_errors_;
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_CANDLES_H_
