#include "bench/support/quote_streams.h"

#include <algorithm>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "libs/base/logging.h"
#include "libs/base/subprocess.h"
#include "libs/market/calendar.h"

namespace vnstream::bench {

class QuoteStreams::Stream : public grpc::ClientReadReactor<v1::MarketEvent> {
 public:
  Stream(v1::MarketDataService::Stub& stub, std::vector<std::string> symbols,
         const std::string& api_key, StreamStats& stats)
      : stats_(stats) {
    for (std::string& symbol : symbols) request_.add_symbols(std::move(symbol));
    if (!api_key.empty()) {
      context_.AddMetadata("authorization", absl::StrCat("Bearer ", api_key));
    }
    stub.async()->SubscribeQuotes(&context_, &request_, this);
    // Resume starts reads from outside the reactions: the hold keeps the
    // call (and OnDone) until a read fails, when none will follow.
    AddHold();
    StartRead(&event_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  void Pause() { pause_.store(true); }

  void Resume() {
    absl::MutexLock lock(&mu_);
    pause_.store(false);
    if (!stopped_) return;
    stopped_ = false;
    StartRead(&event_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      RemoveHold();  // OnDone follows.
      return;
    }
    if (event_.has_quote() && !event_.snapshot()) {
      const absl::Time now = absl::Now();
      const v1::RecordMeta& meta = event_.quote().meta();
      stats_.latency.Record(now - market::FromTimestamp(meta.published_at()));
      if (meta.has_received_at()) {
        stats_.added_latency.Record(now -
                                    market::FromTimestamp(meta.received_at()));
      }
      stats_.messages.fetch_add(1, std::memory_order_relaxed);
    } else if (event_.has_snapshot_end()) {
      stats_.established.fetch_add(1, std::memory_order_relaxed);
    } else if (event_.has_status() &&
               event_.status().state() == v1::SYMBOL_STATE_SLOW_CONSUMER) {
      stats_.slow_consumer_statuses.fetch_add(1, std::memory_order_relaxed);
    }
    // Checked again under mu_: Resume clears it there.
    if (pause_.load()) {
      absl::MutexLock lock(&mu_);
      if (pause_.load()) {
        stopped_ = true;
        return;
      }
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    if (status.error_code() != grpc::StatusCode::CANCELLED) {
      if (stats_.failed.fetch_add(1) < 5) {
        spdlog::warn("stream ended: {} {}",
                     static_cast<int>(status.error_code()),
                     status.error_message());
      }
    }
    if (const auto code = static_cast<size_t>(status.error_code());
        code < stats_.ended_with.size()) {
      stats_.ended_with[code].fetch_add(1);
    }
    stats_.done.fetch_add(1);
  }

 private:
  StreamStats& stats_;
  grpc::ClientContext context_;
  v1::SubscribeRequest request_;
  v1::MarketEvent event_;
  // Set by Pause; read on each read's completion (a gRPC thread).
  std::atomic<bool> pause_{false};
  absl::Mutex mu_;
  // No read outstanding: stopped by a pause, until Resume.
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

QuoteStreams::QuoteStreams(const QuoteStreamsOptions& options,
                           const std::vector<std::string>& market) {
  const int per_connection = std::max(1, options.streams_per_connection);
  for (int i = 0; i < options.streams; ++i) {
    if (i % per_connection == 0) {
      grpc::ChannelArguments args;
      // A distinct argument gives each channel its own connection.
      args.SetInt("vnstream.bench.connection", i / per_connection);
      if (options.stream_window_bytes > 0) {
        args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
        args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
                    options.stream_window_bytes);
      }
      stubs_.push_back(v1::MarketDataService::NewStub(grpc::CreateCustomChannel(
          options.address, grpc::InsecureChannelCredentials(), args)));
    }
    std::vector<std::string> symbols;
    for (int j = 0; j < options.symbols_per_stream; ++j) {
      symbols.push_back(market[(static_cast<size_t>(options.first_stream + i) *
                                    options.symbols_per_stream +
                                j) %
                               market.size()]);
    }
    streams_.push_back(std::make_unique<Stream>(
        *stubs_.back(), std::move(symbols), options.api_key, stats_));
  }
}

QuoteStreams::~QuoteStreams() {
  ResumeReading();  // A stopped stream would not see its end.
  for (auto& stream : streams_) stream->Cancel();
  const int64_t total = static_cast<int64_t>(streams_.size());
  if (!PollUntil([&] { return stats_.done.load() == total; }, absl::Seconds(60),
                 absl::Milliseconds(20))) {
    // Reactors still referenced by gRPC: leak them rather than crash.
    spdlog::error("{} streams did not finish", total - stats_.done.load());
    for (auto& stream : streams_) stream.release();
  }
}

bool QuoteStreams::WaitEstablished(absl::Duration timeout) {
  const int64_t total = static_cast<int64_t>(streams_.size());
  return PollUntil(
             [&] {
               return stats_.established.load() + stats_.done.load() >= total;
             },
             timeout, absl::Milliseconds(50)) &&
         stats_.done.load() == 0;
}

void QuoteStreams::PauseReading() {
  for (auto& stream : streams_) stream->Pause();
}

void QuoteStreams::ResumeReading() {
  for (auto& stream : streams_) stream->Resume();
}

}  // namespace vnstream::bench
