// request_fuzzer's input format, shared with its seed generator
// (request_fuzzer_seeds.cc): byte 0 is Method | Caller << 4, the rest the
// request (request_fuzzer.cc says how each method reads it).
#ifndef VNSTREAM_SERVICES_GATEWAY_REQUEST_FUZZER_H_
#define VNSTREAM_SERVICES_GATEWAY_REQUEST_FUZZER_H_

namespace vnstream::gateway::request_fuzzer {

// The methods of v1::MarketDataService (byte 0, low 4 bits, modulo
// kMethods).
enum Method {
  kListSymbols,
  kGetQuotes,
  kGetIntradayBars,
  kGetHistory,
  kGetCandles,
  // The server streams, in v1::Channel order.
  kSubscribeQuotes,
  kSubscribeIntradayBars,
  kSubscribeHistory,
  kSubscribeIntradayAnalytics,
  kSubscribeMarket,
  kSubscribeSignals,
  kMarketDataStream,
  kMethods,
};

// Who calls (byte 0, bits 4-5): the gateway without authentication; with
// it, a key entitled to everything, a key entitled to a few methods and
// symbols (3 per subscription), an unknown key.
enum Caller { kOpen, kFull, kSome, kUnknown };

}  // namespace vnstream::gateway::request_fuzzer

#endif  // VNSTREAM_SERVICES_GATEWAY_REQUEST_FUZZER_H_
