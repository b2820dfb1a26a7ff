// VciClient against a scripted in-process HTTP server: retries, 429 with
// Retry-After, 403, truncated bodies, the circuit breaker, batching and the
// metrics of each.
#include "libs/vnstock/client.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "prometheus/text_serializer.h"

namespace vnstream::vnstock {
namespace {

using ::testing::HasSubstr;

struct Scripted {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;
};

// Serves scripted responses in order (then repeats the last one) and
// records request bodies. Thread-safe.
class FakeVci {
 public:
  FakeVci() {
    const auto handler = [this](const httplib::Request& req,
                                httplib::Response& res) {
      Scripted reply;
      {
        absl::MutexLock lock(&mu_);
        std::string query;
        for (const auto& [k, v] : req.params)
          absl::StrAppend(&query, query.empty() ? "?" : "&", k, "=", v);
        requests_.push_back(
            absl::StrCat(req.method, " ", req.path, query, " ", req.body));
        if (!script_.empty()) {
          reply = script_.front();
          if (script_.size() > 1) script_.pop_front();
        }
      }
      res.status = reply.status;
      for (const auto& [k, v] : reply.headers) res.set_header(k, v);
      res.set_content(reply.body, "application/json");
    };
    server_.Post(R"(/api/.*)", handler);
    server_.Get(R"(/api/.*)", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // cpp-httplib 0.11 has no wait_until_ready(): poll is_running().
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!server_.is_running() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  ~FakeVci() {
    server_.stop();
    thread_.join();
  }

  void Script(std::deque<Scripted> script) {
    absl::MutexLock lock(&mu_);
    script_ = std::move(script);
  }
  std::vector<std::string> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::string base_url() const {
    return absl::StrCat("http://127.0.0.1:", port_, "/api/");
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<Scripted> script_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
};

std::string Board(const std::vector<std::string>& symbols) {
  std::vector<std::string> items;
  for (const std::string& s : symbols) {
    items.push_back(
        absl::StrCat(R"({"listingInfo": {"symbol": ")", s,
                     R"(", "board": "HSX", "ceiling": 107000, "floor": 93000,
      "refPrice": 100000}, "matchPrice": {"matchPrice": 100500, "highest": 101000,
      "lowest": 99000, "accumulatedVolume": 1000}})"));
  }
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

class ClientTest : public ::testing::Test {
 protected:
  VciClientOptions Options() {
    VciClientOptions options;
    options.base_url = fake_.base_url();
    options.request_timeout = absl::Seconds(2);
    options.retry = {.max_attempts = 3,
                     .initial_backoff = absl::Milliseconds(10),
                     .max_backoff = absl::Milliseconds(50)};
    options.requests_per_minute = 6000;
    options.burst = 50;
    options.breaker = {.failure_threshold = 3,
                       .open_duration = absl::Seconds(60)};
    return options;
  }
  absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

  FakeVci fake_;
  market::TradingCalendar calendar_;
  prometheus::Registry registry_;
};

TEST_F(ClientTest, RetriesServerErrorsAndTruncatedBodies) {
  const std::string board = Board({"FPT"});
  fake_.Script({{.status = 500, .body = "oops"},
                {.status = 200, .body = board.substr(0, board.size() / 2)},
                {.status = 200, .body = board}});
  VciClient client(Options(), &calendar_, &registry_);
  const std::vector<std::string> symbols = {"FPT"};
  PriceBoard result = client.FetchPriceBoard(symbols, Deadline());
  EXPECT_TRUE(result.errors.empty());
  ASSERT_EQ(result.quotes.size(), 1u);
  EXPECT_EQ(result.quotes[0].meta().source(), v1::SOURCE_VCI);
  EXPECT_EQ(fake_.requests().size(), 3u);
  const std::string metrics = Scrape(registry_);
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(vnstream_vnstock_retries_total{endpoint="price_board"} 2)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_vnstock_requests_total{endpoint="price_board",outcome="http_5xx"} 1)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_vnstock_requests_total{endpoint="price_board",outcome="bad_response"} 1)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_vnstock_requests_total{endpoint="price_board",outcome="ok"} 1)"));
}

TEST_F(ClientTest, HonoursRetryAfter) {
  fake_.Script(
      {{.status = 429, .body = "slow down", .headers = {{"Retry-After", "1"}}},
       {.status = 200, .body = Board({"FPT"})}});
  VciClient client(Options(), &calendar_, &registry_);
  const std::vector<std::string> symbols = {"FPT"};
  const absl::Time start = absl::Now();
  PriceBoard result = client.FetchPriceBoard(symbols, Deadline());
  EXPECT_EQ(result.quotes.size(), 1u);
  EXPECT_GE(absl::Now() - start, absl::Seconds(1))
      << "Retry-After: 1 was not waited";
  EXPECT_THAT(
      Scrape(registry_),
      HasSubstr(
          R"(vnstream_vnstock_requests_total{endpoint="price_board",outcome="http_429"} 1)"));
}

TEST_F(ClientTest, ForbiddenIsNotRetried) {
  fake_.Script(
      {{.status = 403, .body = "<html>Access denied | cloudflare</html>"}});
  VciClient client(Options(), &calendar_, &registry_);
  const std::vector<std::string> symbols = {"FPT"};
  PriceBoard result = client.FetchPriceBoard(symbols, Deadline());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(result.quotes.empty());
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ClientTest, CircuitOpensAfterRepeatedFailuresAndStopsCalling) {
  fake_.Script({{.status = 503, .body = "down"}});
  VciClient client(Options(), &calendar_, &registry_);
  const std::vector<std::string> symbols = {"FPT"};
  // 3 attempts fail -> the breaker (threshold 3) opens.
  PriceBoard first = client.FetchPriceBoard(symbols, Deadline());
  ASSERT_EQ(first.errors.size(), 1u);
  EXPECT_EQ(fake_.requests().size(), 3u);
  PriceBoard second = client.FetchPriceBoard(symbols, Deadline());
  ASSERT_EQ(second.errors.size(), 1u);
  EXPECT_THAT(second.errors[0].message(), HasSubstr("circuit open"));
  EXPECT_EQ(fake_.requests().size(), 3u) << "an open circuit must not call";
  const std::string metrics = Scrape(registry_);
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(vnstream_vnstock_circuit_state{endpoint="price_board"} 2)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_vnstock_requests_total{endpoint="price_board",outcome="circuit_open"} 1)"));
  // Other endpoints have their own breaker.
  fake_.Script({{.status = 200, .body = "[]"}});
  Bars bars = client.FetchBars(symbols, TimeFrame::kOneDay, absl::Now(), 10,
                               Deadline());
  EXPECT_TRUE(bars.errors.empty());
}

