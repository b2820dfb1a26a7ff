// A C++ client for vnstream's MarketDataService that does what every
// streaming client must: it remembers the last sequence number per symbol
// and, when a stream ends (network drop, gateway restart, SLOW_CONSUMER),
// re-subscribes with since_seq so nothing is missed and nothing repeats;
// when the gateway cannot resume (FAILED_PRECONDITION) it starts over with a
// fresh snapshot. It tells conflation from loss: a jump in seq that the
// event's `conflated` count does not explain is counted in lost(). Used by
// the examples, the end-to-end tests and the load generator.
#ifndef VNSTREAM_CLIENTS_CPP_MARKET_DATA_CLIENT_H_
#define VNSTREAM_CLIENTS_CPP_MARKET_DATA_CLIENT_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"

namespace vnstream::client {

// How to reach the gateway. The default is TLS verified against the
// system's CAs.
struct ChannelOptions {
  // PEM file of the CA the gateway's certificate must chain to (the demo's:
  // .run/certs/ca.pem); empty = the system's trusted CAs.
  std::string ca_file;
  // Mutual TLS: this client's certificate chain and key (PEM files).
  std::string cert_file;
  std::string key_file;
  // Sent as "authorization: Bearer <key>" on every call (TLS only: gRPC
  // never sends it over plaintext).
  std::string api_key;
  // Plaintext, for a gateway run with insecure_plaintext only.
  bool plaintext = false;
};

// A channel with keepalive settings the gateway accepts (pings every 20 s
// while streams are open, never more often than it allows).
// InvalidArgument naming the file when a PEM file cannot be read, or for an
// API key over plaintext.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const std::string& target, const ChannelOptions& options);

struct SubscriptionOptions {
  // Subscribed with the channel's server stream (SubscribeQuotes, ...).
  v1::Channel channel = v1::CHANNEL_QUOTES;
  std::vector<std::string> symbols;
  // Heartbeat period asked of the gateway.
  absl::Duration heartbeat_interval = absl::Seconds(15);
  // Reconnect backoff: starts here, doubles, capped.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  // Give up after this many consecutive failed attempts (0 = never).
  int max_attempts = 0;
};

// Runs a subscription on the calling thread until Cancel() or a
// non-retryable error, delivering every event to `on_event` (data events
// exactly once per seq). Thread-safe: Cancel() may be called from any thread.
class ResumingSubscription {
 public:
  using Handler = std::function<void(const v1::MarketEvent& event)>;

  ResumingSubscription(std::shared_ptr<grpc::Channel> channel,
                       SubscriptionOptions options);

  // Returns OK after Cancel(), else the error that ended it (INVALID_ARGUMENT,
  // RESOURCE_EXHAUSTED for limits, or attempts exhausted).
  absl::Status Run(const Handler& on_event);
  void Cancel();

  // Resumptions after a stream ended (not counting the first connection).
  int reconnects() const { return reconnects_.load(); }
  // Sequence numbers that never reached this client: seq jumps beyond what
  // the gateway reported as conflated (records lost upstream).
  int64_t lost() const { return lost_.load(); }

 private:
  std::unique_ptr<v1::MarketDataService::Stub> stub_;
  const SubscriptionOptions options_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int> reconnects_{0};
  std::atomic<int64_t> lost_{0};
  absl::Mutex mu_;
  // The call in progress, for Cancel() from another thread.
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Per symbol, what was delivered last: its seq, and the numbering it
  // belongs to (delivery path; trading date for intraday bars). Used by the
  // thread in Run() only.
  struct Position {
    uint64_t seq = 0;
    v1::Delivery delivery = v1::DELIVERY_UNSPECIFIED;
    std::string trading_date;
    // History: the record at `seq` was delivered with its indicators
    // PENDING; its enriched version (same seq) is still to come.
    bool pending = false;
  };
  std::map<std::string, Position> positions_;
};

}  // namespace vnstream::client

#endif  // VNSTREAM_CLIENTS_CPP_MARKET_DATA_CLIENT_H_
