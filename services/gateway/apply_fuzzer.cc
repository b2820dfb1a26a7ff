// libFuzzer target: Kafka records any producer could have written, decoded
// as the gateway's Kafka feed decodes them and applied to its MarketState
// one after the other, then read back through every path a client has: the
// unary reads, ListSymbols, and a subscription of every channel (snapshot,
// and a resume from a seq taken from the input).
//
// Input: records separated by "\n====\n"; each is one byte choosing the
// (channel, topic) route in channel.h's declaration order, then key, type
// header and schema-version header separated by NUL bytes, then the payload
// (the format of libs/kafka's record_fuzzer, whose corpus seeds this one).
// Whatever the bytes, nothing may crash, and a subscriber must receive its
// snapshot end exactly once.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/kafka/record.h"
#include "prometheus/registry.h"
#include "services/gateway/channel.h"
#include "services/gateway/market_state.h"
#include "services/gateway/metrics.h"
#include "services/gateway/subscriber.h"

namespace vnstream::gateway {
namespace {

struct Route {
  Channel channel;
  int source;
  const google::protobuf::Message* prototype;
};

const std::vector<Route>& Routes() {
  static const auto* routes = [] {
    auto* out = new std::vector<Route>;
    for (const ChannelDef& def : Channels()) {
      for (size_t i = 0; i < def.topics.size(); ++i) {
        out->push_back({def.id, static_cast<int>(i), def.topics[i].prototype});
      }
    }
    return out;
  }();
  return *routes;
}

// Completes every write at once and counts snapshot ends.
class CountingWriter : public StreamWriter {
 public:
  // The bytes must be a MarketEvent: what a client would receive.
  void Write(absl::string_view wire, absl::string_view suffix) override {
    v1::MarketEvent event;
    if (!event.ParseFromString(absl::StrCat(wire, suffix))) std::abort();
    ends += event.has_snapshot_end();
    pending = true;
  }
  void Finish(const absl::Status&) override {}
  absl::Status OverByteBudget(const std::string& detail) override {
    return absl::ResourceExhaustedError(detail);
  }
  // Never called: nothing here calls MaybeHeartbeat.
  void Cancel(const absl::Status&) override {}
  int ends = 0;
  bool pending = false;
};

}  // namespace
}  // namespace vnstream::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vnstream;
  using namespace vnstream::gateway;
  static prometheus::Registry* registry = new prometheus::Registry;
  static GatewayMetrics* metrics = new GatewayMetrics(*registry);
  MarketState state(metrics);
  std::set<std::string> symbols;
  uint64_t resume_seq = 0;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  for (absl::string_view chunk : absl::StrSplit(input, "\n====\n")) {
    if (chunk.empty()) continue;
    const Route& route =
        Routes()[static_cast<uint8_t>(chunk[0]) % Routes().size()];
    resume_seq = resume_seq * 31 + static_cast<uint8_t>(chunk[0]);
    std::vector<absl::string_view> parts =
        absl::StrSplit(chunk.substr(1), absl::MaxSplits('\0', 3));
    parts.resize(4, absl::string_view(""));
    const std::string key(parts[0]);
    RecordPtr record(route.prototype->New());
    if (!kafka::DecodeRecordParts(&key, parts[1], parts[2], parts[3], *record)
             .ok()) {
      continue;
    }
    symbols.insert(key);
    state.Apply(route.channel, route.source, std::move(record),
                v1::DELIVERY_KAFKA);
  }
  for (const std::string& symbol : symbols) {
    state.GetQuote(symbol);
    state.GetBars(symbol, std::nullopt);
    state.GetHistory(symbol, 260);
    for (const ChannelDef& def : Channels()) {
      for (const bool resume : {false, true}) {
        CountingWriter writer;
        auto subscriber = std::make_shared<Subscriber>(
            Index(def.id), SubscriberOptions{}, &writer, metrics);
        auto end = std::make_shared<v1::MarketEvent>();
        end->mutable_snapshot_end();
        ResumeSpec spec;
        if (resume) spec.since_seq[symbol] = resume_seq % 64;
        const absl::Status status =
            state.Subscribe(def.id, {symbol}, spec, {}, end, subscriber);
        while (writer.pending) {
          writer.pending = false;
          subscriber->OnWriteDone(true);
        }
        // FAILED_PRECONDITION (resume point not held) offers nothing.
        if (writer.ends != (status.ok() ? 1 : 0)) std::abort();
        state.Unsubscribe(def.id, {symbol}, subscriber.get());
      }
    }
  }
  v1::ListSymbolsRequest all;
  state.ListSymbols(all);
  state.Stats();
  return 0;
}