TEST_F(ClientTest, BatchesSymbolsAndLabelsTheSimulator) {
  fake_.Script({{.status = 200,
                 .body = Board({"AAA", "BBB"}),
                 .headers = {{"X-Vnstock-Sim", "1"}}}});
  VciClientOptions options = Options();
  options.max_symbols_per_request = 2;
  VciClient client(options, &calendar_, &registry_);
  const std::vector<std::string> symbols = {"AAA", "BBB", "CCC", "DDD", "EEE"};
  PriceBoard result = client.FetchPriceBoard(symbols, Deadline());
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.quotes.size(), 6u)
      << "3 batches, each answered with 2 quotes";
  EXPECT_EQ(result.quotes[0].meta().source(), v1::SOURCE_SIMULATOR);
  std::vector<std::string> requests = fake_.requests();
  ASSERT_EQ(requests.size(), 3u);
  std::sort(requests.begin(), requests.end());
  EXPECT_EQ(requests[0],
            R"(POST /api/price/symbols/getList {"symbols":["AAA","BBB"]})");
  EXPECT_EQ(requests[1],
            R"(POST /api/price/symbols/getList {"symbols":["CCC","DDD"]})");
  EXPECT_EQ(requests[2],
            R"(POST /api/price/symbols/getList {"symbols":["EEE"]})");
}

TEST_F(ClientTest, ListingAndGroupsAreGetsWithRetries) {
  fake_.Script({{.status = 503},
                {.status = 200,
                 .body = R"([{"symbol": "FPT", "type": "STOCK", "board": "HSX",
                             "organName": "FPT"}, {"symbol": "??"}])",
                 .headers = {{"X-Vnstock-Sim", "1"}}},
                {.status = 200, .body = R"([{"symbol": "VCB"}])"}});
  VciClient client(Options(), &calendar_, &registry_);
  absl::StatusOr<Listing> listing = client.FetchListing(Deadline());
  ASSERT_TRUE(listing.ok()) << listing.status();
  ASSERT_EQ(listing->securities.size(), 1u);
  EXPECT_EQ(listing->securities[0].symbol, "FPT");
  EXPECT_EQ(listing->rejected.size(), 1u);
  EXPECT_EQ(listing->source, v1::SOURCE_SIMULATOR);
  absl::StatusOr<std::vector<std::string>> group =
      client.FetchGroup("VN30", Deadline());
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_THAT(*group, ::testing::ElementsAre("VCB"));
  EXPECT_EQ(client.FetchGroup("VN30&x=1", Deadline()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      fake_.requests(),
      ::testing::ElementsAre("GET /api/price/symbols/getAll ",
                             "GET /api/price/symbols/getAll ",
                             "GET /api/price/symbols/getByGroup?group=VN30 "));
  const std::string metrics = Scrape(registry_);
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_vnstock_requests_total{endpoint="listing",outcome="http_5xx"} 1)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_vnstock_records_rejected_total{endpoint="listing"} 1)"));
}

TEST_F(ClientTest, RateLimitRefusesWhenTheDeadlineIsTooClose) {
  fake_.Script({{.status = 200, .body = "[]"}});
  VciClientOptions options = Options();
  options.requests_per_minute = 1;
  options.burst = 1;
  VciClient client(options, &calendar_, &registry_);
  const std::vector<std::string> symbols = {"FPT"};
  EXPECT_TRUE(client.FetchPriceBoard(symbols, Deadline()).errors.empty());
  PriceBoard second =
      client.FetchPriceBoard(symbols, absl::Now() + absl::Seconds(1));
  ASSERT_EQ(second.errors.size(), 1u);
  EXPECT_EQ(second.errors[0].code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ClientTest, TransportErrorsAreUnavailable) {
  VciClientOptions options = Options();
  options.base_url = "http://127.0.0.1:1/api/";  // Nothing listens there.
  VciClient client(options, &calendar_, &registry_);
  absl::StatusOr<std::vector<Tick>> ticks =
      client.FetchTicks("FPT", 10, absl::Now() + absl::Seconds(5));
  EXPECT_EQ(ticks.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(
      Scrape(registry_),
      HasSubstr(
          R"(vnstream_vnstock_requests_total{endpoint="ticks",outcome="unavailable"} 3)"));
}

}  // namespace
}  // namespace vnstream::vnstock
