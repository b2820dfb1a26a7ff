// vnstream-client: a command-line client of the gateway.
//
//   vnstream-client --target=127.0.0.1:50051 symbols
//   vnstream-client quotes FPT VCB
//   vnstream-client bars FPT
//   vnstream-client history FPT --limit=5
//   vnstream-client subscribe quotes FPT,VCB [--count=N] [--duration=30s]
//     (quotes, bars, history, intraday_analytics, market HOSE,VN30, signals)
//
// Prints one JSON object per line (proto3 JSON mapping). Subscriptions
// resume after disconnects with since_seq (see market_data_client.h).
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "clients/cpp/market_data_client.h"
#include "google/protobuf/util/json_util.h"
#include "libs/base/config.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "Gateway address.");
ABSL_FLAG(int, limit, 0, "history: newest N bars only (0 = all).");
ABSL_FLAG(int, count, 0, "subscribe: stop after N data events (0 = never).");
ABSL_FLAG(absl::Duration, duration, absl::InfiniteDuration(),
          "subscribe: stop after this.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10),
          "Deadline of unary calls.");

namespace vnstream::client {
namespace {

constexpr char kUsage[] =
    "vnstream-client [--target=HOST:PORT] symbols | quotes SYM... | bars SYM | "
    "history SYM [--limit=N] | subscribe "
    "quotes|bars|history|intraday_analytics|market|signals SYM[,SYM...] "
    "[--count=N] [--duration=D]";

void Print(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json << std::endl;
}

int Fail(const grpc::Status& status) {
  std::cerr << "error: " << status.error_code() << " " << status.error_message()
            << std::endl;
  return 1;
}

int Main(int argc, char** argv) {
  std::vector<char*> args = ParseConfig(argc, argv, kUsage);
  // Flags parsed (bad values exit 2 above); nothing else to validate.
  if (CheckConfigOnly()) {
    std::cerr << "configuration is valid" << std::endl;
    return 0;
  }
  if (args.size() < 2) {
    std::cerr << "usage: " << kUsage << std::endl;
    return 2;
  }
  const std::string command = args[1];
  auto channel = MakeChannel(absl::GetFlag(FLAGS_target));
  auto stub = v1::MarketDataService::NewStub(channel);
  auto context = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(
        absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_deadline)));
    return c;
  };
  if (command == "symbols") {
    v1::ListSymbolsResponse response;
    grpc::Status s = stub->ListSymbols(context().get(), {}, &response);
    if (!s.ok()) return Fail(s);
    Print(response);
    return 0;
  }
  if (command == "quotes" && args.size() >= 3) {
    v1::GetQuotesRequest request;
    for (size_t i = 2; i < args.size(); ++i) request.add_symbols(args[i]);
    v1::GetQuotesResponse response;
    grpc::Status s = stub->GetQuotes(context().get(), request, &response);
    if (!s.ok()) return Fail(s);
    Print(response);
    return 0;
  }
  if (command == "bars" && args.size() == 3) {
    v1::GetIntradayBarsRequest request;
    request.set_symbol(args[2]);
    v1::GetIntradayBarsResponse response;
    grpc::Status s = stub->GetIntradayBars(context().get(), request, &response);
    if (!s.ok()) return Fail(s);
    Print(response);
    return 0;
  }
  if (command == "history" && args.size() == 3) {
    v1::GetHistoryRequest request;
    request.set_symbol(args[2]);
    request.set_limit(absl::GetFlag(FLAGS_limit));
    v1::GetHistoryResponse response;
    grpc::Status s = stub->GetHistory(context().get(), request, &response);
    if (!s.ok()) return Fail(s);
    Print(response);
    return 0;
  }
  if (command == "subscribe" && args.size() == 4) {
    SubscriptionOptions options;
    // quotes, bars, history, intraday_analytics, market, signals.
    const std::string kind =
        std::string(args[2]) == "bars" ? "intraday_bars" : args[2];
    if (!v1::Channel_Parse(absl::AsciiStrToUpper("channel_" + kind),
                           &options.channel) ||
        options.channel == v1::CHANNEL_UNSPECIFIED) {
      std::cerr << "usage: " << kUsage << std::endl;
      return 2;
    }
    options.symbols = absl::StrSplit(args[3], ',', absl::SkipEmpty());
    ResumingSubscription subscription(channel, options);
    const int count = absl::GetFlag(FLAGS_count);
    int data_events = 0;
    absl::Notification done;
    std::thread timer([&] {
      done.WaitForNotificationWithTimeout(absl::GetFlag(FLAGS_duration));
      subscription.Cancel();
    });
    const absl::Status status =
        subscription.Run([&](const v1::MarketEvent& event) {
          Print(event);
          if (event.has_quote() || event.has_bar() || event.has_history()) {
            if (count > 0 && ++data_events >= count) subscription.Cancel();
          }
        });
    done.Notify();
    timer.join();
    if (!status.ok()) {
      std::cerr << "error: " << status << std::endl;
      return 1;
    }
    return 0;
  }
  std::cerr << "usage: " << kUsage << std::endl;
  return 2;
}

}  // namespace
}  // namespace vnstream::client

int main(int argc, char** argv) { return vnstream::client::Main(argc, argv); }
