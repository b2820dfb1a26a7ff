// A fixed set of worker threads with a bounded queue: blocking work (HTTP
// calls) off the threads that must not block (gRPC reactors, Kafka).
#ifndef VNSTREAM_LIBS_BASE_THREAD_POOL_H_
#define VNSTREAM_LIBS_BASE_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace vnstream {

// Thread-safe.
class ThreadPool {
 public:
  ThreadPool(int threads, size_t max_queued);
  // Runs what is queued, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`; false (not queued) when max_queued tasks are waiting.
  bool TrySubmit(std::function<void()> task);

 private:
  void Work();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_THREAD_POOL_H_
