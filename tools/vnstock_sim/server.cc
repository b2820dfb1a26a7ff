#include "tools/vnstock_sim/server.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "libs/market/exchange.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tools/vnstock_sim/vci_json.h"

namespace vnstream::sim {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr char kJson[] = "application/json";

std::string ErrorJson(int status, absl::string_view message) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("status");
  w.Int(status);
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return buffer.GetString();
}

void RespondError(httplib::Response& response, int status,
                  absl::string_view message) {
  response.status = status;
  response.set_content(ErrorJson(status, message), kJson);
}

// Cloudflare's pages, trimmed to what clients look at: the title, the
// error code ("Error 1015", which vnstock-js detects) and the ray id.
std::string CloudflarePage(absl::string_view ray, bool rate_limited) {
  const absl::string_view title =
      rate_limited ? "Access denied | trading.vietcap.com.vn used Cloudflare "
                     "to restrict access"
                   : "Attention Required! | Cloudflare";
  const absl::string_view body =
      rate_limited
          ? "<h1>Error 1015</h1>\n"
            "<h2>You are being rate limited</h2>\n"
            "<p>The owner of this website (trading.vietcap.com.vn) has banned "
            "you temporarily from accessing this website.</p>"
          : "<h1>Sorry, you have been blocked</h1>\n"
            "<h2>You are unable to access vietcap.com.vn</h2>\n"
            "<p>This website is using a security service to protect itself "
            "from online attacks.</p>";
  return absl::StrCat("<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>",
                      title,
                      "</title>\n<meta charset=\"UTF-8\" />\n</head>\n<body>\n"
                      "<div id=\"cf-wrapper\">\n",
                      body, "\n<p>Cloudflare Ray ID: <strong>", ray,
                      "</strong></p>\n</div>\n</body>\n</html>\n");
}

void RespondWithFault(const FaultRule& fault, uint64_t ray_number,
                      httplib::Response& response) {
  const std::string ray =
      absl::StrFormat("%016x-SIN", SeedFrom(absl::StrCat(ray_number)));
  switch (fault.kind) {
    case FaultKind::kHttp500:
      RespondError(response, 500, "Internal Server Error");
      return;
    case FaultKind::kHttp429:
      response.set_header("Retry-After", absl::StrCat(fault.retry_after_s));
      RespondError(response, 429, "Too Many Requests");
      return;
    case FaultKind::kHttp403:
    case FaultKind::kCloudflare1015:
      response.status = fault.kind == FaultKind::kHttp403 ? 403 : 429;
      response.set_header("Server", "cloudflare");
      response.set_header("CF-RAY", ray);
      response.set_content(
          CloudflarePage(ray, fault.kind == FaultKind::kCloudflare1015),
          "text/html; charset=UTF-8");
      return;
    case FaultKind::kSlow:
    case FaultKind::kTruncated:
    case FaultKind::kEmpty:
      break;  // Not error responses.
  }
}

bool IsErrorResponse(FaultKind kind) {
  return kind == FaultKind::kHttp500 || kind == FaultKind::kHttp429 ||
         kind == FaultKind::kHttp403 || kind == FaultKind::kCloudflare1015;
}

// {"route": "ticks" | "all" (default), "kind": "http_500", "count": 3,
//  "probability": 0.5, "delay_ms": 2000, "retry_after_s": 30}
absl::StatusOr<FaultRule> ParseFaultRule(absl::string_view body) {
  rapidjson::Document doc;
  if (absl::Status s = ParseJsonObject(body, doc); !s.ok()) return s;
  FaultRule rule;
  bool has_kind = false;
  for (const auto& member : std::as_const(doc).GetObject()) {
    const absl::string_view key(member.name.GetString(),
                                member.name.GetStringLength());
    const rapidjson::Value& v = member.value;
    auto bad = [&key](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("'", key, "' ", what));
    };
    if (key == "route" || key == "kind") {
      if (!v.IsString()) return bad("must be a string");
      const absl::string_view name(v.GetString(), v.GetStringLength());
      if (key == "kind") {
        absl::StatusOr<FaultKind> kind = ParseFaultKind(name);
        if (!kind.ok()) return kind.status();
        rule.kind = *kind;
        has_kind = true;
      } else if (name != "all") {
        absl::StatusOr<Route> route = ParseRoute(name);
        if (!route.ok()) return route.status();
        rule.route = *route;
      }
    } else if (key == "probability") {
      if (!v.IsNumber()) return bad("must be a number");
      rule.probability = v.GetDouble();
    } else if (key == "count" || key == "delay_ms" || key == "retry_after_s") {
      if (!v.IsInt64()) return bad("must be an integer");
      int64_t* target = key == "count"      ? &rule.count
                        : key == "delay_ms" ? &rule.delay_ms
                                            : &rule.retry_after_s;
      *target = v.GetInt64();
    } else {
      return bad("is not a fault setting");
    }
  }
  if (!has_kind) return absl::InvalidArgumentError("'kind' is required");
  if (absl::Status s = rule.Validate(); !s.ok()) return s;
  return rule;
}

}  // namespace

