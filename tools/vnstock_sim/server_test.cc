// The HTTP server in-process on an ephemeral port, driven with libcurl.
#include "tools/vnstock_sim/server.h"

#include <curl/curl.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/calendar.h"
#include "libs/market/exchange.h"
#include "libs/vnstock/vci.h"
#include "rapidjson/document.h"
#include "tools/vnstock_sim/simulator.h"
#include "tools/vnstock_sim/vci_json.h"

namespace vnstream::sim {
namespace {

using ::testing::HasSubstr;

constexpr char kPriceBoard[] = "/api/price/symbols/getList";
constexpr char kTicks[] = "/api/market-watch/LEData/getAll";
constexpr char kGapChart[] = "/api/chart/OHLCChart/gap-chart";
constexpr char kListing[] = "/api/price/symbols/getAll";
constexpr char kGroup[] = "/api/price/symbols/getByGroup";
constexpr absl::CivilDay kToday(2019, 6, 14);

struct Reply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // Lower-case names.
  long new_connections = 0;
  absl::Duration elapsed;

  // The header's value, "" if absent; `name` in lower case.
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One libcurl easy handle: requests reuse its connection (keep-alive).
class Client {
 public:
  explicit Client(int port)
      : base_(absl::StrCat("http://127.0.0.1:", port)),
        curl_(curl_easy_init()) {}
  ~Client() { curl_easy_cleanup(curl_); }

  Reply Send(const std::string& method, const std::string& path,
             const std::string& body = "") {
    Reply reply;
    const std::string url = base_ + path;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 20'000L);
    curl_easy_setopt(
        curl_, CURLOPT_CUSTOMREQUEST,
        method == "GET" || method == "POST" ? nullptr : method.c_str());
    if (method == "GET") {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE,
                       static_cast<long>(body.size()));
    }
    curl_slist* headers =
        curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Client::OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Client::OnHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &reply);
    const absl::Time start = absl::Now();
    const CURLcode code = curl_easy_perform(curl_);
    reply.elapsed = absl::Now() - start;
    curl_slist_free_all(headers);
    EXPECT_EQ(code, CURLE_OK) << curl_easy_strerror(code) << " " << path;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &reply.new_connections);
    return reply;
  }

  Reply Post(const std::string& path, const std::string& body) {
    return Send("POST", path, body);
  }

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<Reply*>(user)->body.append(data, size * n);
    return size * n;
  }
  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    const absl::string_view line(data, size * n);
    const size_t colon = line.find(':');
    if (colon != absl::string_view::npos) {
      static_cast<Reply*>(user)
          ->headers[absl::AsciiStrToLower(line.substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
    return size * n;
  }

  const std::string base_;
  CURL* const curl_;
};

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  EXPECT_FALSE(doc.HasParseError()) << text.substr(0, 300);
  return doc;
}

