// MarketState: the gateway's domain. It holds, per symbol, one cache per
// channel (built from the channel declarations, channel.h) and the listing
// entry of the symbol, applies records from Kafka and from the VNStock
// fallback, and fans every change out to the symbol's subscribers. Free of
// gRPC and Kafka: unit-tested by feeding records and reading what fake
// writers receive.
//
// Consistency: each symbol has its own lock. Applying a record and offering
// it to the symbol's subscribers happen under that lock, and so do reading a
// snapshot and registering a subscriber; so a subscriber sees exactly the
// snapshot and then every later record, with no gap and no duplicate.
// Offering never blocks (Subscriber queues), so the Kafka thread never waits
// for a client.
//
// Thread-safe.
#ifndef VNSTREAM_SERVICES_GATEWAY_MARKET_STATE_H_
#define VNSTREAM_SERVICES_GATEWAY_MARKET_STATE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/channel.h"
#include "services/gateway/metrics.h"
#include "services/gateway/subscriber.h"

namespace vnstream::gateway {

// Where a subscriber resumes from (SubscribeRequest).
struct ResumeSpec {
  // Per symbol: replay only records with a greater seq.
  absl::flat_hash_map<std::string, uint64_t> since_seq;
  // Symbols without since_seq: records fetched (bars: starting) at or after.
  std::optional<absl::Time> since_time;

  ResumePoint For(const std::string& symbol) const;
};

class MarketState {
 public:
  explicit MarketState(GatewayMetrics* metrics);
  ~MarketState();

  struct Applied {
    bool applied = false;
    // Sequence numbers skipped between the held record and this one.
    uint64_t gaps = 0;
  };
  // Offers `record` of `channel`'s topic number `source` (ChannelDef).
  Applied Apply(Channel channel, int source, RecordPtr record,
                v1::Delivery delivery);
  // A listing entry (stock-instruments): what ListSymbols filters by.
  // Returns whether it was newer than the one held.
  bool ApplyInstrument(v1::Instrument instrument);

  // Registers `subscriber` for `symbols` (valid, distinct) of `channel`:
  // offers it `preamble` (per-symbol statuses), then the snapshot (or the
  // resume replay) of each symbol, then `end` (a SnapshotEnd).
  // FAILED_PRECONDITION, with nothing offered or registered, when a resume
  // point is not in the cache.
  absl::Status Subscribe(Channel channel,
                         const std::vector<std::string>& symbols,
                         const ResumeSpec& resume,
                         std::vector<EventPtr> preamble, EventPtr end,
                         const std::shared_ptr<Subscriber>& subscriber);
  void Unsubscribe(Channel channel, const std::vector<std::string>& symbols,
                   const Subscriber* subscriber);

  // Unary reads; nullopt when nothing is held for the symbol.
  std::optional<v1::QuoteItem> GetQuote(const std::string& symbol);
  std::optional<v1::GetIntradayBarsResponse> GetBars(
      const std::string& symbol, std::optional<absl::Time> since);
  std::optional<v1::GetHistoryResponse> GetHistory(const std::string& symbol,
                                                   int limit);
  // The daily history held for a symbol: its view (immutable once
  // published: what a caller builds from it holds while the view is the one
  // held) and how it was delivered and computed.
  struct HeldHistory {
    std::shared_ptr<const v1::EnrichedHistory> view;
    v1::Delivery delivery;
    v1::IndicatorsState indicators_state;
  };
  std::optional<HeldHistory> GetHeldHistory(const std::string& symbol);
  // GetHistory's response for the newest `limit` bars (0: all) of `held`.
  static v1::GetHistoryResponse HistoryResponse(const HeldHistory& held,
                                                int limit);
  // Symbols listed or with data, sorted, filtered as requested.
  std::vector<v1::SymbolInfo> ListSymbols(const v1::ListSymbolsRequest& filter);

  // Whether Kafka delivered data for the symbol's channel.
  bool HasKafkaData(Channel channel, const std::string& symbol);
  // Symbols with subscribers on `channel` but no Kafka data: the fallback
  // poller refreshes these.
  std::vector<std::string> SubscribedWithoutKafkaData(Channel channel);

  // Cache size and staleness per channel (metrics).
  PerChannel<CacheStats> Stats();

 private:
  struct Entry;
  // An entry whose lock is held for the object's lifetime. Users call
  // entry.mu.AssertHeld() once, which tells the thread-safety analysis.
  class LockedEntry {
   public:
    explicit LockedEntry(std::shared_ptr<Entry> entry)
        : entry_(std::move(entry)) {}
    LockedEntry(const LockedEntry&) = delete;
    LockedEntry& operator=(const LockedEntry&) = delete;
    ~LockedEntry();
    Entry& operator*() const { return *entry_; }

   private:
    std::shared_ptr<Entry> entry_;
  };

  std::shared_ptr<Entry> Find(const std::string& symbol);
  // Every entry, for a scan (each is locked separately by the caller).
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> All();
  // The symbol's entry (created if needed), locked. Lock order: an entry's
  // lock may be held while taking mu_, never the other way round.
  LockedEntry LockFindOrCreate(const std::string& symbol);

  GatewayMetrics* const metrics_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> entries_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_MARKET_STATE_H_
