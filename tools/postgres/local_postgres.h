// A real PostgreSQL 15 server (Debian's postgresql-15) on 127.0.0.1, its
// data in a work directory: the history store of the local stack
// (vnstream-postgres start/stop), of the tests (tests/support) and of the
// benchmarks.
//
// Layout of the work directory:
//   data/         the cluster (initdb on first start; reused afterwards)
//   postgres.log  the server's log
//   passwords     generated role passwords (mode 0600)
//   dsn           the owner role's connection URI (mode 0600)
//   reader.dsn    the read-only role's connection URI (mode 0600)
//
// Security: the server listens on 127.0.0.1 only, has no Unix socket, and
// every role (the superuser too) logs in with a SCRAM password; the
// database is not open to PUBLIC. The owner role runs migrations and writes
// (the store service); the reader role may only SELECT (the gateway).
//
// PostgreSQL refuses to run as root. When this process is root (CI
// containers, this machine), the server runs in a new user namespace
// (`unshare -U`): inside it the process is the unmapped user "nobody",
// while the files it creates are owned by the caller, so nothing has to be
// chown'ed and no system user is needed.
#ifndef VNSTREAM_TOOLS_POSTGRES_LOCAL_POSTGRES_H_
#define VNSTREAM_TOOLS_POSTGRES_LOCAL_POSTGRES_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/base/subprocess.h"

namespace vnstream::postgres {

struct LocalPostgresOptions {
  // Directory with initdb and postgres. Empty: $VNSTREAM_POSTGRES_BIN, else
  // /usr/lib/postgresql/15/bin (Debian's postgresql-15).
  std::string bin_dir;
  // Required; created if missing. An initialised directory is reused (the
  // data survives restarts).
  std::string work_dir;
  // TCP port on 127.0.0.1; 0 picks a free one.
  int port = 0;
  // The application database, its owner (read/write) and a read-only role.
  std::string database = "vnstream";
  std::string owner_role = "vnstream";
  std::string reader_role = "vnstream_reader";
  // Extra server settings (-c name=value), e.g. {"shared_buffers", "256MB"}.
  std::vector<std::pair<std::string, std::string>> settings;
  // How long start-up may take, process start to an accepted login.
  absl::Duration startup_timeout = absl::Seconds(60);
  // Kill the server if the starting thread dies (tests). Off for daemons.
  bool kill_with_parent = true;
};

class LocalPostgres {
 public:
  // initdb (first time), starts the server, waits until it accepts logins,
  // creates the roles and the database (idempotent), writes the DSN files.
  static absl::StatusOr<std::unique_ptr<LocalPostgres>> Start(
      LocalPostgresOptions options);

  // Stops the server (fast shutdown) unless Release()d.
  ~LocalPostgres();

  int port() const { return options_.port; }
  // The postmaster's pid (0 when not running).
  pid_t pid() const;
  const std::string& work_dir() const { return options_.work_dir; }
  std::string log_path() const;
  // Connection URIs: the owner role, the read-only role, the superuser
  // (database "postgres").
  std::string dsn() const { return Dsn(options_.owner_role); }
  std::string reader_dsn() const { return Dsn(options_.reader_role); }
  std::string superuser_dsn() const;

  // Fast shutdown (SIGINT: open transactions are rolled back, a checkpoint
  // is written), SIGKILL to the whole process group after `grace`.
  absl::Status Stop(absl::Duration grace = absl::Seconds(30));
  // A crash: SIGKILL to the postmaster and every backend at once, as an
  // OOM kill or a power cut of the process would; the next start recovers
  // from the WAL.
  absl::Status Kill();
  // Starts the server again on the same data directory and port (after
  // Stop or Kill) and waits until it accepts logins.
  absl::Status Restart();

  // Leaves the server running after this object is gone (daemon mode);
  // stop it later with StopDetached(work_dir).
  void Release();

  // Stops a server started (and Release()d) in `work_dir`, by the
  // postmaster.pid of its data directory. OK if it is not running.
  static absl::Status StopDetached(const std::string& work_dir,
                                   absl::Duration grace = absl::Seconds(30));

 private:
  explicit LocalPostgres(LocalPostgresOptions options)
      : options_(std::move(options)) {}
  std::string Dsn(const std::string& role) const;
  absl::Status InitDb();
  absl::Status StartServer();
  absl::Status WaitReady();
  absl::Status Provision();

  LocalPostgresOptions options_;
  // role -> password (the superuser is "postgres").
  std::vector<std::pair<std::string, std::string>> passwords_;
  std::unique_ptr<Subprocess> process_;
  bool released_ = false;
};

}  // namespace vnstream::postgres

#endif  // VNSTREAM_TOOLS_POSTGRES_LOCAL_POSTGRES_H_
