// Ingestor: ingest's domain logic, free of network and broker so it is
// unit-tested with fakes. It turns VNStock fetches into the records of the
// three topics:
//   prices    one Quote per symbol per poll (unchanged quotes are skipped);
//             an index's quote is derived from its 1-minute bars and its
//             previous close (the price board has no indices)
//   intraday  one IntradayBar per new or changed 1-minute bar (revision+1)
//   history   one DailyHistory per symbol when its window changed
// assigns the per-symbol sequence numbers, sets every record's instrument
// type, and decides when polling makes sense (market hours in
// Asia/Ho_Chi_Minh). What it polls (the Universe) is swapped whole while it
// runs: a poll uses the universe of its start.
//
// Sequence numbers survive restarts by being *derived from Kafka*: at
// start-up the adapter scans the topics' tails and feeds every record to
// Recover(); the next record continues at last seq + 1. Prices and history
// are compacted topics, so the newest record per symbol is always there.
// Intraday bars are numbered per (symbol, trading date) from 1: the topic
// is time-retained, and a trading day is the unit a client resumes in.
//
// Thread-safety: RunPrices, RunIntraday and RunHistory may run
// concurrently with each other (each owns its state); each one is not
// re-entrant. Recover() only moves state forward (a newer seq, a later
// day), so it may run while the Run* poll other symbols (the recovery of a
// newly listed symbol before SetUniverse adds it); at start-up it finishes
// before any Run*. SetUniverse is thread-safe.
#ifndef VNSTREAM_SERVICES_INGEST_INGESTOR_H_
#define VNSTREAM_SERVICES_INGEST_INGESTOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/kafka/sink.h"
#include "libs/market/calendar.h"
#include "libs/service/prometheus_fwd.h"
#include "libs/vnstock/client.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::ingest {

enum class Schedule { kPrices = 0, kIntraday = 1, kHistory = 2 };

// What ingest polls. Immutable once built; replaced whole.
struct Universe {
  // Securities: the price board, 1-minute bars and history. Sorted.
  std::vector<std::string> securities;
  // Indices (vnstream symbols): 1-minute bars and history; their quotes
  // are derived.
  std::vector<std::string> indices;
  // Instrument type per symbol where known (from the listing; indices are
  // INDEX).
  absl::flat_hash_map<std::string, v1::InstrumentType> types;

  // UNSPECIFIED when unknown.
  v1::InstrumentType TypeOf(const std::string& symbol) const;
};

struct IngestOptions {
  // The universe polled until the first SetUniverse: securities (upper
  // case, validated by the config) and indices. Types unknown but INDEX.
  std::vector<std::string> symbols;
  std::vector<std::string> indices;
  // 1-minute bars requested per intraday poll (a HOSE day has 226).
  int intraday_count_back = 300;
  // Daily bars per history record (~260 = one year of trading days).
  int history_bars = 260;
  // Poll around the clock (demos, the simulator's virtual market).
  bool ignore_market_hours = false;
  // The clock; tests replace it.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// What one poll did (also logged and counted).
struct CycleStats {
  int fetched = 0;    // Records received and valid.
  int published = 0;  // Records handed to Kafka.
  int unchanged = 0;  // Records identical to what was last published.
  int rejected = 0;   // Records dropped by validation.
  int missing = 0;    // Requested symbols the upstream did not return.
  int errors = 0;     // Failed upstream batches.
};

class Ingestor {
 public:
  Ingestor(IngestOptions options, vnstock::MarketDataSource& source,
           kafka::RecordSink& sink, const market::TradingCalendar& calendar,
           prometheus::Registry& registry);

  // Rebuilds sequence and change-detection state from a record read back
  // from Kafka. Records may come in any order.
  void Recover(const v1::Quote& quote);
  void Recover(const v1::IntradayBar& bar);
  void Recover(const v1::DailyHistory& history);

  // Whether `schedule` should poll at `now`: always once at start-up (so a
  // fresh system has data), during the trading session (09:00-15:00 on
  // trading days), once more after the close (final values), never on
  // weekends, holidays, before the open or in the lunch break, unless
  // ignore_market_hours.
  bool ShouldPoll(Schedule schedule, absl::Time now);

