// Client identities for the gateway: API keys checked on every call, with
// entitlements and per-identity quotas.
//
//   auto auth = Authenticator::Create({.keys_file = path}, &registry);
//   (*auth)->StartWatching();              // keys added/revoked live
//   ... in every handler:
//   absl::StatusOr<CallerPtr> caller =
//       auth->Authorize(*context, "GetQuotes", /*unary=*/true);
//   if (!caller.ok()) return ToGrpc(caller.status());
//   ... (*caller)->CheckSymbols(symbols), (*caller)->AdmitStream(), ...
//
// Status codes: no key, a malformed, unknown or revoked key ->
// UNAUTHENTICATED; a method or symbol the key is not entitled to ->
// PERMISSION_DENIED; over a quota -> RESOURCE_EXHAUSTED whose message
// starts with "quota <name>" (the names below).
//
// Quotas belong to the identity (the key's name), not to a connection: a
// client opening more connections shares the same limits. The keys file is
// re-read every reload_interval; a change is applied atomically (calls see
// the old or the new keys, never a mix); a file that fails to parse keeps
// the current keys (logged, counted). Streams opened with a key that is
// later revoked are ended by their owner (StillValid()).
//
// Metrics (bounded cardinality: at most max_metric_keys key names get their
// own label, the rest share "(other)"; calls without a valid key are
// "(none)"):
//   vnstream_auth_requests_total{key,result}  ok, unauthenticated,
//       permission_denied, resource_exhausted
//   vnstream_auth_quota_exceeded_total{key,quota}
//   vnstream_auth_open_streams{key}
//   vnstream_auth_keys{state}                 active, revoked
//   vnstream_auth_reloads_total{result}       ok, error
//
// Thread-safe. The Authenticator must outlive every Caller and StreamSlot.
#ifndef VNSTREAM_LIBS_AUTH_AUTHENTICATOR_H_
#define VNSTREAM_LIBS_AUTH_AUTHENTICATOR_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "libs/auth/key_file.h"
#include "libs/base/periodic.h"
#include "libs/vnstock/resilience.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace vnstream::auth {

// The quotas RESOURCE_EXHAUSTED messages and metrics name.
inline constexpr char kQuotaUnaryRate[] = "unary_per_second";
inline constexpr char kQuotaStreams[] = "max_streams";
inline constexpr char kQuotaSymbols[] = "max_symbols_per_subscription";
inline constexpr char kQuotaFallback[] = "fallback_per_minute";
inline constexpr char kQuotaFallbackTotal[] = "fallback_per_minute_total";
// Enforced by the gateway's streams (see Caller::QuotaExceeded).
inline constexpr char kQuotaStreamBytes[] = "stream_bytes";

struct AuthOptions {
  // The keys file (key_file.h). Required.
  std::string keys_file;
  // How often the file is checked for changes.
  absl::Duration reload_interval = absl::Seconds(5);
  // Key names with a metric label of their own.
  int max_metric_keys = 100;
  // VNStock fallback fetches per minute for all identities together
  // (bursts of a minute's worth).
  double fallback_per_minute_total = 120;
};

class Authenticator;

// Internal to libs/auth: the state shared by all calls of an identity (open
// streams, rate limiters, metric children), a key with its entitlements
// resolved for lookups, and an immutable snapshot of the keys file.
class IdentityState;
struct ResolvedKey;
struct KeySet;

// An open stream of an identity; its slot is freed when this is destroyed.
// Move-only.
class StreamSlot {
 public:
  StreamSlot() = default;
  explicit StreamSlot(std::shared_ptr<IdentityState> state);
  StreamSlot(StreamSlot&& other) noexcept = default;
  StreamSlot& operator=(StreamSlot&& other) noexcept;
  ~StreamSlot();

 private:
  void Release();
  std::shared_ptr<IdentityState> state_;
};

// One authenticated call: who it is, what its key grants (as of the call),
// and the identity's quotas. Immutable; thread-safe.
class Caller {
 public:
  const std::string& name() const { return record_->name; }
  const std::string& key_id() const { return record_->id; }
  const Entitlements& entitlements() const { return record_->entitlements; }