std::string Str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  static void TearDownTestSuite() { curl_global_cleanup(); }

  void SetUp() override { Start({}); }

  void Start(std::vector<std::string> faults) {
    client_.reset();
    server_.reset();
    absl::StatusOr<std::unique_ptr<Simulator>> sim = Simulator::Create({
        .csv = "data/vn30/vn30-daily-2016-2019.csv",
        .today = "2019-06-14",
        .start_time = "10:30",
        .speed = 0,  // Frozen: replies are comparable.
        .faults = std::move(faults),
        .fault_seed = 5,
    });
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = *std::move(sim);
    server_ = std::make_unique<SimServer>(*sim_);
    absl::StatusOr<int> port = server_->Start({.port = 0, .threads = 4});
    ASSERT_TRUE(port.ok()) << port.status();
    ASSERT_GT(*port, 0);
    client_ = std::make_unique<Client>(*port);
  }

  void TearDown() override {
    client_.reset();  // Closes the keep-alive connection first.
    server_.reset();
  }

  Reply AddFault(const std::string& json) {
    Reply reply = client_->Post("/sim/faults", json);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply;
  }

  Snapshot Now() { return sim_->clock().Now(); }

  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ServerTest, PriceBoardServesKnownSymbolsLikeVci) {
  const Reply reply =
      client_->Post(kPriceBoard, R"({"symbols": ["fpt", " VIC", "XXX"]})");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("x-vnstock-sim"), "1");
  EXPECT_EQ(reply.Header("content-type"), "application/json");
  const rapidjson::Document doc = Json(reply.body);
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 2u);  // XXX is omitted.

  const std::optional<Quote> fpt = sim_->market().GetQuote("FPT", Now());
  ASSERT_TRUE(fpt.has_value() && fpt->last.has_value());
  const rapidjson::Value& listing = doc[0]["listingInfo"];
  EXPECT_EQ(Str(listing["symbol"]), "FPT");
  EXPECT_EQ(Str(listing["code"]), "VN000000FPT1");
  EXPECT_EQ(Str(listing["board"]), "HSX");
  EXPECT_EQ(Str(listing["organName"]), "FPT Corp");
  EXPECT_EQ(listing["refPrice"].GetInt64(), 44'550);  // CSV close 06-13.
  EXPECT_EQ(listing["priorClosePrice"].GetInt64(), 44'550);
  EXPECT_EQ(listing["ceiling"].GetInt64(), 47'650);
  EXPECT_EQ(listing["floor"].GetInt64(), 41'450);
  EXPECT_EQ(Str(listing["tradingStatus"]), "TRADING_ACTIVATED");
  EXPECT_EQ(Str(listing["tradingDate"]), "2019-06-14");
  EXPECT_EQ(Str(listing["receivedTime"]), "2019-06-14T03:30:00.000Z");

  const rapidjson::Value& match = doc[0]["matchPrice"];
  EXPECT_EQ(match["matchPrice"].GetInt64(), fpt->last->price);
  EXPECT_EQ(match["matchVol"].GetInt64(), fpt->last->volume);
  EXPECT_EQ(match["accumulatedVolume"].GetInt64(), fpt->last->total_volume);
  // Million VND and VND, rounded to 2 decimals.
  EXPECT_NEAR(match["accumulatedValue"].GetDouble(),
              fpt->last->total_value / 1e6, 0.00501);
  EXPECT_NEAR(
      match["avgMatchPrice"].GetDouble(),
      static_cast<double>(fpt->last->total_value) / fpt->last->total_volume,
      0.00501);
  EXPECT_EQ(match["highest"].GetInt64(), fpt->last->high);
  EXPECT_EQ(match["lowest"].GetInt64(), fpt->last->low);
  EXPECT_EQ(match["referencePrice"].GetInt64(), 44'550);
  EXPECT_EQ(match["foreignBuyVolume"].GetInt64(), fpt->last->foreign_buy);
  EXPECT_EQ(Str(match["session"]), "LO_MORNING");
  EXPECT_EQ(Str(match["matchType"]), std::string(SideName(fpt->last->side)));

  const rapidjson::Value& book = doc[0]["bidAsk"];
  ASSERT_TRUE(book.IsObject());
  ASSERT_EQ(book["bidPrices"].Size(), 3u);
  ASSERT_EQ(book["askPrices"].Size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(book["bidPrices"][i]["price"].GetInt64(), fpt->bids[i].price);
    EXPECT_EQ(book["askPrices"][i]["volume"].GetInt64(), fpt->asks[i].volume);
  }
  EXPECT_EQ(Str(doc[1]["listingInfo"]["symbol"]), "VIC");
}

TEST_F(ServerTest, PriceBoardBeforeTheOpenAndAfterTheClose) {
  ASSERT_EQ(client_->Post("/sim/clock", R"({"time": "08:30"})").status, 200);
  Reply reply = client_->Post(kPriceBoard, R"({"symbols": ["FPT"]})");
  rapidjson::Document doc = Json(reply.body);
  EXPECT_TRUE(doc[0]["bidAsk"].IsNull());
  EXPECT_EQ(doc[0]["matchPrice"]["matchPrice"].GetInt64(), 0);
  EXPECT_EQ(doc[0]["matchPrice"]["accumulatedVolume"].GetInt64(), 0);
  EXPECT_EQ(Str(doc[0]["matchPrice"]["session"]), "STARTED");

  ASSERT_EQ(client_->Post("/sim/clock", R"({"time": "15:05"})").status, 200);
  reply = client_->Post(kPriceBoard, R"({"symbols": ["FPT"]})");
  doc = Json(reply.body);
  // The day's replay, complete: the CSV's 2019-06-14 (all on ticks).
  EXPECT_EQ(doc[0]["matchPrice"]["matchPrice"].GetInt64(), 44'400);  // Close.
  EXPECT_EQ(doc[0]["matchPrice"]["accumulatedVolume"].GetInt64(), 5'598'000);
  EXPECT_EQ(doc[0]["matchPrice"]["highest"].GetInt64(), 44'900);
  EXPECT_EQ(doc[0]["matchPrice"]["lowest"].GetInt64(), 44'400);
  EXPECT_EQ(Str(doc[0]["matchPrice"]["matchType"]), "unknown");  // ATC.
  EXPECT_EQ(Str(doc[0]["matchPrice"]["time"]), "2019-06-14T07:45:00.000Z");
  EXPECT_EQ(Str(doc[0]["bidAsk"]["session"]), "CLOSED");
}

// The board carries the virtual clock (receivedTime of every part, the last
// match's time), so ingest's parser reads each quote in the simulator's
// session and on its date, whatever the real clock says.
TEST_F(ServerTest, PriceBoardQuotesReadInTheSimulatorsSession) {
  const std::map<std::string, v1::TradingSession> vci_sessions = {
      {"STARTED", v1::TRADING_SESSION_PRE_OPEN},
      {"ATO", v1::TRADING_SESSION_ATO},
      {"LO_MORNING", v1::TRADING_SESSION_CONTINUOUS},
      {"LUNCH_BREAK", v1::TRADING_SESSION_LUNCH_BREAK},
      {"LO_AFTERNOON", v1::TRADING_SESSION_CONTINUOUS},
      {"ATC", v1::TRADING_SESSION_ATC},
      {"ENDED", v1::TRADING_SESSION_PUT_THROUGH},
      {"CLOSED", v1::TRADING_SESSION_CLOSED}};
  const market::TradingCalendar calendar;
  std::set<std::string> seen;
  for (const std::string time : {"08:30", "09:05", "10:30", "12:00", "13:30",
                                 "14:35", "14:50", "15:05"}) {
    SCOPED_TRACE(time);
    ASSERT_EQ(
        client_->Post("/sim/clock", absl::StrCat(R"({"time":")", time, R"("})"))
            .status,
        200);
    const Reply reply = client_->Post(kPriceBoard, R"({"symbols": ["FPT"]})");
    const rapidjson::Document doc = Json(reply.body);
    const std::string session = Str(doc[0]["matchPrice"]["session"]);
    seen.insert(session);
    // The virtual time, UTC: 08:30 in Hanoi is 01:30Z.
    const std::string received = absl::FormatTime(
        "2019-06-14T%H:%M:00.000Z",
        absl::FromCivil(absl::CivilSecond(2019, 6, 14, std::stoi(time),
                                          std::stoi(time.substr(3)), 0),
                        market::VietnamTime()),
        absl::UTCTimeZone());
    EXPECT_EQ(Str(doc[0]["listingInfo"]["receivedTime"]), received);
    EXPECT_EQ(Str(doc[0]["matchPrice"]["receivedTime"]), received);

    vnstock::Rejections rejected;
    absl::StatusOr<std::vector<v1::Quote>> quotes =
        vnstock::ParsePriceBoard(reply.body,
                                 {.source = v1::SOURCE_SIMULATOR,
                                  .fetched_at = absl::Now(),
                                  .calendar = &calendar},
                                 &rejected);
    ASSERT_TRUE(quotes.ok()) << quotes.status();
    ASSERT_EQ(quotes->size(), 1u);
    ASSERT_TRUE(vci_sessions.contains(session)) << session;
    EXPECT_EQ((*quotes)[0].session(), vci_sessions.at(session));
    EXPECT_EQ(market::ToCivilDay((*quotes)[0].meta().trading_date()), kToday);
  }
  EXPECT_EQ(seen.size(), 8u);  // Every session once.
}

TEST_F(ServerTest, TicksAreStringsNewestFirstAndPageByTruncTime) {
  Reply reply = client_->Post(
      kTicks, R"({"symbol": "FPT", "limit": 5, "truncTime": null})");
  ASSERT_EQ(reply.status, 200);
  rapidjson::Document doc = Json(reply.body);
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 5u);
  const std::optional<Quote> fpt = sim_->market().GetQuote("FPT", Now());
  EXPECT_EQ(doc[0]["id"].GetInt64(), fpt->last->id);
  EXPECT_EQ(Str(doc[0]["matchPrice"]), absl::StrCat(fpt->last->price, ".0"));
  EXPECT_EQ(Str(doc[0]["accumulatedVolume"]),
            absl::StrCat(fpt->last->total_volume, ".0"));
  EXPECT_EQ(Str(doc[0]["accumulatedValue"]),
            MillionVndText(fpt->last->total_value));
  int64_t previous_time = INT64_MAX;
  for (const rapidjson::Value& tick : doc.GetArray()) {
    EXPECT_EQ(Str(tick["symbol"]), "FPT");
    for (const char* key : {"truncTime", "matchType", "matchVol", "matchPrice",
                            "accumulatedVolume", "accumulatedValue"}) {
      ASSERT_TRUE(tick[key].IsString()) << key;
    }
    EXPECT_TRUE(absl::EndsWith(Str(tick["matchVol"]), "00.0"));
    int64_t time = 0;
    ASSERT_TRUE(absl::SimpleAtoi(Str(tick["truncTime"]), &time));
    EXPECT_LE(time, absl::ToUnixSeconds(Now().now));
    EXPECT_LE(time, previous_time);
    previous_time = time;
  }
  // The next page: strictly older than the cursor, given as a string or a
  // number.
  const std::string cursor = Str(doc[4]["truncTime"]);
  for (const std::string& trunc : {absl::StrCat("\"", cursor, "\""), cursor}) {
    reply = client_->Post(kTicks, absl::StrCat(R"({"symbol":"FPT","limit":3,)",
                                               R"("truncTime":)", trunc, "}"));
    doc = Json(reply.body);
    ASSERT_EQ(doc.Size(), 3u);
    int64_t time = 0;
    ASSERT_TRUE(absl::SimpleAtoi(Str(doc[0]["truncTime"]), &time));
    EXPECT_LT(time, previous_time);
  }
  reply = client_->Post(kTicks, R"({"symbol": "XXX", "limit": 5})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "[]");
}

TEST_F(ServerTest, GapChartServesColumnArrays) {
  const int64_t to = absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(kToday + 1), absl::UTCTimeZone()));
  Reply reply = client_->Post(
      kGapChart,
      absl::StrCat(R"({"timeFrame":"ONE_DAY","symbols":["CTD","XXX"],)",
                   R"("to":)", to, R"(,"countBack":3})"));
  ASSERT_EQ(reply.status, 200);
  rapidjson::Document doc = Json(reply.body);
  ASSERT_EQ(doc.Size(), 1u);
  const rapidjson::Value& ctd = doc[0];
  EXPECT_EQ(Str(ctd["symbol"]), "CTD");
  ASSERT_EQ(ctd["t"].Size(), 3u);
  EXPECT_EQ(Str(ctd["t"][0]), "1560297600");  // 2019-06-12 00:00 UTC.
  EXPECT_EQ(Str(ctd["t"][2]), "1560470400");  // Today.
  // Past days verbatim from the CSV.
  EXPECT_EQ(ctd["o"][1].GetInt64(), 105'900);
  EXPECT_EQ(ctd["h"][1].GetInt64(), 106'300);
  EXPECT_EQ(ctd["l"][1].GetInt64(), 104'300);
  EXPECT_EQ(ctd["c"][1].GetInt64(), 104'300);
  EXPECT_EQ(ctd["v"][1].GetInt64(), 342'200);
  // Today so far.
  const std::optional<Quote> quote = sim_->market().GetQuote("CTD", Now());
  EXPECT_EQ(ctd["c"][2].GetInt64(), quote->last->price);
  EXPECT_EQ(ctd["v"][2].GetInt64(), quote->last->total_volume);
  for (const char* key : {"o", "h", "l", "c", "v"}) {
    EXPECT_EQ(ctd[key].Size(), 3u) << key;
  }

  // Minutes up to 10:00, then hours.
  const int64_t ten =
      absl::ToUnixSeconds(LocalMidnight(kToday) + absl::Hours(10));
  reply = client_->Post(
      kGapChart, absl::StrCat(R"({"timeFrame":"ONE_MINUTE","symbols":["CTD"],)",
                              R"("to":")", ten, R"(","countBack":2})"));
  doc = Json(reply.body);
  ASSERT_EQ(doc[0]["t"].Size(), 2u);
  EXPECT_EQ(Str(doc[0]["t"][1]), absl::StrCat(ten));
  EXPECT_EQ(Str(doc[0]["t"][0]), absl::StrCat(ten - 60));
  reply = client_->Post(
      kGapChart, absl::StrCat(R"({"timeFrame":"ONE_HOUR","symbols":["CTD"],)",
                              R"("to":)", to, R"(,"countBack":10})"));
  doc = Json(reply.body);
  ASSERT_EQ(doc[0]["t"].Size(), 2u);  // 09:00 and 10:00 so far.
  EXPECT_EQ(Str(doc[0]["t"][1]), absl::StrCat(ten));

  // Nothing up to `to`: an element with empty arrays.
  reply = client_->Post(
      kGapChart,
      R"({"timeFrame":"ONE_DAY","symbols":["CTD"],"to":1000,"countBack":5})");
  doc = Json(reply.body);
  ASSERT_EQ(doc.Size(), 1u);
  EXPECT_EQ(doc[0]["c"].Size(), 0u);
}

TEST_F(ServerTest, MalformedBodiesGetA400WithAJsonError) {
  const std::pair<const char*, const char*> cases[] = {
      {kPriceBoard, "{"},
      {kPriceBoard, "[\"FPT\"]"},
      {kPriceBoard, R"({"symbols": "FPT"})"},
      {kPriceBoard, R"({"symbols": ["FPT", 1]})"},
      {kTicks, R"({"limit": 5})"},
      {kTicks, R"({"symbol": "FPT"})"},
      {kTicks, R"({"symbol": "FPT", "limit": 0})"},
      {kTicks, R"({"symbol": "FPT", "limit": 5, "truncTime": "yesterday"})"},
      {kGapChart,
       R"({"timeFrame":"ONE_WEEK","symbols":["FPT"],"to":1,"countBack":1})"},
      {kGapChart, R"({"timeFrame":"ONE_DAY","symbols":["FPT"],"countBack":1})"},
      {kGapChart,
       R"({"timeFrame":"ONE_DAY","symbols":["FPT"],"to":1,"countBack":0})"},
      {kGapChart, R"({"timeFrame":"ONE_DAY","to":1,"countBack":1})"},
      {kGapChart, ""},
  };
  for (const auto& [path, body] : cases) {
    const Reply reply = client_->Post(path, body);
    EXPECT_EQ(reply.status, 400) << path << " " << body;
    EXPECT_EQ(reply.Header("x-vnstock-sim"), "1");
    const rapidjson::Document doc = Json(reply.body);
    ASSERT_TRUE(doc.IsObject()) << reply.body;
    EXPECT_EQ(doc["status"].GetInt(), 400);
    EXPECT_FALSE(Str(doc["message"]).empty());
  }
  const Reply missing = client_->Send("GET", "/api/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("x-vnstock-sim"), "1");
  EXPECT_EQ(Json(missing.body)["status"].GetInt(), 404);
}

TEST_F(ServerTest, ErrorFaultsReplaceTheResponse) {
  const std::string board = R"({"symbols": ["FPT"]})";
  AddFault(R"({"route":"price_board","kind":"http_500","count":1})");
  Reply reply = client_->Post(kPriceBoard, board);
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.Header("x-vnstock-sim"), "1");
  EXPECT_EQ(Json(reply.body)["status"].GetInt(), 500);
  EXPECT_EQ(client_->Post(kPriceBoard, board).status, 200);  // Count used up.

  AddFault(
      R"({"route":"price_board","kind":"http_429","count":1,"retry_after_s":7})");
  reply = client_->Post(kPriceBoard, board);
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.Header("retry-after"), "7");

  AddFault(R"({"route":"price_board","kind":"http_403","count":1})");
  reply = client_->Post(kPriceBoard, board);
  EXPECT_EQ(reply.status, 403);
  EXPECT_THAT(reply.Header("content-type"), HasSubstr("text/html"));
  EXPECT_THAT(reply.body, HasSubstr("Cloudflare"));
  EXPECT_THAT(reply.body, HasSubstr("<html"));
  EXPECT_FALSE(reply.Header("cf-ray").empty());
  EXPECT_EQ(reply.Header("server"), "cloudflare");

  AddFault(R"({"route":"price_board","kind":"cloudflare_1015","count":1})");
  reply = client_->Post(kPriceBoard, board);
  EXPECT_EQ(reply.status, 429);
  EXPECT_THAT(reply.body, HasSubstr("Error 1015"));
  EXPECT_THAT(reply.body, HasSubstr(reply.Header("cf-ray")));

  EXPECT_EQ(client_->Post(kPriceBoard, board).status, 200);
  const rapidjson::Document state =
      Json(client_->Send("GET", "/sim/state").body);
  EXPECT_EQ(state["requests"]["price_board"].GetInt64(), 6);
  const rapidjson::Value& injected = state["faults_injected"]["price_board"];
  for (const char* kind :
       {"http_500", "http_429", "http_403", "cloudflare_1015"}) {
    EXPECT_EQ(injected[kind].GetInt64(), 1) << kind;
  }
  EXPECT_EQ(injected["slow"].GetInt64(), 0);
  EXPECT_EQ(state["faults"].Size(), 0u);
}

TEST_F(ServerTest, ContentFaultsAlterTheBody) {
  const std::string ticks = R"({"symbol": "FPT", "limit": 50})";
  const Reply normal = client_->Post(kTicks, ticks);
  ASSERT_EQ(normal.status, 200);
  ASSERT_GT(normal.body.size(), 100u);

  AddFault(R"({"route":"ticks","kind":"slow","count":1,"delay_ms":300})");
  Reply reply = client_->Post(kTicks, ticks);
  EXPECT_EQ(reply.status, 200);
  EXPECT_GE(reply.elapsed, absl::Milliseconds(300));
  EXPECT_EQ(reply.body, normal.body);

  AddFault(R"({"route":"ticks","kind":"truncated","count":1})");
  reply = client_->Post(kTicks, ticks);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, normal.body.substr(0, normal.body.size() / 2));
  rapidjson::Document doc;
  doc.Parse(reply.body.c_str());
  EXPECT_TRUE(doc.HasParseError());

  AddFault(R"({"kind":"empty","count":1})");  // Every route.
  reply = client_->Post(kTicks, ticks);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "[]");
  EXPECT_EQ(client_->Post(kTicks, ticks).body, normal.body);
}

TEST_F(ServerTest, FaultsApplyPerRouteWithProbabilityUntilDeleted) {
  AddFault(R"({"route":"gap_chart","kind":"http_500","probability":0.5})");
  const std::string chart =
      R"({"timeFrame":"ONE_DAY","symbols":["FPT"],"to":1560470400,"countBack":1})";
  int failures = 0;
  for (int i = 0; i < 40; ++i) {
    const long status = client_->Post(kGapChart, chart).status;
    ASSERT_TRUE(status == 200 || status == 500) << status;
    failures += status == 500;
    // Other routes are untouched.
    ASSERT_EQ(client_->Post(kPriceBoard, R"({"symbols":["FPT"]})").status, 200);
  }
  EXPECT_GT(failures, 5);
  EXPECT_LT(failures, 35);
  rapidjson::Document state = Json(client_->Send("GET", "/sim/state").body);
  EXPECT_EQ(state["faults_injected"]["gap_chart"]["http_500"].GetInt64(),
            failures);
  ASSERT_EQ(state["faults"].Size(), 1u);
  EXPECT_EQ(Str(state["faults"][0]["route"]), "gap_chart");
  EXPECT_EQ(state["faults"][0]["probability"].GetDouble(), 0.5);

  const Reply cleared = client_->Send("DELETE", "/sim/faults");
  EXPECT_EQ(cleared.status, 200);
  EXPECT_EQ(Json(cleared.body)["faults"].Size(), 0u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(client_->Post(kGapChart, chart).status, 200);
  }
}

TEST_F(ServerTest, BadFaultAndClockRequestsAreRejected) {
  for (const char* body :
       {R"({"kind":"http_418"})", R"({"route":"nope","kind":"slow"})",
        R"({"kind":"slow","probability":2})", R"({"kind":"slow","count":-1})",
        R"({"kind":"slow","delay":5})", R"({"count":1})", "[]"}) {
    const Reply reply = client_->Post("/sim/faults", body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_FALSE(Str(Json(reply.body)["message"]).empty());
  }
  for (const char* body : {R"({"time":"25:00"})", R"({"speed":-1})", "{}",
                           R"({"time":930})", R"({"date":"2019-06-14"})"}) {
    EXPECT_EQ(client_->Post("/sim/clock", body).status, 400) << body;
  }
}

TEST_F(ServerTest, StateAndClockControl) {
  rapidjson::Document state = Json(client_->Send("GET", "/sim/state").body);
  EXPECT_EQ(Str(state["today"]), "2019-06-14");
  EXPECT_EQ(Str(state["replay_date"]), "2019-06-14");
  EXPECT_EQ(Str(state["time_of_day"]), "10:30:00");
  EXPECT_EQ(Str(state["virtual_time"]), "2019-06-14T10:30:00+07:00");
  EXPECT_EQ(Str(state["session"]), "LO_MORNING");
  EXPECT_EQ(state["speed"].GetDouble(), 0);
  EXPECT_FALSE(state["loop"].GetBool());

  const Reply reply = client_->Post("/sim/clock", R"({"time":"14:40:30"})");
  ASSERT_EQ(reply.status, 200);
  state = Json(reply.body);
  EXPECT_EQ(Str(state["time_of_day"]), "14:40:30");
  EXPECT_EQ(Str(state["session"]), "ATC");

  state = Json(client_->Post("/sim/clock", R"({"speed":120})").body);
  EXPECT_EQ(state["speed"].GetDouble(), 120);
  EXPECT_EQ(sim_->clock().speed(), 120);
}

TEST_F(ServerTest, KeepsConnectionsAlive) {
  const std::string board = R"({"symbols": ["FPT"]})";
  EXPECT_EQ(client_->Post(kPriceBoard, board).new_connections, 1);
  for (int i = 0; i < 5; ++i) {
    const Reply reply = client_->Post(kPriceBoard, board);
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.new_connections, 0);
  }
}

TEST_F(ServerTest, FaultsFromTheCommandLine) {
  Start({"gap_chart:empty:count=1", "ticks:http_429:retry_after_s=3"});
  const std::string chart =
      R"({"timeFrame":"ONE_DAY","symbols":["FPT"],"to":1560470400,"countBack":1})";
  EXPECT_EQ(client_->Post(kGapChart, chart).body, "[]");
  EXPECT_NE(client_->Post(kGapChart, chart).body, "[]");
  for (int i = 0; i < 3; ++i) {
    const Reply reply = client_->Post(kTicks, R"({"symbol":"FPT","limit":1})");
    EXPECT_EQ(reply.status, 429);
    EXPECT_EQ(reply.Header("retry-after"), "3");
  }
}

TEST_F(ServerTest, ListingAndGroupsAreGets) {
  Reply reply = client_->Send("GET", kListing);
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("x-vnstock-sim"), "1");
  rapidjson::Document listing = Json(reply.body);
  ASSERT_TRUE(listing.IsArray());
  ASSERT_EQ(listing.Size(), 27u);
  const rapidjson::Value& ctd = listing[0];
  EXPECT_EQ(ctd["id"].GetInt(), 1);
  EXPECT_EQ(Str(ctd["symbol"]), "CTD");
  EXPECT_EQ(Str(ctd["type"]), "STOCK");
  EXPECT_EQ(Str(ctd["board"]), "HSX");
  EXPECT_EQ(Str(ctd["organName"]), "Cotec Construction JSC");
  EXPECT_EQ(Str(ctd["enOrganName"]), "Cotec Construction JSC");
  const rapidjson::Value& upcom = listing[26];
  EXPECT_EQ(Str(upcom["symbol"]), "HNXUpcomIndex");
  EXPECT_EQ(Str(upcom["type"]), "INDEX");
  EXPECT_EQ(Str(upcom["board"]), "UPCOM");
  EXPECT_EQ(Str(upcom["organName"]), "UPCoM-Index (simulated)");

  reply = client_->Send("GET", std::string(kGroup) + "?group=VN30");
  ASSERT_EQ(reply.status, 200);
  rapidjson::Document group = Json(reply.body);
  ASSERT_EQ(group.Size(), 22u);
  EXPECT_EQ(Str(group[0]["symbol"]), "CTD");
  EXPECT_EQ(
      Json(client_->Send("GET", std::string(kGroup) + "?group=HNX30").body)
          .Size(),
      0u);
  reply = client_->Send("GET", kGroup);
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(Str(Json(reply.body)["message"]), HasSubstr("group"));
  // Faults apply to the new routes too.
  AddFault(R"({"route":"listing","kind":"http_500","count":1})");
  AddFault(R"({"route":"group","kind":"empty","count":1})");
  EXPECT_EQ(client_->Send("GET", kListing).status, 500);
  EXPECT_EQ(client_->Send("GET", std::string(kGroup) + "?group=VN30").body,
            "[]");
  EXPECT_EQ(client_->Send("GET", kListing).status, 200);
  const rapidjson::Document state =
      Json(client_->Send("GET", "/sim/state").body);
  EXPECT_EQ(state["requests"]["listing"].GetInt64(), 3);
  EXPECT_EQ(state["requests"]["group"].GetInt64(), 4);
  EXPECT_EQ(state["faults_injected"]["listing"]["http_500"].GetInt64(), 1);
}

TEST_F(ServerTest, ControlApiDelistsAndListsAgain) {
  const std::string board = R"({"symbols": ["FPT", "VCB"]})";
  Reply reply =
      client_->Post("/sim/listing", R"({"symbol":"fpt","listed":false})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  rapidjson::Document state = Json(reply.body);
  ASSERT_EQ(state["delisted"].Size(), 1u);
  EXPECT_EQ(Str(state["delisted"][0]), "FPT");
  EXPECT_EQ(Json(client_->Send("GET", kListing).body).Size(), 26u);
  rapidjson::Document quotes = Json(client_->Post(kPriceBoard, board).body);
  ASSERT_EQ(quotes.Size(), 1u);
  EXPECT_EQ(Str(quotes[0]["listingInfo"]["symbol"]), "VCB");

  reply = client_->Post("/sim/listing", R"({"symbol":"FPT","listed":true})");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(Json(reply.body)["delisted"].Size(), 0u);
  EXPECT_EQ(Json(client_->Post(kPriceBoard, board).body).Size(), 2u);

  EXPECT_EQ(
      client_->Post("/sim/listing", R"({"symbol":"ZZZ","listed":true})").status,
      404);
  for (const char* body : {R"({"symbol":"FPT"})", R"({"listed":true})",
                           R"({"symbol":"FPT","listed":"no"})",
                           R"({"symbol":"FPT","listed":true,"x":1})", "[]"}) {
    EXPECT_EQ(client_->Post("/sim/listing", body).status, 400) << body;
  }
}

TEST_F(ServerTest, IndicesAreServedInPointsUnderTheirVciCodes) {
  const Reply reply = client_->Post(
      kGapChart,
      R"({"timeFrame":"ONE_DAY","symbols":["HNXUpcomIndex","VNINDEX","FPT"],"to":1560470400,"countBack":2})");
  ASSERT_EQ(reply.status, 200);
  const rapidjson::Document doc = Json(reply.body);
  ASSERT_EQ(doc.Size(), 3u);
  EXPECT_EQ(Str(doc[0]["symbol"]), "HNXUpcomIndex");
  EXPECT_EQ(Str(doc[1]["symbol"]), "VNINDEX");
  ASSERT_EQ(doc[0]["c"].Size(), 2u);
  // Points with 2 decimals, volumes in shares.
  EXPECT_TRUE(doc[1]["c"][0].IsDouble()) << reply.body.substr(0, 300);
  EXPECT_GT(doc[1]["c"][0].GetDouble(), 100);
  EXPECT_TRUE(doc[1]["v"][0].IsInt64());
  // Indices have no price board and no ticks.
  EXPECT_EQ(client_->Post(kPriceBoard, R"({"symbols":["VNINDEX"]})").body,
            "[]");
  EXPECT_EQ(client_->Post(kTicks, R"({"symbol":"VN30","limit":5})").body, "[]");
}

TEST_F(ServerTest, DelistedFromTheCommandLine) {
  absl::StatusOr<std::unique_ptr<Simulator>> sim = Simulator::Create({
      .csv = "data/vn30/vn30-daily-2016-2019.csv",
      .today = "2019-06-14",
      .delisted = {"VIC", "vnm"},
  });
  ASSERT_TRUE(sim.ok()) << sim.status();
  EXPECT_EQ((*sim)->market().Delisted(),
            (std::vector<std::string>{"VIC", "VNM"}));
  EXPECT_EQ(Simulator::Create({.csv = "data/vn30/vn30-daily-2016-2019.csv",
                               .today = "2019-06-14",
                               .delisted = {"NOPE"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vnstream::sim