  // Metrics computed at scrape time from the calendar and the clock, for
  // the alerts (deploy/monitoring/vnstream.rules.yml):
  //   vnstream_market_open     1 while HOSE trades (09:00-11:30 and
  //                            13:00-15:00 Asia/Ho_Chi_Minh on trading days)
  //   vnstream_market_holiday  1 all day (Vietnamese date) on a weekday that
  //                            is an exchange holiday (shipped calendar plus
  //                            --holidays)
  // The Ingestor must outlive the collectable's registration.
  std::shared_ptr<prometheus::Collectable> MarketCollector() const;

  // Replaces what the next polls fetch.
  void SetUniverse(std::shared_ptr<const Universe> universe);
  std::shared_ptr<const Universe> universe();

  CycleStats RunPrices(absl::Time deadline);
  CycleStats RunIntraday(absl::Time deadline);
  CycleStats RunHistory(absl::Time deadline);

 private:
  struct PriceState {
    uint64_t seq = 0;
    v1::Quote last;  // Without meta: for change detection.
  };
  // What change detection keeps of a published bar: a fingerprint of its
  // values instead of the bar (~300 B with its Decimals), since a whole
  // market's day is 1,600 symbols x ~250 bars. A 64-bit collision (2^-64
  // per comparison) would hold back one revision of one bar.
  struct BarState {
    uint64_t fingerprint = 0;  // BarFingerprint of the last published bar.
    uint32_t revision = 0;     // Its revision.
  };
  struct IntradayState {
    absl::CivilDay day;
    uint64_t seq = 0;
    // By start time, Unix seconds; cleared when the trading day changes.
    absl::flat_hash_map<int64_t, BarState> bars;
  };
  struct HistoryState {
    uint64_t seq = 0;
    v1::DailyHistory last;  // Without meta.
  };

  void Finish(Schedule schedule, const CycleStats& stats, absl::Time started);
  // Quotes of the universe's indices (RunPrices), into `stats`.
  void PublishIndexQuotes(const Universe& universe, absl::Time deadline,
                          CycleStats& stats);
  // The close of the newest daily bar before `day` last published for
  // `symbol`, if any.
  std::optional<v1::Decimal> PreviousClose(const std::string& symbol,
                                           absl::CivilDay day);
  // Starts `state` over for `day`, releasing the previous day's bars.
  void StartDay(IntradayState& state, absl::CivilDay day)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(intraday_mu_);
  // Numbers and publishes a quote unless it equals the last one.
  void PublishQuote(v1::Quote quote, CycleStats& stats)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(prices_mu_);

  const IngestOptions options_;
  vnstock::MarketDataSource& source_;
  kafka::RecordSink& sink_;
  const market::TradingCalendar& calendar_;

  absl::Mutex universe_mu_;
  std::shared_ptr<const Universe> universe_ ABSL_GUARDED_BY(universe_mu_);

  absl::Mutex prices_mu_;
  absl::flat_hash_map<std::string, PriceState> prices_
      ABSL_GUARDED_BY(prices_mu_);
  absl::Mutex intraday_mu_;
  absl::flat_hash_map<std::string, IntradayState> intraday_
      ABSL_GUARDED_BY(intraday_mu_);
  absl::Mutex history_mu_;
  absl::flat_hash_map<std::string, HistoryState> history_
      ABSL_GUARDED_BY(history_mu_);

  // ShouldPoll's memory, per schedule.
  absl::Mutex poll_mu_;
  bool started_[3] ABSL_GUARDED_BY(poll_mu_) = {false, false, false};
  absl::CivilDay final_poll_done_[3] ABSL_GUARDED_BY(poll_mu_);

  prometheus::Family<prometheus::Counter>& cycles_;
  prometheus::Family<prometheus::Histogram>& cycle_duration_;
  prometheus::Family<prometheus::Counter>& published_;
  prometheus::Family<prometheus::Counter>& unchanged_;
  prometheus::Family<prometheus::Counter>& missing_;
  // Bars of the current trading day held for change detection, all symbols.
  prometheus::Gauge& held_bars_;
};

// The schedule's name in logs and metric labels.
const char* ScheduleName(Schedule schedule);

}  // namespace vnstream::ingest

#endif  // VNSTREAM_SERVICES_INGEST_INGESTOR_H_