SimServer::SimServer(Simulator& sim) : sim_(sim) {
  http_.set_default_headers({{"X-Vnstock-Sim", "1"}});
  // Clients poll every few seconds over one connection (the reference's
  // "Connection: keep-alive").
  http_.set_keep_alive_max_count(1000);
  http_.set_keep_alive_timeout(15);
  http_.set_payload_max_length(1 << 20);
  // httplib writes the headers and the body separately: without this, Nagle
  // and delayed ACKs add ~40 ms to every keep-alive exchange.
  http_.set_tcp_nodelay(true);
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        res.set_content(
            ErrorJson(res.status, res.status == 404 ? "Not Found" : "Error"),
            kJson);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_.set_logger(
      [](const httplib::Request& req, const httplib::Response& res) {
        spdlog::debug("{} {} -> {} ({} bytes)", req.method, req.path,
                      res.status, res.body.size());
      });

  const std::pair<const char*, Route> vci_routes[] = {
      {"/api/price/symbols/getList", Route::kPriceBoard},
      {"/api/market-watch/LEData/getAll", Route::kTicks},
      {"/api/chart/OHLCChart/gap-chart", Route::kGapChart},
  };
  for (const auto& [path, route] : vci_routes) {
    http_.Post(path, [this, route = route](const httplib::Request& req,
                                           httplib::Response& res) {
      ServeVci(route, req, res);
    });
  }
  const std::pair<const char*, Route> vci_get_routes[] = {
      {"/api/price/symbols/getAll", Route::kListing},
      {"/api/price/symbols/getByGroup", Route::kGroup},
  };
  for (const auto& [path, route] : vci_get_routes) {
    http_.Get(path, [this, route = route](const httplib::Request& req,
                                          httplib::Response& res) {
      ServeVci(route, req, res);
    });
  }
  http_.Get("/sim/state", [this](const httplib::Request&,
                                 httplib::Response& res) { ServeState(res); });
  http_.Post("/sim/faults",
             [this](const httplib::Request& req, httplib::Response& res) {
               ServeAddFault(req, res);
             });
  http_.Delete("/sim/faults",
               [this](const httplib::Request&, httplib::Response& res) {
                 sim_.faults().Clear();
                 spdlog::info("faults cleared");
                 ServeState(res);
               });
  http_.Post("/sim/clock",
             [this](const httplib::Request& req, httplib::Response& res) {
               ServeSetClock(req, res);
             });
  http_.Post("/sim/listing",
             [this](const httplib::Request& req, httplib::Response& res) {
               ServeSetListed(req, res);
             });
}

SimServer::~SimServer() { Stop(); }

absl::StatusOr<int> SimServer::Start(const Options& options) {
  const int threads = options.threads;
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  int port = options.port;
  if (port == 0) {
    port = http_.bind_to_any_port(options.host);
  } else if (!http_.bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.host, ":", options.port));
  }
  thread_ = std::thread([this] { http_.listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs: wait for it,
  // so that Stop() right after Start() cannot hang.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!http_.is_running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!http_.is_running()) {
    Stop();
    return absl::InternalError("the HTTP server did not start");
  }
  return port;
}

void SimServer::Stop() {
  if (!thread_.joinable()) return;
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  http_.stop();
  thread_.join();
}

void SimServer::ServeVci(Route route, const httplib::Request& request,
                         httplib::Response& response) {
  const std::optional<FaultRule> fault = sim_.faults().OnRequest(route);
  if (fault.has_value()) {
    spdlog::info("{} {}: injecting {}", request.method, request.path,
                 FaultKindName(fault->kind));
    if (IsErrorResponse(fault->kind)) {
      RespondWithFault(*fault, ++rays_, response);
      return;
    }
    if (fault->kind == FaultKind::kSlow) {
      stopping_.WaitForNotificationWithTimeout(
          absl::Milliseconds(fault->delay_ms));
    }
  }
  absl::StatusOr<std::string> body = Answer(route, request);
  if (!body.ok()) {
    RespondError(response, 400, body.status().message());
    return;
  }
  if (fault.has_value() && fault->kind == FaultKind::kTruncated) {
    body->resize(body->size() / 2);
  } else if (fault.has_value() && fault->kind == FaultKind::kEmpty) {
    *body = "[]";
  }
  response.set_content(*std::move(body), kJson);
}

