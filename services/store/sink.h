// The store's domain: consumed records -> rows, batched with the Kafka
// offsets they advance, written in one transaction (store::Writer). No
// Kafka and no database here: the consumer adapter feeds records in, a
// fake writer stands in for PostgreSQL in the tests.
//
//   stock-historical  DailyHistory    -> daily_bars (every bar of the window)
//   stock-intraday    IntradayBar     -> minute_bars (revisions in place)
//   stock-analytics   EnrichedHistory -> daily_indicators
//   stock-instruments Instrument      -> instruments
//
// Exactly once: a batch holds the rows of its records and, per partition,
// the offset after the last of them; Writer::Write commits both or
// neither. A failed write keeps the batch pending (Flush again: writes are
// idempotent, so a batch whose COMMIT reached the server before the
// connection died is harmless to repeat). A batch the database refuses as
// bad data (SQLSTATE class 22/23) is written record by record instead, and
// only the records it refuses are skipped: each is counted
// (vnstream_store_records_total{result="rejected"}) and logged, so one bad
// record cannot stop the stream nor take good records down with it.
//
// Not thread-safe: one consumer thread.
#ifndef VNSTREAM_SERVICES_STORE_SINK_H_
#define VNSTREAM_SERVICES_STORE_SINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/service/prometheus_fwd.h"
#include "libs/store/rows.h"
#include "libs/store/writer.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::store {

// Where a record was read.
struct Position {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

struct SinkOptions {
  // Rows that make a batch full (the consumer then flushes).
  size_t batch_rows = 5000;
  // Deadline of one write transaction.
  absl::Duration write_timeout = absl::Seconds(30);
};

class Sink {
 public:
  Sink(SinkOptions options, Writer& writer, prometheus::Registry& registry);

  // Adds a record's rows (invalid bars are skipped and counted) and its
  // offset to the pending batch.
  void Add(const Position& position, const v1::DailyHistory& history);
  void Add(const Position& position, const v1::IntradayBar& bar);
  void Add(const Position& position, const v1::EnrichedHistory& history);
  void Add(const Position& position, const v1::Instrument& instrument);
  // A record that did not decode: nothing to write, but its offset is
  // consumed (counted, logged).
  void AddMalformed(const Position& position, const absl::Status& error);

  bool Full() const { return pending_rows_ >= options_.batch_rows; }
  size_t pending_records() const { return pending_.size(); }
  size_t pending_rows() const { return pending_rows_; }

  // Writes the pending batch. OK: everything pending is written (or
  // rejected as bad data and skipped). Otherwise the error of the failed
  // write (UNAVAILABLE, DEADLINE_EXCEEDED, ...) and the records not
  // written stay pending: call again later.
  absl::Status Flush();

 private:
  struct Entry {
    Position position;
    // The record's rows and the offset after it.
    Batch batch;
    // Did not decode (already counted): only its offset is written.
    bool malformed = false;
  };
  void Push(const Position& position, Batch batch);
  absl::Status Write(const Batch& batch);
  // The per-record retry after the database refused a batch as bad data.
  absl::Status Isolate();
  void CountRecord(const std::string& topic, const char* result);

  const SinkOptions options_;
  Writer& writer_;
  std::vector<Entry> pending_;
  size_t pending_rows_ = 0;
  int64_t malformed_logged_ = 0;

  prometheus::Family<prometheus::Counter>& records_;
  prometheus::Family<prometheus::Counter>& rows_written_;
  prometheus::Family<prometheus::Counter>& rows_unchanged_;
  prometheus::Family<prometheus::Counter>& write_errors_;
  prometheus::Counter& bars_invalid_;
  prometheus::Histogram& batch_seconds_;
  prometheus::Gauge& last_commit_;
  prometheus::Gauge& pending_gauge_;
};

// True for errors that say the data is bad (SQLSTATE classes 22 and 23),
// not the database or the network.
bool IsDataError(const absl::Status& status);

}  // namespace vnstream::store

#endif  // VNSTREAM_SERVICES_STORE_SINK_H_