  bool AllowsMethod(absl::string_view method) const;
  // `symbol` normalized (upper-case).
  bool AllowsSymbol(absl::string_view symbol) const;
  // For a subscription or multi-symbol call: RESOURCE_EXHAUSTED naming
  // max_symbols_per_subscription when there are more symbols than that,
  // else PERMISSION_DENIED naming the first symbol not entitled.
  absl::Status CheckSymbols(const std::vector<std::string>& symbols) const;
  // One more open stream of the identity, or RESOURCE_EXHAUSTED naming
  // max_streams.
  absl::StatusOr<StreamSlot> AdmitStream() const;
  // Takes one VNStock fallback fetch from the identity's budget, then from
  // the global one; RESOURCE_EXHAUSTED naming the one that is spent (when
  // the global one is, the identity's fetch is spent all the same).
  absl::Status TakeFallback(absl::Time now) const;
  // A RESOURCE_EXHAUSTED status naming `quota` (one of the kQuota* names),
  // counted in the metrics: for quotas enforced outside libs/auth.
  absl::Status QuotaExceeded(absl::string_view quota,
                             absl::string_view detail) const;

 private:
  friend class Authenticator;
  Caller(const Authenticator* auth, std::shared_ptr<const KeySet> keys,
         const ResolvedKey* key);

  const Authenticator* auth_;
  std::shared_ptr<const KeySet> keys_;  // Keeps *key_ alive.
  const ResolvedKey* key_;
  const KeyRecord* record_;
};

using CallerPtr = std::shared_ptr<const Caller>;

class Authenticator {
 public:
  // Reads the keys file; InvalidArgument/NotFound naming the problem.
  // Metrics go to `registry` when given.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      AuthOptions options, prometheus::Registry* registry);
  ~Authenticator();

  // Checks the file every reload_interval from a thread of its own.
  void StartWatching();
  // Re-reads the file now; applies it if it changed. The error that made
  // it keep the current keys, if any.
  absl::Status Reload();
  // Changes whenever a reload changed the keys.
  uint64_t generation() const { return generation_.load(); }

  // Authenticates the call's "authorization: Bearer <key>" metadata and
  // checks the key may call `method` (a MarketDataService method name);
  // a unary call also takes one call from the identity's rate.
  absl::StatusOr<CallerPtr> Authorize(const grpc::ServerContextBase& context,
                                      absl::string_view method,
                                      bool unary) const;
  // The same from the metadata value (nullopt: none sent; more than one
  // is refused by Authorize before).
  absl::StatusOr<CallerPtr> AuthorizeBearer(
      std::optional<absl::string_view> authorization, absl::string_view method,
      bool unary, absl::Time now) const;

  // Whether `caller`'s key is still present, unchanged and not revoked.
  bool StillValid(const Caller& caller) const;

 private:
  friend class Caller;
  friend class IdentityState;
  struct Metrics;

  explicit Authenticator(AuthOptions options);
  // Builds the lookup structure of `file`, reusing identity states by name.
  std::shared_ptr<const KeySet> Resolve(const KeyFile& file)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  std::shared_ptr<const KeySet> keys() const;
  std::string MetricLabel(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  absl::Status Refuse(absl::Status status, const IdentityState* identity) const;

  const AuthOptions options_;
  std::unique_ptr<Metrics> metrics_;  // Null without a registry.
  mutable vnstock::RateLimiter fallback_total_;

  // Serializes reloads; guards what only reloads touch.
  absl::Mutex reload_mu_;
  // The file as last applied, and as last refused (logged once).
  std::string file_text_ ABSL_GUARDED_BY(reload_mu_);
  std::string rejected_text_ ABSL_GUARDED_BY(reload_mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<IdentityState>> identities_
      ABSL_GUARDED_BY(reload_mu_);
  absl::flat_hash_set<std::string> labelled_ ABSL_GUARDED_BY(reload_mu_);

  mutable absl::Mutex keys_mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(keys_mu_);
  std::atomic<uint64_t> generation_{0};

  std::unique_ptr<PeriodicTask> watcher_;
};

}  // namespace vnstream::auth

#endif  // VNSTREAM_LIBS_AUTH_AUTHENTICATOR_H_
