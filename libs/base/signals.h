// SIGTERM/SIGINT handling for services: block both in every thread, then
// wait for one in main and shut down in order (no work in a signal handler).
#ifndef VNSTREAM_LIBS_BASE_SIGNALS_H_
#define VNSTREAM_LIBS_BASE_SIGNALS_H_

#include "absl/synchronization/notification.h"

namespace vnstream {

// Blocks SIGINT and SIGTERM in the calling thread; threads started later
// inherit the mask. Call first thing in main, before any thread exists.
void BlockShutdownSignals();

// Waits until SIGINT or SIGTERM arrives (they must be blocked); returns the
// signal number.
int WaitForShutdownSignal();

// Starts a thread that waits for SIGINT/SIGTERM (blocked first with
// BlockShutdownSignals) and then notifies `stop`, which must outlive the
// process's use of it. For mains that do work (start-up retries) while
// staying responsive to Ctrl-C.
void NotifyOnShutdownSignal(absl::Notification* stop);

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_SIGNALS_H_
