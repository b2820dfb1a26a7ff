#include "libs/base/signals.h"

#include <pthread.h>
#include <signal.h>

#include <thread>

#include "libs/base/logging.h"

namespace vnstream {
namespace {

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  const sigset_t set = ShutdownSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer closing a socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

int WaitForShutdownSignal() {
  const sigset_t set = ShutdownSet();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

void NotifyOnShutdownSignal(absl::Notification* stop) {
  std::thread([stop] {
    const int signal_number = WaitForShutdownSignal();
    spdlog::info("received signal {}, shutting down", signal_number);
    stop->Notify();
  }).detach();
}

}  // namespace vnstream
