#include "libs/pg/pg.h"

#include <arpa/inet.h>
#include <poll.h>
#include <postgresql/libpq-fe.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "libs/base/logging.h"

namespace vnstream::pg {
namespace {

constexpr char kSqlStatePayload[] = "type.vnstream/pg.sqlstate";

std::string Trimmed(const char* message) {
  return std::string(
      absl::StripTrailingAsciiWhitespace(message != nullptr ? message : ""));
}

uint16_t Be16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return ntohs(v);
}
uint32_t Be32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}
uint64_t Be64(const char* p) {
  return (static_cast<uint64_t>(Be32(p)) << 32) | Be32(p + 4);
}

// 2000-01-01 00:00 UTC, PostgreSQL's epoch for binary dates and times.
constexpr int64_t kPgEpochUnixSeconds = 946684800;
constexpr int32_t kPgEpochUnixDays = 10957;

}  // namespace

absl::Status StatusForSqlState(absl::string_view state,
                               absl::string_view message) {
  absl::StatusCode code = absl::StatusCode::kInternal;
  if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
      state == "57P03" || state == "53300") {
    code = absl::StatusCode::kUnavailable;
  } else if (state == "40001" || state == "40P01") {
    code = absl::StatusCode::kAborted;
  } else if (state == "57014") {
    code = absl::StatusCode::kDeadlineExceeded;
  } else if (absl::StartsWith(state, "22")) {
    code = absl::StatusCode::kInvalidArgument;
  } else if (absl::StartsWith(state, "23")) {
    code = absl::StatusCode::kFailedPrecondition;
  }
  absl::Status status(code, absl::StrCat("postgres [", state, "]: ", message));
  status.SetPayload(kSqlStatePayload, absl::Cord(state));
  return status;
}

std::string SqlState(const absl::Status& status) {
  auto state = status.GetPayload(kSqlStatePayload);
  return state.has_value() ? std::string(*state) : std::string();
}

std::string DescribeDsn(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return "(unparsable DSN)";
  }
  std::string user, host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const absl::string_view keyword = o->keyword;
    if (keyword == "user") user = o->val;
    if (keyword == "host" || (keyword == "hostaddr" && host.empty())) {
      host = o->val;
    }
    if (keyword == "port") port = o->val;
    if (keyword == "dbname") dbname = o->val;
  }
  PQconninfoFree(options);
  return absl::StrCat(user, user.empty() ? "" : "@",
                      host.empty() ? "localhost" : host,
                      port.empty() ? "" : ":", port, "/", dbname);
}

std::string QuoteIdentifier(absl::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(absl::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// ---- Result ------------------------------------------------------------

Result::Result(pg_result* result) : result_(result) {}
Result::Result(Result&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)) {}
Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}

int Result::rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }
int Result::columns() const {
  return result_ == nullptr ? 0 : PQnfields(result_);
}
bool Result::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}
absl::string_view Result::Value(int row, int column) const {
  return absl::string_view(PQgetvalue(result_, row, column),
                           PQgetlength(result_, row, column));
}
int64_t Result::affected_rows() const {
  int64_t n = 0;
  if (result_ != nullptr) (void)absl::SimpleAtoi(PQcmdTuples(result_), &n);
  return n;
}
int64_t Result::Int64(int row, int column) const {
  int64_t v = 0;
  (void)absl::SimpleAtoi(Value(row, column), &v);
  return v;
}
bool Result::Bool(int row, int column) const {
  return Value(row, column) == "t";
}

// ---- Binary decoders ---------------------------------------------------

