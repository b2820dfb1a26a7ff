#include "tools/postgres/local_postgres.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/base/logging.h"
#include "libs/pg/pg.h"

namespace vnstream::postgres {
namespace {

namespace fs = std::filesystem;

constexpr char kSuperuser[] = "postgres";
constexpr char kDefaultBinDir[] = "/usr/lib/postgresql/15/bin";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Written with mode 0600: the files hold passwords.
absl::Status WritePrivateFile(const fs::path& path, absl::string_view text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  std::error_code ec;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("chmod ", path.string(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string Tail(const fs::path& path, size_t bytes) {
  const std::string text = ReadFile(path);
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

std::string NewPassword() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  absl::BitGen gen;
  std::string password(24, ' ');
  for (char& c : password) {
    c = kAlphabet[absl::Uniform<size_t>(gen, 0, sizeof(kAlphabet) - 1)];
  }
  return password;
}

// PostgreSQL will not run as root; a user namespace makes it "nobody"
// inside while its files stay ours (see the header).
std::vector<std::string> AsNonRoot(std::vector<std::string> argv) {
  if (::geteuid() == 0) argv.insert(argv.begin(), {"unshare", "--user"});
  return argv;
}

std::string DefaultBinDir() {
  const char* dir = std::getenv("VNSTREAM_POSTGRES_BIN");
  return dir != nullptr && *dir != '\0' ? dir : kDefaultBinDir;
}

}  // namespace

pid_t LocalPostgres::pid() const {
  return process_ != nullptr ? process_->pid() : 0;
}

std::string LocalPostgres::log_path() const {
  return (fs::path(options_.work_dir) / "postgres.log").string();
}

std::string LocalPostgres::Dsn(const std::string& role) const {
  for (const auto& [name, password] : passwords_) {
    if (name == role) {
      return absl::StrCat("postgresql://", role, ":", password,
                          "@127.0.0.1:", options_.port, "/", options_.database);
    }
  }
  return "";
}

std::string LocalPostgres::superuser_dsn() const {
  for (const auto& [name, password] : passwords_) {
    if (name == kSuperuser) {
      return absl::StrCat("postgresql://", kSuperuser, ":", password,
                          "@127.0.0.1:", options_.port, "/postgres");
    }
  }
  return "";
}

absl::StatusOr<std::unique_ptr<LocalPostgres>> LocalPostgres::Start(
    LocalPostgresOptions options) {
  if (options.work_dir.empty()) {
    return absl::InvalidArgumentError("LocalPostgres: work_dir is required");
  }
  if (options.bin_dir.empty()) options.bin_dir = DefaultBinDir();
  for (const char* tool : {"initdb", "postgres"}) {
    if (::access((fs::path(options.bin_dir) / tool).c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("no ", tool, " in ", options.bin_dir,
                       ": install postgresql-15 (scripts/setup.sh) or set "
                       "VNSTREAM_POSTGRES_BIN"));
    }
  }
  std::error_code ec;
  options.work_dir = fs::absolute(options.work_dir).string();
  fs::create_directories(options.work_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("mkdir ", options.work_dir, ": ", ec.message()));
  }
  if (options.port == 0) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    options.port = *port;
  }
  auto server = std::unique_ptr<LocalPostgres>(new LocalPostgres(options));

  // Passwords: kept across restarts; a role missing from the file gets one.
  const fs::path password_file = fs::path(options.work_dir) / "passwords";
  for (absl::string_view line :
       absl::StrSplit(ReadFile(password_file), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> entry =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (!entry.first.empty() && !entry.second.empty()) {
      server->passwords_.push_back(std::move(entry));
    }
  }
  std::string passwords_text;
  for (const std::string& role :
       {std::string(kSuperuser), options.owner_role, options.reader_role}) {
    if (server->Dsn(role).empty()) {
      server->passwords_.emplace_back(role, NewPassword());
    }
  }
  for (const auto& [role, password] : server->passwords_) {
    absl::StrAppend(&passwords_text, role, " ", password, "\n");
  }
  if (absl::Status s = WritePrivateFile(password_file, passwords_text);
      !s.ok()) {
    return s;
  }

  if (!fs::exists(fs::path(options.work_dir) / "data" / "PG_VERSION")) {
    if (absl::Status s = server->InitDb(); !s.ok()) return s;
  }
  if (absl::Status s = server->StartServer(); !s.ok()) return s;
  if (absl::Status s = server->Provision(); !s.ok()) return s;
  const fs::path dir(options.work_dir);
  if (absl::Status s = WritePrivateFile(dir / "dsn", server->dsn() + "\n");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          WritePrivateFile(dir / "reader.dsn", server->reader_dsn() + "\n");
      !s.ok()) {
    return s;
  }
  return server;
}

absl::Status LocalPostgres::InitDb() {
  const fs::path dir(options_.work_dir);
  const fs::path data = dir / "data";
  std::error_code ec;
  fs::remove_all(data, ec);  // A half-initialised directory from a crash.
  const fs::path pwfile = dir / "superuser.pwfile";
  std::string superuser_password;
  for (const auto& [role, password] : passwords_) {
    if (role == kSuperuser) superuser_password = password;
  }
  if (absl::Status s = WritePrivateFile(pwfile, superuser_password + "\n");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<Subprocess>> initdb = Subprocess::Start({
      .argv = AsNonRoot({(fs::path(options_.bin_dir) / "initdb").string(),
                         "--pgdata", data.string(), "--username", kSuperuser,
                         "--pwfile", pwfile.string(), "--auth", "scram-sha-256",
                         "--encoding", "UTF8", "--locale", "C",
                         // The cluster is a cache of Kafka and VNStock: no
                         // fsync of the template files (saves seconds).
                         "--no-sync"}),
      .env = {{"LC_ALL", "C"}, {"LANG", "C"}},
      .log_path = log_path(),
  });
  if (!initdb.ok()) return initdb.status();
  absl::StatusOr<int> status = (*initdb)->Wait(absl::Seconds(120));
  fs::remove(pwfile, ec);
  if (!status.ok() || *status != 0) {
    return absl::InternalError(absl::StrCat(
        "initdb failed",
        ::geteuid() == 0 ? " (as root, via unshare --user)" : "", "; ",
        log_path(), " ends with:\n", Tail(log_path(), 2000)));
  }
  // TCP from this machine only, with passwords; no Unix socket at all.
  return WritePrivateFile(
      data / "pg_hba.conf",
      "# Written by vnstream-postgres (tools/postgres/local_postgres.cc).\n"
      "# TYPE DATABASE USER ADDRESS      METHOD\n"
      "host    all      all  127.0.0.1/32 scram-sha-256\n");
}

absl::Status LocalPostgres::StartServer() {
  const fs::path data = fs::path(options_.work_dir) / "data";
  std::vector<std::string> argv = {
      (fs::path(options_.bin_dir) / "postgres").string(),
      "-D",
      data.string(),
      "-p",
      absl::StrCat(options_.port),
      "-c",
      "listen_addresses=127.0.0.1",
      // Unix socket paths are limited to 107 bytes and test directories
      // are deeper; TCP only.
      "-c",
      "unix_socket_directories=",
      "-c",
      "logging_collector=off",
  };
  for (const auto& [name, value] : options_.settings) {
    argv.push_back("-c");
    argv.push_back(absl::StrCat(name, "=", value));
  }
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start({
      .argv = AsNonRoot(std::move(argv)),
      .env = {{"LC_ALL", "C"}, {"LANG", "C"}},
      .log_path = log_path(),
      .kill_with_parent = options_.kill_with_parent,
  });
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  released_ = false;
  return WaitReady();
}

absl::Status LocalPostgres::WaitReady() {
  absl::Status last = absl::UnavailableError("not tried yet");
  const bool ready = PollUntil(
      [&] {
        if (!process_->Running()) return true;
        absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
            pg::Connection::Open({.dsn = superuser_dsn(),
                                  .connect_timeout = absl::Seconds(2),
                                  .application_name = "vnstream-postgres"},
                                 absl::Now() + absl::Seconds(2));
        if (!conn.ok()) {
          last = conn.status();
          return false;
        }
        last =
            (*conn)->Exec("SELECT 1", absl::Now() + absl::Seconds(2)).status();
        return last.ok();
      },
      options_.startup_timeout, absl::Milliseconds(100));
  if (!process_->Running()) {
    return absl::InternalError(absl::StrCat(
        "postgres exited during start-up",
        ::geteuid() == 0 ? " (as root, via unshare --user)" : "", "; ",
        log_path(), " ends with:\n", Tail(log_path(), 3000)));
  }
  if (!ready) {
    return absl::DeadlineExceededError(
        absl::StrCat("postgres not ready after ",
                     absl::FormatDuration(options_.startup_timeout), ": ",
                     last.ToString(), "; see ", log_path()));
  }
  return absl::OkStatus();
}

absl::Status LocalPostgres::Provision() {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<std::unique_ptr<pg::Connection>> admin =
      pg::Connection::Open({.dsn = superuser_dsn()}, deadline);
  if (!admin.ok()) return admin.status();
  pg::Connection& conn = **admin;
  for (const auto& [role, password] : passwords_) {
    if (role != options_.owner_role && role != options_.reader_role) continue;
    absl::StatusOr<pg::Result> exists = conn.Exec(
        "SELECT 1 FROM pg_roles WHERE rolname = $1", {role}, deadline);
    if (!exists.ok()) return exists.status();
    const std::string verb = exists->rows() == 0 ? "CREATE" : "ALTER";
    if (absl::Status s = conn.Script(
            absl::StrCat(verb, " ROLE ", pg::QuoteIdentifier(role),
                         " LOGIN PASSWORD ", pg::QuoteLiteral(password)),
            deadline);
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<pg::Result> db =
      conn.Exec("SELECT 1 FROM pg_database WHERE datname = $1",
                {options_.database}, deadline);
  if (!db.ok()) return db.status();
  const std::string database = pg::QuoteIdentifier(options_.database);
  const std::string owner = pg::QuoteIdentifier(options_.owner_role);
  const std::string reader = pg::QuoteIdentifier(options_.reader_role);
  if (db->rows() == 0) {
    if (absl::Status s = conn.Script(
            absl::StrCat("CREATE DATABASE ", database, " OWNER ", owner),
            deadline);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = conn.Script(
          absl::StrCat("REVOKE ALL ON DATABASE ", database, " FROM PUBLIC; ",
                       "GRANT CONNECT ON DATABASE ", database, " TO ", reader),
          deadline);
      !s.ok()) {
    return s;
  }
  // In the application database: the reader sees every table the owner
  // has made or will make (partitions included), and can change nothing.
  std::string app_dsn = superuser_dsn();
  app_dsn = app_dsn.substr(0, app_dsn.rfind('/') + 1) + options_.database;
  absl::StatusOr<std::unique_ptr<pg::Connection>> app =
      pg::Connection::Open({.dsn = app_dsn}, deadline);
  if (!app.ok()) return app.status();
  return (*app)->Script(
      absl::StrCat("GRANT USAGE ON SCHEMA public TO ", reader,
                   "; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ", reader,
                   "; ALTER DEFAULT PRIVILEGES FOR ROLE ", owner,
                   " IN SCHEMA public GRANT SELECT ON TABLES TO ", reader),
      deadline);
}

LocalPostgres::~LocalPostgres() {
  if (process_ != nullptr && !released_) (void)Stop();
}

absl::Status LocalPostgres::Stop(absl::Duration grace) {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  // SIGINT to the postmaster alone: fast shutdown. (The backends would
  // take SIGINT as "cancel the query".)
  ::kill(process_->pid(), SIGINT);
  if (absl::StatusOr<int> status = process_->Wait(grace); status.ok()) {
    return absl::OkStatus();
  }
  spdlog::warn("postgres did not stop within {}; killing it",
               absl::FormatDuration(grace));
  return process_->Terminate(absl::ZeroDuration()).status();
}

absl::Status LocalPostgres::Kill() {
  if (process_ == nullptr) return absl::OkStatus();
  if (absl::Status s = process_->Signal(SIGKILL); !s.ok()) return s;
  return process_->Wait(absl::Seconds(10)).status();
}

absl::Status LocalPostgres::Restart() {
  if (process_ != nullptr && process_->Running()) {
    return absl::FailedPreconditionError("postgres is still running");
  }
  return StartServer();
}

void LocalPostgres::Release() {
  released_ = true;
  if (process_ != nullptr) process_->Release();
}

absl::Status LocalPostgres::StopDetached(const std::string& work_dir,
                                         absl::Duration grace) {
  // postmaster.pid's first line is the postmaster's pid.
  const std::string text =
      ReadFile(fs::path(work_dir) / "data" / "postmaster.pid");
  int pid = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.find('\n')), &pid) || pid <= 0) {
    return absl::OkStatus();  // Not running (or never started).
  }
  // A postmaster.pid left by a crash may name a pid reused since: only a
  // postgres process is signalled.
  const std::string cmdline =
      ReadFile(fs::path("/proc") / absl::StrCat(pid) / "cmdline");
  if (cmdline.find("postgres") == std::string::npos) return absl::OkStatus();
  auto alive = [pid] {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return false;
    return ::kill(pid, 0) == 0;
  };
  if (alive()) {
    ::kill(pid, SIGINT);
    if (!PollUntil([&] { return !alive(); }, grace, absl::Milliseconds(100))) {
      ::kill(-pid, SIGKILL);
      PollUntil([&] { return !alive(); }, absl::Seconds(10));
    }
  }
  return alive() ? absl::InternalError(absl::StrCat("pid ", pid, " survived"))
                 : absl::OkStatus();
}

}  // namespace vnstream::postgres
