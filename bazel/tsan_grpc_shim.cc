// ThreadSanitizer and gRPC: Debian's libgrpc is not instrumented and hands
// a call's operations between its threads with its own atomics, so TSan
// does not see that a reaction (OnWriteDone, OnReadDone, OnDone, ...) runs
// after the operation that started it, nor what the thread that started it
// did before (filling the message, the reactor's own state).
//
// Linked into every binary of the TSan build that links gRPC (through
// //third_party:grpc++), this file defines the two entry points through
// which gRPC's C++ API hands a call's operations to the core library:
// each tells TSan it releases the call (__tsan_release on the grpc_call)
// and forwards to libgrpc's own definition (dlsym RTLD_NEXT). Defined in
// the executable, they come first in the symbol lookup order, so
// libgrpc++'s calls bind to them. A reaction of ours says where it
// acquires it: vnstream::HappensAfter(call) (libs/base/happens_before.h),
// first thing. Races inside gRPC's own inline code remain, and are
// suppressed in bazel/tsan.supp.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "grpc/grpc.h"

namespace {

template <typename Fn>
Fn Real(Fn, const char* name) {
  void* fn = dlsym(RTLD_NEXT, name);
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_grpc_shim: %s not found in libgrpc\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

}  // namespace

extern "C" grpc_call_error grpc_call_start_batch(grpc_call* call,
                                                 const grpc_op* ops,
                                                 size_t nops, void* tag,
                                                 void* reserved) {
  static const auto real = Real(&grpc_call_start_batch, __func__);
  __tsan_release(call);
  return real(call, ops, nops, tag, reserved);
}

extern "C" grpc_call_error grpc_call_cancel_with_status(grpc_call* call,
                                                        grpc_status_code status,
                                                        const char* description,
                                                        void* reserved) {
  static const auto real = Real(&grpc_call_cancel_with_status, __func__);
  __tsan_release(call);
  return real(call, status, description, reserved);
}
