// Writing batches to the history store: the interface the store service's
// domain uses (faked in its tests) and its PostgreSQL implementation.
#ifndef VNSTREAM_LIBS_STORE_WRITER_H_
#define VNSTREAM_LIBS_STORE_WRITER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/pg/pg.h"
#include "libs/store/rows.h"

namespace vnstream::store {

// Rows a batch inserted or changed, per table (a row that lost to the
// stored version is not counted).
struct WriteCounts {
  int64_t daily = 0;
  int64_t minutes = 0;
  int64_t indicators = 0;
  int64_t instruments = 0;
  // 1-minute bars older than the retention, not written.
  int64_t minutes_beyond_retention = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes every row and offset of `batch` in one transaction: all or
  // nothing. Idempotent: writing a batch again changes nothing.
  virtual absl::StatusOr<WriteCounts> Write(const Batch& batch,
                                            absl::Time deadline) = 0;
};

// The partition of minute_bars holding `month` (Asia/Ho_Chi_Minh):
// "minute_bars_p201906".
std::string MinutePartitionName(absl::CivilMonth month);

// The store in PostgreSQL: one connection (reopened after a failure), the
// schema of libs/store/migrations. Not thread-safe.
//
// Batches are bulk-loaded: COPY into session-local staging tables, then one
// INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE <the row wins>
// per table (rows.h), then the offsets, then COMMIT. Missing monthly
// partitions of minute_bars are created first, in their own transaction.
class PgWriter : public Writer {
 public:
  // `consumer` names the offsets this writer owns (kafka_offsets.consumer).
  PgWriter(pg::ConnectionOptions options, std::string consumer);
  ~PgWriter() override;

  absl::StatusOr<WriteCounts> Write(const Batch& batch,
                                    absl::Time deadline) override;

  // The stored next offset of every (topic, partition) of this consumer.
  absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> Offsets(
      absl::Time deadline);

  // Creates the partitions of minute_bars for months first..last (those
  // that do not exist yet).
  absl::Status EnsurePartitions(absl::CivilMonth first, absl::CivilMonth last,
                                absl::Time deadline);
  // Keep 1-minute bars of this many months (counting the current one, in
  // Asia/Ho_Chi_Minh); older rows are not written. 0 = keep everything.
  void set_minute_retention_months(int months) {
    minute_retention_months_ = months;
  }
  // The first month kept by the retention at `now` (CivilMonth::min() when
  // everything is kept).
  absl::CivilMonth RetentionStart(absl::Time now) const;

  // Drops the partitions of months before `keep_from`; returns their names.
  absl::StatusOr<std::vector<std::string>> DropPartitionsBefore(
      absl::CivilMonth keep_from, absl::Time deadline);

  // The connection, opened if needed (for the backfill's progress table
  // and for tests).
  absl::StatusOr<pg::Connection*> connection(absl::Time deadline);

 private:
  absl::Status WriteRows(pg::Connection& conn, const Batch& batch,
                         absl::Time deadline, WriteCounts* counts);
  absl::Status LoadPartitions(pg::Connection& conn, absl::Time deadline);
  absl::StatusOr<std::vector<int>> ParamIds(pg::Connection& conn,
                                            const Batch& batch,
                                            absl::Time deadline);

  const pg::ConnectionOptions options_;
  const std::string consumer_;
  std::unique_ptr<pg::Connection> conn_;
  // Partitions known to exist (loaded when a connection opens).
  absl::flat_hash_set<std::string> partitions_;
  // indicator_params JSON -> id.
  std::map<std::string, int> param_ids_;
  int minute_retention_months_ = 0;
};

}  // namespace vnstream::store

#endif  // VNSTREAM_LIBS_STORE_WRITER_H_
