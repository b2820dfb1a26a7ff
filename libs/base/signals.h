// SIGTERM/SIGINT handling for services: block both in every thread, then
// wait for one in main and shut down in order (no work in a signal handler).
#ifndef VNSTREAM_LIBS_BASE_SIGNALS_H_
#define VNSTREAM_LIBS_BASE_SIGNALS_H_

namespace vnstream {

// Blocks SIGINT and SIGTERM in the calling thread; threads started later
// inherit the mask. Call first thing in main, before any thread exists.
void BlockShutdownSignals();

// Waits until SIGINT or SIGTERM arrives (they must be blocked); returns the
// signal number.
int WaitForShutdownSignal();

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_SIGNALS_H_