namespace binary {

int64_t Int64(absl::string_view value) {
  return value.size() == 8 ? static_cast<int64_t>(Be64(value.data())) : 0;
}
int32_t Int32(absl::string_view value) {
  return value.size() == 4 ? static_cast<int32_t>(Be32(value.data())) : 0;
}
bool Bool(absl::string_view value) {
  return value.size() == 1 && value[0] != 0;
}
double Float64(absl::string_view value) {
  const uint64_t bits = value.size() == 8 ? Be64(value.data()) : 0;
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}
absl::Time Timestamp(absl::string_view value) {
  const int64_t micros = Int64(value);
  if (micros == INT64_MAX) return absl::InfiniteFuture();
  if (micros == INT64_MIN) return absl::InfinitePast();
  return absl::FromUnixSeconds(kPgEpochUnixSeconds) +
         absl::Microseconds(micros);
}
int32_t DaysSinceEpoch(absl::string_view value) {
  return Int32(value) + kPgEpochUnixDays;
}

absl::StatusOr<__int128> NumericNanos(absl::string_view value) {
  if (value.size() < 8) return absl::InvalidArgumentError("short numeric");
  const int ndigits = static_cast<int16_t>(Be16(value.data()));
  const int weight = static_cast<int16_t>(Be16(value.data() + 2));
  const uint16_t sign = Be16(value.data() + 4);
  if (sign != 0x0000 && sign != 0x4000) {
    return absl::InvalidArgumentError("numeric NaN or infinity");
  }
  if (ndigits < 0 || value.size() < 8 + 2 * static_cast<size_t>(ndigits)) {
    return absl::InvalidArgumentError("malformed numeric");
  }
  // value = sum digit[i] * 10000^(weight - i); nanos = value * 1e9.
  __int128 nanos = 0;
  for (int i = 0; i < ndigits; ++i) {
    const int digit = Be16(value.data() + 8 + 2 * i);
    if (digit == 0) continue;
    const int exponent = weight - i;
    __int128 term = digit;
    if (exponent >= 7) return absl::InvalidArgumentError("numeric too large");
    if (exponent >= 0) {
      for (int e = 0; e < exponent; ++e) term *= 10000;
      term *= 1'000'000'000;
    } else if (exponent == -1) {
      term *= 100'000;
    } else if (exponent == -2) {
      term *= 10;
    } else if (exponent == -3 && digit % 1000 == 0) {
      term /= 1000;
    } else {
      return absl::InvalidArgumentError(
          "numeric has more than 9 fractional digits");
    }
    nanos += term;
  }
  return sign == 0x4000 ? -nanos : nanos;
}

}  // namespace binary

// ---- Connection --------------------------------------------------------

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const ConnectionOptions& options, absl::Time deadline) {
  deadline = std::min(deadline, absl::Now() + options.connect_timeout);
  std::string server_options = "-c TimeZone=UTC";
  if (options.statement_timeout > absl::ZeroDuration()) {
    absl::StrAppend(&server_options, " -c statement_timeout=",
                    absl::ToInt64Milliseconds(options.statement_timeout));
  }
  // Ours first: settings in the DSN win (libpq: later keywords override).
  const char* keywords[] = {"application_name", "options",
                            "client_encoding",  "keepalives",
                            "keepalives_idle",  "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout",
                            "dbname",           nullptr};
  const char* values[] = {options.application_name.c_str(),
                          server_options.c_str(),
                          "UTF8",
                          "1",
                          "30",
                          "10",
                          "3",
                          "30000",
                          options.dsn.c_str(),
                          nullptr};
  pg_conn* conn = PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: no memory");
  auto connection = std::unique_ptr<Connection>(new Connection(conn));
  if (PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(
        absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn))));
  }
  PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
  while (poll_status != PGRES_POLLING_OK) {
    if (poll_status == PGRES_POLLING_FAILED) {
      return absl::UnavailableError(
          absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn))));
    }
    if (absl::Status s = connection->WaitSocket(
            poll_status == PGRES_POLLING_WRITING, deadline);
        !s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("postgres: connecting: ", s.message()));
    }
    poll_status = PQconnectPoll(conn);
  }
  // Notices ("relation ... already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        spdlog::debug("postgres: {}", Trimmed(message));
      },
      nullptr);
  if (PQsetnonblocking(conn, 1) != 0) {
    return absl::InternalError("libpq: cannot enter non-blocking mode");
  }
  return connection;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const {
  return broken_ || PQstatus(conn_) != CONNECTION_OK;
}

