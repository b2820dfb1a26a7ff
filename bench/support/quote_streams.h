// Many SubscribeQuotes streams from one process, for the gateway's
// benchmarks (loadgen, soak): each stream records the latency of every live
// quote from its produce time (meta.published_at) to its receipt.
//
//   QuoteStreams streams({.address = "127.0.0.1:50051", .streams = 1000},
//                        market);
//   streams.WaitEstablished(absl::Minutes(3));
//   ... streams.stats().latency.Percentile(0.99) ...
//
// Streams are spread streams_per_connection to an HTTP/2 connection; stream
// i subscribes to symbols i*k .. i*k+k-1 (mod the market) so every symbol
// has the same fan-out. PauseReading / ResumeReading make them clients that
// are alive but stop reading for a while. Thread-safety: the counters are
// atomics updated from gRPC's callback threads; read them, and call any
// method, from any thread.
#ifndef VNSTREAM_BENCH_SUPPORT_QUOTE_STREAMS_H_
#define VNSTREAM_BENCH_SUPPORT_QUOTE_STREAMS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/support/latency_histogram.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream::bench {

// Counters shared by all streams of a QuoteStreams.
struct StreamStats {
  LatencyHistogram latency;
  // Receipt - meta.received_at (the gateway's own share; servers that do
  // not stamp received_at record nothing).
  LatencyHistogram added_latency;
  std::atomic<int64_t> messages{0};     // Live quotes received.
  std::atomic<int64_t> established{0};  // Streams past their snapshot.
  std::atomic<int64_t> done{0};         // Streams finished.
  std::atomic<int64_t> failed{0};       // ... with a status other than
                                        // CANCELLED (by us).
  // Streams finished, by grpc::StatusCode.
  std::array<std::atomic<int64_t>, 17> ended_with{};
  // SLOW_CONSUMER statuses received (the server is about to end the stream).
  std::atomic<int64_t> slow_consumer_statuses{0};
};

struct QuoteStreamsOptions {
  std::string address;  // host:port of a plaintext server.
  int streams = 100;
  int symbols_per_stream = 10;
  int streams_per_connection = 100;
  // The first stream's number: stream i subscribes to the symbols of stream
  // first_stream + i (so two processes can share out one set of streams).
  int first_stream = 0;
  // Sent as "authorization: Bearer <key>" when not empty.
  std::string api_key;
  // > 0: the streams' connections advertise this HTTP/2 stream window
  // (GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES), in bytes, and keep it: no BDP
  // probing, which would otherwise grow it to MiBs as soon as data flows.
  // A stream that stops reading then holds at most this much unread, so the
  // server's writes to it stop completing within seconds. 0: gRPC's
  // defaults.
  int stream_window_bytes = 0;
};

class QuoteStreams {
 public:
  QuoteStreams(const QuoteStreamsOptions& options,
               const std::vector<std::string>& market);
  // Cancels every stream and waits (up to a minute) until they are done.
  ~QuoteStreams();

  // Waits until every stream has its snapshot; false on timeout or if
  // streams failed.
  bool WaitEstablished(absl::Duration timeout);

  // Every stream stops reading after the event it is reading now (its
  // connection goes on answering pings and settings), until ResumeReading.
  void PauseReading();
  // The paused streams read again, from where they stopped.
  void ResumeReading();

  StreamStats& stats() { return stats_; }

 private:
  class Stream;

  StreamStats stats_;
  std::vector<std::unique_ptr<v1::MarketDataService::Stub>> stubs_;
  std::vector<std::unique_ptr<Stream>> streams_;
};

}  // namespace vnstream::bench

#endif  // VNSTREAM_BENCH_SUPPORT_QUOTE_STREAMS_H_
