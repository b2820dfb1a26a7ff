// Writes request_fuzzer's seed corpus (the input format is described in
// request_fuzzer.cc) into the directory given as the only argument:
//   bazel run //services/gateway:request_fuzzer_seeds -- "$PWD/$dir"
// with dir=services/gateway/testdata/fuzz/request.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "libs/market/calendar.h"
#include "services/gateway/request_fuzzer.h"
#include "vnstream/v1/market_data_service.pb.h"

namespace vnstream::gateway {
namespace {

using namespace request_fuzzer;  // NOLINT: the format's names.

// The same bytes from every build (map entries in key order).
std::string Bytes(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

std::string Input(Method method, Caller caller, const std::string& request) {
  return std::string(1, static_cast<char>(method | caller << 4)) + request;
}
std::string Input(Method method, Caller caller,
                  const google::protobuf::Message& request) {
  return Input(method, caller, Bytes(request));
}

// MarketDataStream messages: a 2-byte big-endian length, then the request.
std::string Stream(Caller caller,
                   const std::vector<v1::MarketDataRequest>& requests) {
  std::string out(1, static_cast<char>(kMarketDataStream | caller << 4));
  for (const v1::MarketDataRequest& r : requests) {
    const std::string bytes = Bytes(r);
    out += static_cast<char>(bytes.size() >> 8);
    out += static_cast<char>(bytes.size() & 0xff);
    out += bytes;
  }
  return out;
}

v1::SubscribeRequest Symbols(const std::vector<std::string>& symbols) {
  v1::SubscribeRequest r;
  for (const std::string& s : symbols) r.add_symbols(s);
  return r;
}

std::vector<std::string> Many(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("S", 100 + i));
  return out;
}

google::protobuf::Timestamp At(int h, int m) {
  return market::ToTimestamp(absl::FromCivil(
      absl::CivilMinute(2026, 11, 25, h, m), market::VietnamTime()));
}

v1::MarketDataRequest Action(const std::string& id) {
  v1::MarketDataRequest r;
  r.set_request_id(id);
  return r;
}
v1::MarketDataRequest Subscribe(const std::string& id, v1::Channel channel,
                                v1::SubscribeRequest request) {
  v1::MarketDataRequest r = Action(id);
  r.mutable_subscribe()->set_channel(channel);
  *r.mutable_subscribe()->mutable_request() = std::move(request);
  return r;
}
v1::MarketDataRequest Unsubscribe(const std::string& id, v1::Channel channel,
                                  v1::SubscribeRequest request) {
  v1::MarketDataRequest r = Action(id);
  r.mutable_unsubscribe()->set_channel(channel);
  *r.mutable_unsubscribe()->mutable_request() = std::move(request);
  return r;
}

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const std::string& name, std::string input) {
    out.emplace_back(name, std::move(input));
  };

  add("list-all", Input(kListSymbols, kOpen, ""));
  v1::ListSymbolsRequest list;
  list.add_exchanges(v1::EXCHANGE_HOSE);
  list.add_groups("VN30");
  list.add_types(v1::INSTRUMENT_TYPE_STOCK);
  add("list-filters", Input(kListSymbols, kSome, list));

  v1::GetQuotesRequest quotes;
  for (const char* s : {"fpt", "VCB", "HPG", "ZZZ", "bad!", "FPT"})
    quotes.add_symbols(s);
  add("quotes", Input(kGetQuotes, kOpen, quotes));
  add("quotes-some-key", Input(kGetQuotes, kSome, quotes));
  v1::GetQuotesRequest many;
  for (const std::string& s : Many(150)) many.add_symbols(s);
  add("quotes-150", Input(kGetQuotes, kFull, many));
  add("quotes-empty", Input(kGetQuotes, kOpen, ""));
  add("quotes-not-protobuf", Input(kGetQuotes, kOpen, "\x0a\xff\x01xyz"));
  add("quotes-unknown-key", Input(kGetQuotes, kUnknown, quotes));

  v1::GetIntradayBarsRequest bars;
  bars.set_symbol("fpt");
  *bars.mutable_since_time() = At(10, 2);
  add("bars-since", Input(kGetIntradayBars, kFull, bars));

  v1::GetHistoryRequest history;
  history.set_symbol("FPT");
  history.set_limit(5);
  add("history-limit", Input(kGetHistory, kOpen, history));
  history.set_limit(-1);
  add("history-negative-limit", Input(kGetHistory, kSome, history));