int Connection::backend_pid() const { return PQbackendPID(conn_); }

absl::Status Connection::Fail(absl::Status status) {
  broken_ = true;
  return status;
}

absl::Status Connection::WaitSocket(bool for_write, absl::Time deadline) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return absl::UnavailableError("postgres: no socket");
  pollfd p{.fd = fd,
           .events = static_cast<short>(for_write ? POLLOUT | POLLIN : POLLIN),
           .revents = 0};
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("postgres: deadline exceeded");
    }
    const int64_t ms = std::min<int64_t>(
        absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
        60'000);
    const int n = ::poll(&p, 1, static_cast<int>(ms));
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(
          absl::StrCat("postgres: poll: ", std::strerror(errno)));
    }
  }
}

absl::Status Connection::Await(absl::Time deadline,
                               std::vector<Result>* results) {
  // Send everything queued.
  while (true) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) {
      return Fail(absl::UnavailableError(
          absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
    }
    if (absl::Status s = WaitSocket(/*for_write=*/true, deadline); !s.ok()) {
      return Fail(s);
    }
    if (PQconsumeInput(conn_) == 0) {
      return Fail(absl::UnavailableError(
          absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
    }
  }
  // Collect results until libpq has none left (or COPY IN starts).
  absl::Status first_error;
  while (true) {
    while (PQisBusy(conn_)) {
      if (absl::Status s = WaitSocket(/*for_write=*/false, deadline); !s.ok()) {
        return Fail(s);
      }
      if (PQconsumeInput(conn_) == 0) {
        return Fail(absl::UnavailableError(
            absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
      }
    }
    pg_result* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    Result result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR ||
        status == PGRES_BAD_RESPONSE) {
      if (first_error.ok()) {
        const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
        const std::string message = Trimmed(PQresultErrorMessage(raw));
        if (state == nullptr) {
          first_error = absl::UnavailableError(absl::StrCat(
              "postgres: ",
              message.empty() ? Trimmed(PQerrorMessage(conn_)) : message));
        } else {
          first_error = StatusForSqlState(state, message);
        }
      }
      continue;
    }
    const bool copy_in = status == PGRES_COPY_IN;
    if (results != nullptr) results->push_back(std::move(result));
    if (copy_in) break;  // The caller sends the data.
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    if (first_error.ok()) {
      first_error = absl::UnavailableError(
          absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_))));
    }
  }
  return first_error;
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql,
                                        absl::Span<const Param> params,
                                        absl::Time deadline, Format format) {
  if (broken_) return absl::UnavailableError("postgres: connection broken");
  const std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) {
    values.push_back(p.has_value() ? p->c_str() : nullptr);
  }
  if (PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()),
                        nullptr, values.data(), nullptr, nullptr,
                        static_cast<int>(format)) == 0) {
    return Fail(absl::UnavailableError(
        absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
  }
  std::vector<Result> results;
  if (absl::Status s = Await(deadline, &results); !s.ok()) return s;
  if (results.empty()) return Result();
  return std::move(results.back());
}

absl::Status Connection::Script(absl::string_view sql, absl::Time deadline) {
  if (broken_) return absl::UnavailableError("postgres: connection broken");
  const std::string text(sql);
  if (PQsendQuery(conn_, text.c_str()) == 0) {
    return Fail(absl::UnavailableError(
        absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
  }
  return Await(deadline, nullptr);
}

absl::StatusOr<int64_t> Connection::CopyIn(absl::string_view copy_sql,
                                           absl::string_view data,
                                           absl::Time deadline) {
  if (broken_) return absl::UnavailableError("postgres: connection broken");
  const std::string text(copy_sql);
  if (PQsendQueryParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr,
                        nullptr, 0) == 0) {
    return Fail(absl::UnavailableError(
        absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
  }
  std::vector<Result> started;
  if (absl::Status s = Await(deadline, &started); !s.ok()) return s;
  if (started.empty() ||
      PQresultStatus(started.back().result_) != PGRES_COPY_IN) {
    return absl::InternalError("postgres: statement did not start COPY IN");
  }
  // Chunks of 256 KiB; PQputCopyData returns 0 when the socket is full.
  constexpr size_t kChunk = 256 * 1024;
  for (size_t offset = 0; offset < data.size();) {
    const size_t n = std::min(kChunk, data.size() - offset);
    const int put =
        PQputCopyData(conn_, data.data() + offset, static_cast<int>(n));
    if (put < 0) {
      return Fail(absl::UnavailableError(
          absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
    }
    if (put == 0) {
      if (absl::Status s = WaitSocket(/*for_write=*/true, deadline); !s.ok()) {
        return Fail(s);
      }
      if (PQflush(conn_) < 0) {
        return Fail(absl::UnavailableError(
            absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
      }
      continue;
    }
    offset += n;
  }
  while (true) {
    const int ended = PQputCopyEnd(conn_, nullptr);
    if (ended > 0) break;
    if (ended < 0) {
      return Fail(absl::UnavailableError(
          absl::StrCat("postgres: ", Trimmed(PQerrorMessage(conn_)))));
    }
    if (absl::Status s = WaitSocket(/*for_write=*/true, deadline); !s.ok()) {
      return Fail(s);
    }
  }
  std::vector<Result> done;
  if (absl::Status s = Await(deadline, &done); !s.ok()) return s;
  return done.empty() ? 0 : done.back().affected_rows();
}

bool Connection::LooksAlive() {
  if (broken()) return false;
  const int fd = PQsocket(conn_);
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  // An idle connection has nothing to read unless the server said goodbye
  // (or sent a notice): read it, and see whether the connection survived.
  if (::poll(&p, 1, 0) > 0 &&
      (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK)) {
    broken_ = true;
  }
  return !broken();
}

// ---- Pool --------------------------------------------------------------

struct Pool::State {
  absl::Mutex mu;
  std::vector<std::unique_ptr<Connection>> idle ABSL_GUARDED_BY(mu);
  int open ABSL_GUARDED_BY(mu) = 0;
};

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

Pool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

Pool::Pool(Options options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {}

Pool::~Pool() = default;

int Pool::open_connections() const {
  absl::MutexLock lock(&state_->mu);
  return state_->open;
}

absl::StatusOr<Pool::Lease> Pool::Acquire(absl::Time deadline) {
  State& s = *state_;
  while (true) {
    std::unique_ptr<Connection> connection;
    {
      absl::MutexLock lock(&s.mu);
      auto available = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
        return !s.idle.empty() || s.open < options_.max_connections;
      };
      if (!s.mu.AwaitWithDeadline(absl::Condition(&available), deadline)) {
        return absl::UnavailableError(absl::StrCat(
            "postgres: all ", options_.max_connections, " connections busy"));
      }
      if (!s.idle.empty()) {
        connection = std::move(s.idle.back());
        s.idle.pop_back();
      } else {
        ++s.open;
      }
    }
    if (connection != nullptr) {
      // A connection idle across a server restart is dead: drop it, try
      // the next (or a new one).
      if (connection->LooksAlive()) return Lease(this, std::move(connection));
      absl::MutexLock lock(&s.mu);
      --s.open;
      continue;
    }
    absl::StatusOr<std::unique_ptr<Connection>> opened =
        Connection::Open(options_.connection, deadline);
    if (!opened.ok()) {
      absl::MutexLock lock(&s.mu);
      --s.open;
      return opened.status();
    }
    return Lease(this, *std::move(opened));
  }
}

void Pool::Return(std::unique_ptr<Connection> connection) {
  absl::MutexLock lock(&state_->mu);
  if (connection->broken()) {
    --state_->open;
    return;
  }
  state_->idle.push_back(std::move(connection));
}

}  // namespace vnstream::pg
