// vnstream-postgres: runs a real PostgreSQL 15 (Debian's postgresql-15) on
// 127.0.0.1 for the history store.
//
//   vnstream-postgres start --dir=.run/postgres --port=5432   # daemon
//   vnstream-postgres stop  --dir=.run/postgres
//   vnstream-postgres run   --dir=/tmp/pg                    # foreground
//
// `start` and `run` print "127.0.0.1:<port>" on stdout once the server
// accepts logins; the connection URIs (with generated passwords) are in
// <dir>/dsn (owner: the store) and <dir>/reader.dsn (read-only: the
// gateway), mode 0600:  psql "$(cat .run/postgres/dsn)"
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "libs/base/config.h"
#include "libs/base/logging.h"
#include "libs/base/signals.h"
#include "tools/postgres/local_postgres.h"

ABSL_FLAG(std::string, dir, "",
          "Work directory: data/, postgres.log, dsn files.");
ABSL_FLAG(int, port, 0, "Port on 127.0.0.1 (0 = a free one).");
ABSL_FLAG(std::string, database, "vnstream", "Application database.");
ABSL_FLAG(std::string, owner_role, "vnstream",
          "Role owning the database (migrations, writes).");
ABSL_FLAG(std::string, reader_role, "vnstream_reader",
          "Role that may only read (SELECT).");
ABSL_FLAG(std::string, postgres_bin, "",
          "Directory with initdb and postgres (default: "
          "$VNSTREAM_POSTGRES_BIN or /usr/lib/postgresql/15/bin).");
ABSL_FLAG(std::vector<std::string>, settings, {},
          "Extra server settings, name=value,... (e.g. shared_buffers=256MB).");

namespace vnstream::postgres {
namespace {

constexpr char kUsage[] =
    "vnstream-postgres start|stop|run --dir=DIR [--port=N] [--database=NAME]";

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  std::vector<char*> args = ParseConfig(argc, argv, kUsage);
  InitLogging("vnstream-postgres");
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (args.size() != 2 || dir.empty()) {
    std::fprintf(stderr, "usage: %s\n", kUsage);
    return 2;
  }
  const std::string command = args[1];
  if (command == "stop") {
    absl::Status s = LocalPostgres::StopDetached(dir);
    if (!s.ok()) spdlog::error("stop: {}", s);
    return s.ok() ? 0 : 1;
  }
  if (command != "start" && command != "run") {
    std::fprintf(stderr, "usage: %s\n", kUsage);
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> settings;
  for (const std::string& setting : absl::GetFlag(FLAGS_settings)) {
    const size_t eq = setting.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "--settings: '%s' is not name=value\n",
                   setting.c_str());
      return 2;
    }
    settings.emplace_back(setting.substr(0, eq), setting.substr(eq + 1));
  }
  absl::StatusOr<std::unique_ptr<LocalPostgres>> server = LocalPostgres::Start({
      .bin_dir = absl::GetFlag(FLAGS_postgres_bin),
      .work_dir = dir,
      .port = absl::GetFlag(FLAGS_port),
      .database = absl::GetFlag(FLAGS_database),
      .owner_role = absl::GetFlag(FLAGS_owner_role),
      .reader_role = absl::GetFlag(FLAGS_reader_role),
      .settings = std::move(settings),
      .kill_with_parent = command == "run",
  });
  if (!server.ok()) {
    spdlog::error("{}", server.status());
    return 1;
  }
  spdlog::info(
      "PostgreSQL ready at 127.0.0.1:{} (pid {}, log {}); connection URIs in "
      "{}/dsn and {}/reader.dsn",
      (*server)->port(), (*server)->pid(), (*server)->log_path(),
      (*server)->work_dir(), (*server)->work_dir());
  std::printf("127.0.0.1:%d\n", (*server)->port());
  std::fflush(stdout);
  if (command == "start") {
    (*server)->Release();
    return 0;
  }
  WaitForShutdownSignal();
  return (*server)->Stop().ok() ? 0 : 1;
}

}  // namespace
}  // namespace vnstream::postgres

int main(int argc, char** argv) { return vnstream::postgres::Main(argc, argv); }
