// ThreadSanitizer and Debian's Abseil: Debian builds libabsl without TSan,
// so absl::Mutex (a futex-based lock in the shared library, not a pthread
// mutex TSan intercepts) creates no happens-before edges TSan can see, and
// every member guarded by an absl::Mutex would be reported as racing. gRPC
// 1.51 locks with absl::Mutex too.
//
// Linked into every binary of the TSan build (--config=tsan, through
// //third_party:absl), this file interposes the lock and wait entry points
// of absl::Mutex and absl::CondVar: each forwards to the library's own
// implementation (dlsym RTLD_NEXT) and tells TSan what it did, as
// __tsan_acquire after taking the lock and __tsan_release before letting it
// go (including around Await and CondVar::Wait, which release and retake
// it, and before each evaluation of a waiter's Condition). That is the
// happens-before the lock really provides; TSan does not
// model these locks otherwise (no lock-order or double-lock reports for
// them: Abseil's own deadlock detector covers lock order in debug builds).
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
extern "C" void AnnotateIgnoreWritesBegin(const char* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char* file, int line);

namespace {

#define VNSTREAM_STR2(x) #x
#define VNSTREAM_STR(x) VNSTREAM_STR2(x)

// The library's definition of `member` (an Itanium-mangled name inside
// absl's inline namespace), e.g. Real<void (*)(absl::Mutex*)>("5Mutex4LockEv").
// A const member function's name starts "_ZNK" (`const_method`).
template <typename Fn>
Fn Real(const char* member, bool const_method = false) {
  const char* ns = VNSTREAM_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = std::string(const_method ? "_ZNK" : "_ZN") +
                           "4absl" + std::to_string(std::strlen(ns)) + ns +
                           std::string(member);
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_shim: %s not found in libabsl\n",
                 name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

// A Condition that tells TSan it holds the lock before evaluating the
// caller's: absl::Mutex evaluates a waiter's condition with the lock held
// but possibly on another thread (the one unlocking, on the waiter's
// behalf), inside the library where no wrapper above runs.
class AcquiringCondition {
 public:
  AcquiringCondition(const absl::Condition& cond, void* mu)
      : cond_(cond), mu_(mu), condition_(Make(this)) {}
  const absl::Condition& get() const { return condition_; }

 private:
  // The library hands the Condition to the evaluating thread through its
  // own (invisible) atomics: its construction is not a write TSan should
  // pair with that thread's reads.
  static absl::Condition Make(AcquiringCondition* self) {
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
    absl::Condition condition(&AcquiringCondition::Eval, self);
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    return condition;
  }
  // Runs with the lock held (taken and given back inside the library).
  static bool Eval(AcquiringCondition* self) {
    __tsan_acquire(self->mu_);
    const bool met = self->cond_.Eval();
    __tsan_release(self->mu_);
    return met;
  }

  const absl::Condition& cond_;
  void* const mu_;
  const absl::Condition condition_;
};

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  real(this);
  __tsan_acquire(this);
}

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  real(this);
  __tsan_acquire(this);
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::LockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex8LockWhenERKNS0_9ConditionE");
  real(this, AcquiringCondition(cond, this).get());
  __tsan_acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  real(this, AcquiringCondition(cond, this).get());
  __tsan_acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool met = real(this, AcquiringCondition(cond, this).get(), timeout);
  __tsan_acquire(this);  // Held on return either way.
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool met = real(this, AcquiringCondition(cond, this).get(), deadline);
  __tsan_acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool met = real(this, AcquiringCondition(cond, this).get(), timeout);
  __tsan_acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool met = real(this, AcquiringCondition(cond, this).get(), deadline);
  __tsan_acquire(this);
  return met;
}

void Mutex::Await(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(this);
  real(this, AcquiringCondition(cond, this).get());
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  __tsan_release(this);
  const bool met = real(this, AcquiringCondition(cond, this).get(), timeout);
  __tsan_acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  __tsan_release(this);
  const bool met = real(this, AcquiringCondition(cond, this).get(), deadline);
  __tsan_acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  static const auto real =
      Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  real(this, mu);
  __tsan_acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mu);
  const bool timed_out = real(this, mu, timeout);
  __tsan_acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  __tsan_release(mu);
  const bool timed_out = real(this, mu, deadline);
  __tsan_acquire(mu);
  return timed_out;
}

// Notification locks its mutex inside the library (calls that never reach
// the wrappers above).
void Notification::Notify() {
  static const auto real =
      Real<void (*)(Notification*)>("12Notification6NotifyEv");
  __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static const auto real = Real<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv", /*const_method=*/true);
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static const auto real = Real<bool (*)(const Notification*, Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE",
      /*const_method=*/true);
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static const auto real = Real<bool (*)(const Notification*, Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE",
      /*const_method=*/true);
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
