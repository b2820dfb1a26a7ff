// Child processes for launchers and tests: the Kafka broker, and the
// services started by cross-service tests.
#ifndef VNSTREAM_LIBS_BASE_SUBPROCESS_H_
#define VNSTREAM_LIBS_BASE_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vnstream {

// A child process in its own process group. Not thread-safe: one owner.
class Subprocess {
 public:
  struct Options {
    // argv[0] is looked up in PATH when it has no '/'.
    std::vector<std::string> argv;
    // Added to (or replacing in) the parent's environment.
    std::vector<std::pair<std::string, std::string>> env;
    // stdout and stderr are appended here; empty = inherit the parent's.
    std::string log_path;
    // Working directory; empty = the parent's.
    std::string working_dir;
    // The kernel sends SIGKILL to the child when the parent thread that
    // started it exits, so a crashed test leaves nothing behind. Off for
    // daemons such as the broker of the local stack.
    bool kill_with_parent = true;
  };

  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(Options options);

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Terminates the process group (SIGTERM, then SIGKILL after 10 s) unless
  // Release() was called.
  ~Subprocess();

  pid_t pid() const { return pid_; }
  const Options& options() const { return options_; }

  // True while the child has not exited (reaps it when it has).
  bool Running();
  // The wait status (as from waitpid) once exited.
  int exit_status() const { return exit_status_; }

  // Waits up to `timeout` for the child to exit; returns its wait status.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Sends `signal` to the child's process group.
  absl::Status Signal(int signal);

  // SIGTERM to the group, waits up to `grace`, then SIGKILL. Returns the
  // wait status.
  absl::StatusOr<int> Terminate(absl::Duration grace = absl::Seconds(10));

  // Forgets the child: the destructor will not stop it.
  void Release() { released_ = true; }

 private:
  Subprocess(Options options, pid_t pid)
      : options_(std::move(options)), pid_(pid) {}

  Options options_;
  pid_t pid_;
  bool exited_ = false;
  bool released_ = false;
  int exit_status_ = 0;
};

// Returns a TCP port on 127.0.0.1 that was free a moment ago (bound and
// released), chosen at random below the kernel's ephemeral range, so that
// no outgoing connection can take it before the child binds it. Used only
// where a child must be told its port before it starts (the Kafka broker,
// PostgreSQL); services bind port 0 themselves.
absl::StatusOr<int> PickFreePort();

// Polls `done` every `interval` until it returns true or `timeout` passes.
// Returns whether it became true.
template <typename Predicate>
bool PollUntil(Predicate done, absl::Duration timeout,
               absl::Duration interval = absl::Milliseconds(50)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (done()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(interval);
  }
}

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_SUBPROCESS_H_