absl::StatusOr<std::string> SimServer::Answer(Route route,
                                              const httplib::Request& request) {
  SimMarket& market = sim_.market();
  const Snapshot snapshot = sim_.clock().Now();
  const std::string& body = request.body;
  switch (route) {
    case Route::kListing:
      return ListingJson(market.Listing(snapshot));
    case Route::kGroup: {
      const std::string group = request.get_param_value("group");
      if (group.empty()) {
        return absl::InvalidArgumentError("the 'group' parameter is required");
      }
      return GroupJson(market.Group(group, snapshot));
    }
    case Route::kPriceBoard: {
      absl::StatusOr<std::vector<std::string>> symbols =
          ParsePriceBoardRequest(body);
      if (!symbols.ok()) return symbols.status();
      std::vector<Quote> quotes;
      for (const std::string& symbol : *symbols) {
        std::optional<Quote> quote = market.GetQuote(symbol, snapshot);
        if (quote.has_value()) quotes.push_back(*std::move(quote));
      }
      return PriceBoardJson(quotes, snapshot.now);
    }
    case Route::kTicks: {
      absl::StatusOr<TicksRequest> ticks = ParseTicksRequest(body);
      if (!ticks.ok()) return ticks.status();
      const std::optional<TickPage> page = market.GetTicks(
          ticks->symbol, snapshot, ticks->limit, ticks->trunc_time);
      return page.has_value() ? TicksJson(ticks->symbol, *page) : "[]";
    }
    case Route::kGapChart:
      break;
  }
  absl::StatusOr<GapChartRequest> chart = ParseGapChartRequest(body);
  if (!chart.ok()) return chart.status();
  std::vector<BarSeries> series;
  for (const std::string& symbol : chart->symbols) {
    std::optional<BarSeries> bars = market.GetBars(
        symbol, chart->time_frame, snapshot, chart->to, chart->count_back);
    if (bars.has_value()) series.push_back(*std::move(bars));
  }
  return GapChartJson(series);
}

