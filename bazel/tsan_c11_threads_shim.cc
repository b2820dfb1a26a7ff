// ThreadSanitizer and librdkafka: Debian's librdkafka.so.1 starts its
// threads with C11 thrd_create and locks with mtx_t/cnd_t (glibc's
// <threads.h>), none of which clang 14's TSan runtime intercepts. Its
// threads would run without TSan's thread state and crash in TSan's
// allocator on their first malloc, and its locks would create no
// happens-before edges for the callbacks it runs on those threads.
//
// Linked into every binary of the TSan build that links librdkafka
// (--config=tsan, through //third_party:rdkafka), this file defines the
// C11 thread functions librdkafka imports, each forwarding to its pthread
// equivalent, which TSan does intercept. These unversioned definitions come
// before libc in the symbol lookup order (in the executable, or in a
// library the executable needs ahead of libc when Bazel links tests
// dynamically), so they satisfy librdkafka's versioned references
// (thrd_create@GLIBC_2.34 & co.) instead of glibc's, the way TSan's own
// interceptors do. glibc implements these functions the same way (its
// mtx_t, cnd_t and once_flag are a pthread_mutex_t, pthread_cond_t and
// pthread_once_t), so the behaviour is glibc's; only TSan sees it now.
// thrd_current is glibc's already (pthread_self, nothing to see).
#include <errno.h>
#include <pthread.h>
#include <threads.h>

#include <cstdint>
#include <new>

namespace {

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t) &&
              alignof(mtx_t) == alignof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t) &&
              alignof(cnd_t) == alignof(pthread_cond_t));
static_assert(sizeof(once_flag) == sizeof(pthread_once_t) &&
              alignof(once_flag) == alignof(pthread_once_t));
static_assert(sizeof(thrd_t) == sizeof(pthread_t));

pthread_mutex_t* Pthread(mtx_t* mutex) {
  return reinterpret_cast<pthread_mutex_t*>(mutex);
}
pthread_cond_t* Pthread(cnd_t* cond) {
  return reinterpret_cast<pthread_cond_t*>(cond);
}

// glibc's mapping of a pthread error number to a C11 result.
int FromErrno(int error) {
  switch (error) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    default:
      return thrd_error;
  }
}

// What a new thread runs; owned (and deleted) by that thread.
struct Start {
  thrd_start_t fn;
  void* arg;
};

void* Trampoline(void* start) {
  const Start s = *static_cast<Start*>(start);
  delete static_cast<Start*>(start);
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(s.fn(s.arg)));
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  auto* start = new (std::nothrow) Start{func, arg};
  if (start == nullptr) return thrd_nomem;
  pthread_t thread;
  const int error = pthread_create(&thread, nullptr, &Trampoline, start);
  if (error != 0) {
    delete start;
    // glibc's thrd_create reports a lack of resources as thrd_nomem.
    return error == EAGAIN ? thrd_nomem : FromErrno(error);
  }
  *thr = thread;
  return thrd_success;
}

int thrd_join(thrd_t thr, int* res) {
  void* result;
  const int error = pthread_join(thr, &result);
  if (error == 0 && res != nullptr) {
    *res = static_cast<int>(reinterpret_cast<std::intptr_t>(result));
  }
  return FromErrno(error);
}

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  switch (type) {
    case mtx_plain:
    case mtx_timed:
      pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_DEFAULT);
      break;
    case mtx_plain | mtx_recursive:
    case mtx_timed | mtx_recursive:
      pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
      break;
    default:
      pthread_mutexattr_destroy(&attr);
      return thrd_error;
  }
  const int error = pthread_mutex_init(Pthread(mutex), &attr);
  pthread_mutexattr_destroy(&attr);
  return FromErrno(error);
}

int mtx_lock(mtx_t* mutex) {
  return FromErrno(pthread_mutex_lock(Pthread(mutex)));
}

int mtx_timedlock(mtx_t* __restrict mutex,
                  const struct timespec* __restrict time_point) {
  return FromErrno(pthread_mutex_timedlock(Pthread(mutex), time_point));
}

int mtx_trylock(mtx_t* mutex) {
  return FromErrno(pthread_mutex_trylock(Pthread(mutex)));
}

int mtx_unlock(mtx_t* mutex) {
  return FromErrno(pthread_mutex_unlock(Pthread(mutex)));
}

void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy(Pthread(mutex)); }

int cnd_init(cnd_t* cond) {
  return FromErrno(pthread_cond_init(Pthread(cond), nullptr));
}

int cnd_signal(cnd_t* cond) {
  return FromErrno(pthread_cond_signal(Pthread(cond)));
}

int cnd_broadcast(cnd_t* cond) {
  return FromErrno(pthread_cond_broadcast(Pthread(cond)));
}

int cnd_wait(cnd_t* cond, mtx_t* mutex) {
  return FromErrno(pthread_cond_wait(Pthread(cond), Pthread(mutex)));
}

int cnd_timedwait(cnd_t* __restrict cond, mtx_t* __restrict mutex,
                  const struct timespec* __restrict time_point) {
  return FromErrno(
      pthread_cond_timedwait(Pthread(cond), Pthread(mutex), time_point));
}

void cnd_destroy(cnd_t* cond) { pthread_cond_destroy(Pthread(cond)); }

void call_once(once_flag* flag, void (*func)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), func);
}

}  // extern "C"
