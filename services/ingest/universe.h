// UniverseTracker: what ingest polls, discovered from VNStock's listing
// (VCI getAll) and index groups (getByGroup) instead of a hand-written
// list, and the Instrument records of topic stock-instruments.
//
// A refresh (at start-up and then once a day) fetches the listing and the
// configured groups, selects the securities (by exchange, type and group,
// or an explicit list), publishes an Instrument for each selected security
// and configured index when it is first seen or a field changed (name,
// exchange, type, groups, listed), and one with listed = false for a
// symbol that was listed and no longer is. Sequence numbers are per symbol
// and continue from the topic (Recover, at start-up).
//
// A listing that looks broken never empties the universe: a failed or
// unparsable response, an empty listing, a group that had members and
// comes back empty, or more delistings at once than `max_delistings` make
// the refresh fail (logged, counted) and the previous universe stays. A
// group fetched only to label instruments that fails keeps its previous
// members (logged).
//
// Metrics:
//   vnstream_ingest_universe_refreshes_total{result}  ok, failed, refused
//   vnstream_ingest_universe_symbols{kind}            securities, indices
//   vnstream_ingest_instruments_published_total{change}
//                                                  new, changed, delisted
//
// Thread-safety: all methods are thread-safe; Refresh calls are
// serialised.
#ifndef VNSTREAM_SERVICES_INGEST_UNIVERSE_H_
#define VNSTREAM_SERVICES_INGEST_UNIVERSE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/kafka/sink.h"
#include "libs/service/prometheus_fwd.h"
#include "libs/vnstock/client.h"
#include "services/ingest/ingestor.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::ingest {

struct UniverseOptions {
  // The explicit form: exactly these securities (those VNStock lists).
  // Empty: discover them with the filters below.
  std::vector<std::string> symbols;
  // Discovery filters: a security is selected when its exchange and type
  // are listed here and, if `groups` is not empty, it belongs to one of
  // `groups`.
  std::vector<v1::Exchange> exchanges = {v1::EXCHANGE_HOSE, v1::EXCHANGE_HNX,
                                         v1::EXCHANGE_UPCOM};
  std::vector<v1::InstrumentType> types = {v1::INSTRUMENT_TYPE_STOCK,
                                           v1::INSTRUMENT_TYPE_ETF};
  // VCI group codes (e.g. "VN30", "VNMidCap"); a failed fetch of one of
  // these fails the refresh.
  std::vector<std::string> groups;
  // Groups fetched to fill Instrument.groups (VCI group codes; published
  // upper-case, e.g. "VNMIDCAP"). A failed fetch keeps the group's
  // previous members.
  std::vector<std::string> instrument_groups;
  // Indices polled (vnstream symbols, market::FindIndex).
  std::vector<std::string> indices;
  // More delistings than this in one refresh are taken for a broken
  // listing.
  int max_delistings = 50;
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class UniverseTracker {
 public:
  UniverseTracker(UniverseOptions options, vnstock::ListingSource& source,
                  kafka::RecordSink& sink, prometheus::Registry& registry);

  // Rebuilds sequence numbers and the known instruments from a record read
  // back from stock-instruments (any order). Before the first Refresh.
  void Recover(const v1::Instrument& instrument);

  // The universe known without VNStock (its listing unavailable at
  // start-up): the recovered listed instruments that pass the filters, or
  // the explicit symbols; plus the indices. No securities when nothing is
  // known.
  std::shared_ptr<const Universe> Recovered() const;

  // Fetches the listing and the groups, publishes what changed and
  // returns the new universe; an error (and nothing published) when the
  // listing failed or looks broken (see the file comment).
  absl::StatusOr<std::shared_ptr<const Universe>> Refresh(absl::Time deadline);

 private:
  struct Known {
    uint64_t seq = 0;
    v1::Instrument last;  // meta holds only the instrument type.
  };

  absl::StatusOr<std::shared_ptr<const Universe>> RefreshLocked(
      absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  bool Selected(const vnstock::ListedSecurity& security,
                const absl::flat_hash_set<std::string>& group_members) const;
  // Publishes `instrument` if it differs from what is known.
  void PublishIfChanged(v1::Instrument instrument, const v1::RecordMeta& meta)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<const Universe> MakeUniverse(
      std::vector<std::string> securities) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const UniverseOptions options_;
  vnstock::ListingSource& source_;
  kafka::RecordSink& sink_;

  absl::Mutex refresh_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Known> known_ ABSL_GUARDED_BY(mu_);
  // Explicit symbols already warned about as not listed.
  absl::flat_hash_set<std::string> warned_ ABSL_GUARDED_BY(mu_);

  prometheus::Family<prometheus::Counter>& refreshes_;
  prometheus::Family<prometheus::Gauge>& symbols_;
  prometheus::Family<prometheus::Counter>& published_;
};

}  // namespace vnstream::ingest

#endif  // VNSTREAM_SERVICES_INGEST_UNIVERSE_H_
