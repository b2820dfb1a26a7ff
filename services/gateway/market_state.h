// MarketState: the gateway's domain. It holds the latest state per symbol
// (quote, today's 1-minute bars, history with indicators), applies records
// from Kafka and from the VNStock fallback, and fans every change out to
// the subscribers of the symbol. Free of gRPC and Kafka: unit-tested by
// feeding records and reading what fake writers receive.
//
// Consistency: each symbol has its own lock. Applying a record and offering
// it to the symbol's subscribers happen under that lock, and so do reading a
// snapshot and registering a subscriber; so a subscriber sees exactly the
// snapshot and then every later record, with no gap and no duplicate.
// Offering never blocks (Subscriber queues), so the Kafka thread never waits
// for a client.
//
// Delivery: Kafka data wins. Fallback records are applied only while Kafka
// has nothing for the symbol's channel and are numbered by the gateway.
//
// Thread-safe.
#ifndef VNSTREAM_SERVICES_GATEWAY_MARKET_STATE_H_
#define VNSTREAM_SERVICES_GATEWAY_MARKET_STATE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/indicators/indicators.h"
#include "prometheus/collectable.h"
#include "services/gateway/metrics.h"
#include "services/gateway/subscriber.h"
#include "vnstream/v1/market_data_service.pb.h"

namespace vnstream::gateway {

// Where a subscriber wants to resume from (SubscribeRequest).
struct ResumeSpec {
  // Per symbol: replay only records with a greater seq.
  absl::flat_hash_map<std::string, uint64_t> since_seq;
  // Symbols without since_seq: records fetched (bars: starting) at or after.
  std::optional<absl::Time> since_time;
};

class MarketState {
 public:
  MarketState(GatewayMetrics* metrics, indicators::Params params);
  ~MarketState();

  // Record input. Each returns whether the record was applied (false: older
  // than what is held, or fallback data for a channel Kafka serves).
  bool ApplyQuote(v1::Quote quote, v1::Delivery delivery);
  bool ApplyBar(v1::IntradayBar bar, v1::Delivery delivery);
  // A raw history gets indicators computed here, so the view never waits for
  // analytics (same library, same numbers); analytics' record with the same
  // seq then changes nothing.
  bool ApplyHistory(const v1::DailyHistory& history, v1::Delivery delivery);
  bool ApplyEnriched(v1::EnrichedHistory history, v1::Delivery delivery);

  // Registers `subscriber` for `symbols` (valid, distinct tickers) and
  // offers it the snapshot (or the resume replay) of each, then ends the
  // snapshot. FAILED_PRECONDITION, with nothing registered, when a resume
  // point is not in the cache.
  absl::Status Subscribe(Channel channel,
                         const std::vector<std::string>& symbols,
                         const ResumeSpec& resume,
                         const std::shared_ptr<Subscriber>& subscriber);
  void Unsubscribe(Channel channel, const std::vector<std::string>& symbols,
                   const Subscriber* subscriber);

  // Unary reads; nullopt when nothing is held for the symbol.
  std::optional<v1::QuoteItem> GetQuote(const std::string& symbol);
  std::optional<v1::GetIntradayBarsResponse> GetBars(
      const std::string& symbol, std::optional<absl::Time> since);
  std::optional<v1::GetHistoryResponse> GetHistory(const std::string& symbol,
                                                   int limit);
  std::vector<v1::SymbolInfo> ListSymbols();

  // Whether Kafka delivered data for the symbol's channel.
  bool HasKafkaData(Channel channel, const std::string& symbol);
  // Symbols with subscribers on `channel` but no Kafka data: the fallback
  // poller refreshes these.
  std::vector<std::string> SubscribedWithoutKafkaData(Channel channel);

  // Exposes cache size and staleness as metrics (registered by the owner).
  std::shared_ptr<prometheus::Collectable> CacheCollector();

 private:
  struct Entry;
  // An entry whose lock is held for the object's lifetime.
  class LockedEntry {
   public:
    explicit LockedEntry(std::shared_ptr<Entry> entry)
        : entry_(std::move(entry)) {}
    LockedEntry(const LockedEntry&) = delete;
    LockedEntry& operator=(const LockedEntry&) = delete;
    ~LockedEntry();
    Entry* operator->() const { return entry_.get(); }
    Entry& operator*() const { return *entry_; }

   private:
    std::shared_ptr<Entry> entry_;
  };

  std::shared_ptr<Entry> Find(const std::string& symbol);
  // The symbol's entry (created if needed), locked. Lock order: an entry's
  // lock may be held while taking mu_, never the other way round.
  LockedEntry LockFindOrCreate(const std::string& symbol);
  // Makes `view` the symbol's history (if newer) and fans out the update.
  bool SetHistoryView(Entry& entry, v1::EnrichedHistory view,
                      v1::Delivery delivery);

  GatewayMetrics* const metrics_;
  const indicators::Params params_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> entries_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace vnstream::gateway

#endif  // VNSTREAM_SERVICES_GATEWAY_MARKET_STATE_H_
