#include "services/gateway/candles.h"

#include "gtest/gtest.h"
#include "libs/candles/fake_store.h"
#include "libs/market/calendar.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace vnstream::gateway {
namespace {

v1::GetCandlesRequest Request() {
  v1::GetCandlesRequest r;
  r.set_symbol("FPT");
  *r.mutable_start() = market::ToTimestamp(absl::FromUnixSeconds(1560000000));
  *r.mutable_end() = market::ToTimestamp(absl::FromUnixSeconds(1570000000));
  r.set_interval(v1::BAR_INTERVAL_ONE_DAY);
  return r;
}

double Errors(prometheus::Registry& registry, const std::string& code) {
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    if (f.name != "vnstream_gateway_candles_store_errors_total") continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      if (m.label[0].value == code) return m.counter.value;
    }
  }
  return 0;
}

TEST(CandlesHandlerTest, WithoutAStoreItIsUnimplemented) {
  prometheus::Registry registry;
  CandlesHandler handler({}, nullptr, registry);
  grpc::ServerContext context;
  const v1::GetCandlesRequest request = Request();
  v1::GetCandlesResponse response;
  const grpc::Status status = handler.GetCandles(&context, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(status.error_message().find("store_dsn"), std::string::npos);
}

TEST(CandlesHandlerTest, AnswersAndMapsStatuses) {
  candles::FakeStore store;
  store.bars[{candles::BarTable::kDaily, "FPT"}] = {
      {absl::FromUnixSeconds(1560445200), 45000'000'000'000, 46000'000'000'000,
       44000'000'000'000, 45500'000'000'000, 1000, true}};
  market::TradingCalendar calendar;
  candles::CandleQuery query({}, store, calendar);
  prometheus::Registry registry;
  CandlesHandler handler({.max_wait = absl::Seconds(5)}, &query, registry);
  grpc::ServerContext context;
  v1::GetCandlesRequest request = Request();
  v1::GetCandlesResponse response;
  ASSERT_TRUE(handler.GetCandles(&context, &request, &response).ok());
  ASSERT_EQ(response.candles_size(), 1);
  EXPECT_EQ(response.candles(0).close().units(), 45500);

  request.set_page_size(50001);
  EXPECT_EQ(handler.GetCandles(&context, &request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Errors(registry, "INVALID_ARGUMENT"), 0)
      << "a bad request is not the store's failure";

  request = Request();
  store.failure = absl::UnavailableError("postgres: connection refused");
  EXPECT_EQ(handler.GetCandles(&context, &request, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Errors(registry, "UNAVAILABLE"), 1);
}

}  // namespace
}  // namespace vnstream::gateway