void SimServer::ServeState(httplib::Response& response) {
  const Snapshot snapshot = sim_.clock().Now();
  const FaultInjector::Stats stats = sim_.faults().GetStats();
  const absl::Duration time_of_day =
      snapshot.now - LocalMidnight(snapshot.today);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  auto field = [&w](const char* key, absl::string_view value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  field("virtual_time", absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", snapshot.now,
                                         market::VietnamTime()));
  field("today", absl::FormatCivilTime(snapshot.today));
  field("replay_date", absl::FormatCivilTime(
                           sim_.market().data().days[snapshot.replay_index]));
  field("time_of_day", FormatTimeOfDay(time_of_day));
  field("session", VciSessionName(time_of_day));
  w.Key("speed");
  w.Double(sim_.clock().speed());
  w.Key("loop");
  w.Bool(sim_.clock().loop());
  w.Key("normalised_bars");
  int normalised = 0;
  for (const market::SymbolHistory& h : sim_.market().data().symbols) {
    normalised += h.normalised;
  }
  w.Int(normalised);
  w.Key("delisted");
  w.StartArray();
  for (const std::string& symbol : sim_.market().Delisted()) {
    w.String(symbol.c_str(), static_cast<rapidjson::SizeType>(symbol.size()));
  }
  w.EndArray();
  w.Key("indices");
  w.StartArray();
  for (const SimIndex& index : sim_.market().indices()) {
    w.StartObject();
    field("symbol", index.info->vci_code);
    field("name", index.name);
    w.Key("constituents");
    w.Int(static_cast<int>(index.constituents.size()));
    w.EndObject();
  }
  w.EndArray();
  w.Key("requests");
  w.StartObject();
  for (Route route : kAllRoutes) {
    const absl::string_view name = RouteName(route);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.Int64(stats.requests[static_cast<size_t>(route)]);
  }
  w.EndObject();
  w.Key("faults_injected");
  w.StartObject();
  for (Route route : kAllRoutes) {
    const absl::string_view name = RouteName(route);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    for (FaultKind kind : kAllFaultKinds) {
      const absl::string_view kind_name = FaultKindName(kind);
      w.Key(kind_name.data(),
            static_cast<rapidjson::SizeType>(kind_name.size()));
      w.Int64(stats.injected[static_cast<size_t>(route)]
                            [static_cast<size_t>(kind)]);
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("faults");
  w.StartArray();
  for (const FaultRule& rule : stats.rules) {
    w.StartObject();
    field("route", rule.route ? RouteName(*rule.route) : "all");
    field("kind", FaultKindName(rule.kind));
    w.Key("count");
    w.Int64(rule.count);
    w.Key("probability");
    w.Double(rule.probability);
    w.Key("delay_ms");
    w.Int64(rule.delay_ms);
    w.Key("retry_after_s");
    w.Int64(rule.retry_after_s);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  response.set_content(buffer.GetString(), kJson);
}

void SimServer::ServeAddFault(const httplib::Request& request,
                              httplib::Response& response) {
  absl::StatusOr<FaultRule> rule = ParseFaultRule(request.body);
  if (!rule.ok()) {
    RespondError(response, 400, rule.status().message());
    return;
  }
  spdlog::info("fault added: {} on {} (count {}, probability {})",
               FaultKindName(rule->kind),
               rule->route ? RouteName(*rule->route) : "all", rule->count,
               rule->probability);
  sim_.faults().Add(*std::move(rule));
  ServeState(response);
}

// {"time": "10:30" | "10:30:15", "speed": 0}; either or both.
void SimServer::ServeSetClock(const httplib::Request& request,
                              httplib::Response& response) {
  rapidjson::Document doc;
  if (absl::Status s = ParseJsonObject(request.body, doc); !s.ok()) {
    RespondError(response, 400, s.message());
    return;
  }
  const Snapshot now = sim_.clock().Now();
  absl::Duration time_of_day = now.now - LocalMidnight(now.today);
  std::optional<double> speed;
  bool any = false;
  for (const auto& member : std::as_const(doc).GetObject()) {
    const absl::string_view key(member.name.GetString(),
                                member.name.GetStringLength());
    const rapidjson::Value& v = member.value;
    if (key == "time" && v.IsString()) {
      absl::StatusOr<absl::Duration> parsed =
          ParseTimeOfDay(absl::string_view(v.GetString(), v.GetStringLength()));
      if (!parsed.ok()) {
        RespondError(response, 400, parsed.status().message());
        return;
      }
      time_of_day = *parsed;
    } else if (key == "speed" && v.IsNumber() && v.GetDouble() >= 0) {
      speed = v.GetDouble();
    } else {
      RespondError(response, 400,
                   absl::StrCat("'", key,
                                "': expected \"time\": \"HH:MM[:SS]\" or "
                                "\"speed\": a number >= 0"));
      return;
    }
    any = true;
  }
  if (!any) {
    RespondError(response, 400, "expected \"time\" and/or \"speed\"");
    return;
  }
  sim_.clock().Set(time_of_day, speed);
  spdlog::info("clock set to {} (speed {})", FormatTimeOfDay(time_of_day),
               sim_.clock().speed());
  ServeState(response);
}

// {"symbol": "FPT", "listed": false}.
void SimServer::ServeSetListed(const httplib::Request& request,
                               httplib::Response& response) {
  rapidjson::Document doc;
  if (absl::Status s = ParseJsonObject(request.body, doc); !s.ok()) {
    RespondError(response, 400, s.message());
    return;
  }
  // Const iterators: rapidjson 1.1's non-const ones make C++20's reversed
  // == ambiguous (clang -Wambiguous-reversed-operator).
  const rapidjson::Value& object = doc;
  auto symbol = object.FindMember("symbol");
  auto listed = object.FindMember("listed");
  if (symbol == object.MemberEnd() || !symbol->value.IsString() ||
      listed == object.MemberEnd() || !listed->value.IsBool() ||
      doc.MemberCount() != 2) {
    RespondError(response, 400,
                 "expected {\"symbol\": \"FPT\", \"listed\": true|false}");
    return;
  }
  const std::string name = market::NormalizeSymbol(absl::string_view(
      symbol->value.GetString(), symbol->value.GetStringLength()));
  if (absl::Status s = sim_.market().SetListed(name, listed->value.GetBool());
      !s.ok()) {
    RespondError(response, 404, s.message());
    return;
  }
  spdlog::info("{} {}", name, listed->value.GetBool() ? "listed" : "delisted");
  ServeState(response);
}

}  // namespace vnstream::sim
