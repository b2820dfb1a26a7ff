#include "libs/base/periodic.h"

#include "absl/time/clock.h"

namespace vnstream {

PeriodicTask::PeriodicTask(std::string name, absl::Duration interval,
                           std::function<void(absl::Time)> run)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicTask::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::Loop() {
  absl::Time next = absl::Now();
  while (true) {
    const absl::Time now = absl::Now();
    // Skip ticks that passed while the previous run overran.
    while (next + interval_ <= now) next += interval_;
    run_(next + interval_);
    next += interval_;
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_;
    };
    mu_.AwaitWithDeadline(absl::Condition(&stopping), next);
    if (stopping_) return;
  }
}

}  // namespace vnstream
