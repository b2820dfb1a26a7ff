// A task run on its own thread every `interval`, drift-free (ticks at
// start + k * interval; ticks missed while a run overran are skipped, not
// queued). Each run gets the next tick as its deadline.
#ifndef VNSTREAM_LIBS_BASE_PERIODIC_H_
#define VNSTREAM_LIBS_BASE_PERIODIC_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vnstream {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, absl::Duration interval,
               std::function<void(absl::Time deadline)> run);
  // Stops the task (waits for a run in progress).
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Starts the thread; the first run is immediate.
  void Start();
  // Idempotent; returns after the current run, if any, finished.
  void Stop();

 private:
  void Loop();

  const std::string name_;
  const absl::Duration interval_;
  const std::function<void(absl::Time)> run_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_PERIODIC_H_
