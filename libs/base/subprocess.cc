#include "libs/base/subprocess.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace vnstream {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(Options options) {
  if (options.argv.empty()) {
    return absl::InvalidArgumentError("Subprocess: empty argv");
  }
  // Everything the child needs is prepared before fork(): after it only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (std::string& arg : options.argv) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool overridden = false;
    for (const auto& [key, value] : options.env) {
      if (entry.size() > key.size() && entry.substr(0, key.size()) == key &&
          entry[key.size()] == '=') {
        overridden = true;
        break;
      }
    }
    if (!overridden) env_storage.emplace_back(entry);
  }
  for (const auto& [key, value] : options.env) {
    env_storage.push_back(absl::StrCat(key, "=", value));
  }
  std::vector<char*> envp;
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int log_fd = -1;
  if (!options.log_path.empty()) {
    log_fd = ::open(options.log_path.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return ErrnoError(absl::StrCat("open ", options.log_path));
  }
  const pid_t parent = ::getpid();
  const bool kill_with_parent = options.kill_with_parent;
  const char* dir =
      options.working_dir.empty() ? nullptr : options.working_dir.c_str();

  const pid_t pid = ::fork();
  if (pid < 0) {
    if (log_fd >= 0) ::close(log_fd);
    return ErrnoError("fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    if (kill_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // The parent already died.
    }
    // The parent may block SIGTERM/SIGINT for its signal thread; a child
    // must start with a clean signal mask.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    if (dir != nullptr && ::chdir(dir) != 0) ::_exit(127);
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  ::setpgid(pid, pid);  // Also from the parent: no race with Signal().
  return std::unique_ptr<Subprocess>(new Subprocess(std::move(options), pid));
}

Subprocess::~Subprocess() {
  if (!released_ && Running()) (void)Terminate();
}

bool Subprocess::Running() {
  if (exited_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    exit_status_ = status;
    return false;
  }
  return r == 0;
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (!PollUntil([this] { return !Running(); }, timeout,
                 absl::Milliseconds(20))) {
    return absl::DeadlineExceededError(absl::StrCat(
        "pid ", pid_, " still running after ", absl::FormatDuration(timeout)));
  }
  return exit_status_;
}

absl::Status Subprocess::Signal(int signal) {
  if (exited_) return absl::OkStatus();
  if (::kill(-pid_, signal) != 0 && errno != ESRCH) {
    return ErrnoError(absl::StrCat("kill -", signal, " -", pid_));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Terminate(absl::Duration grace) {
  if (!Running()) return exit_status_;
  if (absl::Status s = Signal(SIGTERM); !s.ok()) return s;
  if (absl::StatusOr<int> status = Wait(grace); status.ok()) {
    // The leader exited; make sure no helper it spawned stays behind.
    ::kill(-pid_, SIGKILL);
    return status;
  }
  if (absl::Status s = Signal(SIGKILL); !s.ok()) return s;
  return Wait(absl::Seconds(10));
}

namespace {

// Binds 127.0.0.1:`port` (0: any) and returns the port bound, or an error.
absl::StatusOr<int> BindAndRelease(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const absl::Status status =
        ErrnoError(absl::StrCat("bind 127.0.0.1:", port));
    ::close(fd);
    return status;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The first port the kernel gives outgoing connections and port-0 binds
// (net.ipv4.ip_local_port_range; 32768 unless changed).
int EphemeralPortsStart() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  if (!(range >> low) || low <= 0) low = 32768;
  return low;
}

}  // namespace

absl::StatusOr<int> PickFreePort() {
  // Below the ephemeral range: a port the kernel handed out from it could
  // be taken, before the child binds it (a JVM takes seconds), as the local
  // port of any outgoing connection on the machine; "Address already in
  // use" then fails a broker's start (seen in CI with tests running side by
  // side). Ports below it are only ever taken by explicit binds.
  constexpr int kLowest = 10000;
  const int end = EphemeralPortsStart();
  if (end - kLowest >= 1000) {
    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(kLowest, end - 1);
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (absl::StatusOr<int> port = BindAndRelease(pick(random)); port.ok())
        return port;
    }
  }
  return BindAndRelease(0);
}

}  // namespace vnstream