  v1::GetCandlesRequest candles;
  candles.set_symbol("FPT");
  *candles.mutable_start() = market::ToTimestamp(
      absl::FromCivil(absl::CivilDay(2026, 9, 1), absl::UTCTimeZone()));
  *candles.mutable_end() = At(15, 0);
  candles.set_interval(v1::BAR_INTERVAL_ONE_DAY);
  candles.set_with_indicators(true);
  add("candles-daily", Input(kGetCandles, kOpen, candles));
  *candles.mutable_start() = At(9, 0);
  candles.set_interval(v1::BAR_INTERVAL_FIFTEEN_MINUTES);
  candles.set_page_size(3);
  add("candles-15m-page", Input(kGetCandles, kFull, candles));
  candles.set_page_token("not a token");
  add("candles-bad-token", Input(kGetCandles, kOpen, candles));

  add("sub-quotes",
      Input(kSubscribeQuotes, kOpen, Symbols({"FPT", "zzz", "bad!", "fpt"})));
  v1::SubscribeRequest resume = Symbols({"FPT", "vcb"});
  (*resume.mutable_since_seq())["FPT"] = 3;
  (*resume.mutable_since_seq())["vcb"] = 1;
  add("sub-quotes-resume", Input(kSubscribeQuotes, kFull, resume));
  (*resume.mutable_since_seq())["FPT"] = 99;
  add("sub-quotes-resume-not-held", Input(kSubscribeQuotes, kOpen, resume));
  v1::SubscribeRequest stranger = Symbols({"FPT"});
  (*stranger.mutable_since_seq())["VCB"] = 1;
  add("sub-quotes-resume-unsubscribed",
      Input(kSubscribeQuotes, kOpen, stranger));
  add("sub-quotes-120", Input(kSubscribeQuotes, kOpen, Symbols(Many(120))));
  add("sub-quotes-some-key",
      Input(kSubscribeQuotes, kSome, Symbols({"FPT", "VCB", "BID", "CTG"})));
  add("sub-quotes-empty", Input(kSubscribeQuotes, kOpen, ""));
  v1::SubscribeRequest since_time = Symbols({"fpt", "HPG"});
  *since_time.mutable_since_time() = At(10, 1);
  add("sub-bars-since-time", Input(kSubscribeIntradayBars, kOpen, since_time));
  add("sub-bars-some-key",
      Input(kSubscribeIntradayBars, kSome, Symbols({"FPT"})));
  add("sub-history", Input(kSubscribeHistory, kFull, Symbols({"FPT", "HPG"})));
  add("sub-analytics",
      Input(kSubscribeIntradayAnalytics, kOpen, Symbols({"FPT"})));
  add("sub-market", Input(kSubscribeMarket, kSome, Symbols({"HOSE", "hnx"})));
  v1::SubscribeRequest heartbeat = Symbols({"FPT"});
  heartbeat.mutable_heartbeat_interval()->set_seconds(1);
  add("sub-signals-heartbeat", Input(kSubscribeSignals, kOpen, heartbeat));

  v1::MarketDataRequest list_subscriptions = Action("list");
  list_subscriptions.mutable_list_subscriptions();
  v1::MarketDataRequest ping = Action("ping");
  ping.mutable_ping();
  v1::SubscribeRequest bars_resume = Symbols({"FPT"});
  (*bars_resume.mutable_since_seq())["fpt"] = 2;
  add("stream-actions",
      Stream(kOpen,
             {Subscribe("a", v1::CHANNEL_QUOTES, Symbols({"FPT", "VCB"})),
              Subscribe("b", v1::CHANNEL_INTRADAY_BARS, bars_resume),
              Subscribe("c", v1::CHANNEL_QUOTES, Symbols({"fpt"})),
              list_subscriptions, ping,
              Unsubscribe("d", v1::CHANNEL_QUOTES, Symbols({"vcb"})),
              Subscribe("e", v1::CHANNEL_UNSPECIFIED, Symbols({"FPT"})),
              Action("f")}));
  add("stream-some-key",
      Stream(kSome,
             {Subscribe("a", v1::CHANNEL_QUOTES, Symbols({"FPT", "VCB"})),
              Subscribe("b", v1::CHANNEL_SIGNALS, Symbols({"FPT"})),
              Subscribe("c", v1::CHANNEL_QUOTES, Symbols(Many(4)))}));
  add("stream-120",
      Stream(kFull, {Subscribe("a", v1::CHANNEL_MARKET, Symbols(Many(120)))}));
  add("stream-none", Stream(kOpen, {}));
  return out;
}

}  // namespace
}  // namespace vnstream::gateway

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  for (const auto& [name, input] : vnstream::gateway::Seeds()) {
    std::ofstream out(std::string(argv[1]) + "/" + name, std::ios::binary);
    out << input;
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", name.c_str());
      return 1;
    }
  }
  return 0;
}
