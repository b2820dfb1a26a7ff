// Happens-before edges that ThreadSanitizer cannot see by itself: those a
// library without TSan instrumentation (Debian's libgrpc) creates between
// its threads with its own atomics. The hand-off to the library releases an
// object (for gRPC, bazel/tsan_grpc_shim.cc releases the grpc_call when an
// operation starts); the code the library then calls back, maybe on
// another thread, calls HappensAfter(object) first. TSan then orders
// everything done before the hand-off before everything done after it, as
// the library does. State only orderings the library documents (gRPC: a
// reaction runs after the operation that started it, OnDone after every
// other reaction).
//
// A no-op outside TSan builds. Thread-safe.
#ifndef VNSTREAM_LIBS_BASE_HAPPENS_BEFORE_H_
#define VNSTREAM_LIBS_BASE_HAPPENS_BEFORE_H_

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VNSTREAM_TSAN_ANNOTATIONS 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define VNSTREAM_TSAN_ANNOTATIONS 1
#endif

#ifdef VNSTREAM_TSAN_ANNOTATIONS
#include <sanitizer/tsan_interface.h>
#endif

namespace vnstream {

inline void HappensAfter(const void* released) {
#ifdef VNSTREAM_TSAN_ANNOTATIONS
  __tsan_acquire(const_cast<void*>(released));
#else
  (void)released;
#endif
}

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_HAPPENS_BEFORE_H_
