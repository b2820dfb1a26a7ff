// A thin adapter over libpq (PostgreSQL's C client library): connections
// whose every operation is bounded by a deadline, results, COPY, and errors
// as absl::Status. Used by the history store (services/store), its readers
// (the gateway's GetCandles) and the PostgreSQL launcher (tools/postgres).
//
// Every call runs libpq in non-blocking mode and waits on the socket with
// poll(), so no call can block past its deadline, even when the server hangs
// or the network black-holes packets. A connection whose call timed out or
// lost its server is `broken()` and must be discarded (the server side is
// bounded by `statement_timeout`).
//
// Status codes: UNAVAILABLE (cannot connect, connection lost, server
// shutting down, too many connections), DEADLINE_EXCEEDED (the deadline
// passed, or the server cancelled the statement: statement_timeout),
// ABORTED (serialization failure or deadlock: retry the transaction),
// INVALID_ARGUMENT (SQLSTATE class 22: bad data), FAILED_PRECONDITION (class
// 23: a constraint), INTERNAL (anything else: a bug in the SQL). The
// SQLSTATE travels as a payload (SqlState()).
#ifndef VNSTREAM_LIBS_PG_PG_H_
#define VNSTREAM_LIBS_PG_PG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

struct pg_conn;
struct pg_result;

namespace vnstream::pg {

// A statement parameter in PostgreSQL's text format; nullopt is NULL.
using Param = std::optional<std::string>;

// The SQLSTATE of a status returned by this library ("23505"), or "".
std::string SqlState(const absl::Status& status);
// The status this library returns for a server error with SQLSTATE
// `state` (also for fakes in tests).
absl::Status StatusForSqlState(absl::string_view state,
                               absl::string_view message);

// "user@host:port/dbname" of a connection string or URI, without the
// password (for logs); "(unparsable DSN)" when libpq cannot parse it.
std::string DescribeDsn(const std::string& dsn);

// Quotes an identifier for SQL text ("minute_bars" -> "\"minute_bars\"").
std::string QuoteIdentifier(absl::string_view name);
// Quotes a string literal for SQL text (where parameters are not allowed,
// e.g. CREATE ROLE ... PASSWORD).
std::string QuoteLiteral(absl::string_view value);

// The rows of one statement. Values are in the format the statement asked
// for (text unless Exec(..., Format::kBinary)). Movable, not copyable.
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result);
  Result(Result&&) noexcept;
  Result& operator=(Result&&) noexcept;
  ~Result();

  int rows() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  // The raw value: text, or the binary representation.
  absl::string_view Value(int row, int column) const;
  // Rows affected by INSERT/UPDATE/DELETE/COPY (PQcmdTuples), 0 otherwise.
  int64_t affected_rows() const;

  // Text-format conversions; a value that does not parse is 0 / false.
  int64_t Int64(int row, int column) const;
  bool Bool(int row, int column) const;

 private:
  friend class Connection;
  pg_result* result_ = nullptr;
};

// Binary-format decoders (Exec(..., Format::kBinary)).
namespace binary {
int64_t Int64(absl::string_view value);  // int8
int32_t Int32(absl::string_view value);  // int4
bool Bool(absl::string_view value);
double Float64(absl::string_view value);  // float8
// timestamptz / timestamp -> absl::Time (microsecond resolution).
absl::Time Timestamp(absl::string_view value);
// date -> days since 1970-01-01.
int32_t DaysSinceEpoch(absl::string_view value);
// numeric -> value * 1e9 exactly; InvalidArgument for NaN, infinities,
// more than 9 fractional digits or more than 2^127.
absl::StatusOr<__int128> NumericNanos(absl::string_view value);
}  // namespace binary

enum class Format { kText = 0, kBinary = 1 };

struct ConnectionOptions {
  // libpq connection string or URI
  // ("postgresql://user:password@127.0.0.1:5432/vnstream").
  std::string dsn;
  // Bounds each connection attempt (also bounded by the caller's deadline).
  absl::Duration connect_timeout = absl::Seconds(5);
  // Server-side bound of every statement (0 = the server's default): the
  // server stops working on a statement whose client gave up.
  absl::Duration statement_timeout = absl::ZeroDuration();
  // Shown in pg_stat_activity.
  std::string application_name = "vnstream";
};

// One server connection. Not thread-safe: one user at a time (see Pool).
class Connection {
 public:
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const ConnectionOptions& options, absl::Time deadline);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with parameters ($1, $2, ...), extended protocol.
  absl::StatusOr<Result> Exec(absl::string_view sql,
                              absl::Span<const Param> params,
                              absl::Time deadline,
                              Format format = Format::kText);
  absl::StatusOr<Result> Exec(absl::string_view sql, absl::Time deadline) {
    return Exec(sql, {}, deadline);
  }
  // Several statements separated by ';', no parameters (simple protocol);
  // runs in one implicit transaction unless the script has BEGIN/COMMIT.
  absl::Status Script(absl::string_view sql, absl::Time deadline);
  // `copy_sql` is "COPY table (columns) FROM STDIN" (text format); `data`
  // its rows, each ending in '\n'. Returns the rows copied.
  absl::StatusOr<int64_t> CopyIn(absl::string_view copy_sql,
                                 absl::string_view data, absl::Time deadline);

  // BEGIN; fn(); COMMIT, or ROLLBACK when fn or COMMIT fails (fn's error is
  // returned). `fn` uses this connection.
  template <typename Fn>
  absl::Status Transaction(absl::Time deadline, Fn fn);

  // The connection timed out or lost its server: discard it.
  bool broken() const;
  // For an idle connection: false when the server has closed it (e.g. it
  // restarted). Reads what the server sent without waiting.
  bool LooksAlive();
  // Server process id (pg_stat_activity.pid).
  int backend_pid() const;

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  // Waits (poll) until the whole request is sent and every result has
  // arrived; `results` gets them. Marks the connection broken on timeout.
  absl::Status Await(absl::Time deadline, std::vector<Result>* results);
  absl::Status WaitSocket(bool for_write, absl::Time deadline);
  absl::Status Fail(absl::Status status);

  pg_conn* conn_;
  bool broken_ = false;
};

template <typename Fn>
absl::Status Connection::Transaction(absl::Time deadline, Fn fn) {
  if (absl::StatusOr<Result> begin = Exec("BEGIN", deadline); !begin.ok()) {
    return begin.status();
  }
  absl::Status status = fn();
  if (status.ok()) {
    absl::StatusOr<Result> commit = Exec("COMMIT", deadline);
    if (commit.ok()) return absl::OkStatus();
    status = commit.status();
  }
  if (!broken()) (void)Exec("ROLLBACK", deadline);
  return status;
}

// A bounded set of connections shared by threads. Thread-safe.
class Pool {
 public:
  struct Options {
    ConnectionOptions connection;
    // Connections open at once, at most.
    int max_connections = 4;
  };

  // A borrowed connection; returned to the pool when destroyed (closed
  // instead when broken).
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() const { return connection_.get(); }
    Connection& operator*() const { return *connection_; }

   private:
    friend class Pool;
    Lease(Pool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  explicit Pool(Options options);
  ~Pool();

  // An idle connection, or a new one while fewer than max_connections are
  // open; waits for one to be returned until `deadline`. UNAVAILABLE when
  // none is free in time ("busy") or the server cannot be reached.
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

  // Connections open (idle + leased).
  int open_connections() const;

 private:
  struct State;
  void Return(std::unique_ptr<Connection> connection);

  const Options options_;
  std::unique_ptr<State> state_;
};

}  // namespace vnstream::pg

#endif  // VNSTREAM_LIBS_PG_PG_H_
