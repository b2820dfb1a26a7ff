#include "libs/auth/authenticator.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "libs/auth/api_key.h"
#include "libs/base/logging.h"

namespace vnstream::auth {
namespace {

// Metric labels that no key name can be (names have no parentheses).
constexpr char kNoKey[] = "(none)";
constexpr char kOtherKeys[] = "(other)";
constexpr absl::string_view kGroupPrefix = "group:";

enum Result { kOk, kUnauthenticated, kPermissionDenied, kExhausted, kResults };
constexpr const char* kResultNames[kResults] = {
    "ok", "unauthenticated", "permission_denied", "resource_exhausted"};

Result ResultOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kOk;
    case absl::StatusCode::kPermissionDenied:
      return kPermissionDenied;
    case absl::StatusCode::kResourceExhausted:
      return kExhausted;
    default:
      return kUnauthenticated;
  }
}

// Refusal reasons besides the quota names.
constexpr char kReasonMethod[] = "method";
constexpr char kReasonSymbol[] = "symbol";

std::string Rate(double per_unit) { return absl::StrFormat("%g", per_unit); }

int Burst(double rate) {
  return std::max(1, static_cast<int>(std::ceil(rate)));
}

// A limiter for `rate` per `unit` with bursts of one unit's worth, full from
// the start (whatever clock the callers pass); null for a zero rate
// (nothing allowed).
std::shared_ptr<vnstock::RateLimiter> MakeLimiter(double rate,
                                                  absl::Duration unit) {
  if (rate <= 0) return nullptr;
  const double per_minute = rate * (absl::Minutes(1) / unit);
  return std::make_shared<vnstock::RateLimiter>(per_minute, Burst(rate),
                                                absl::InfinitePast());
}

}  // namespace

struct Authenticator::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : requests(prometheus::BuildCounter()
                     .Name("vnstream_auth_requests_total")
                     .Help("Calls by API key name and authorization result.")
                     .Register(registry)),
        refused(prometheus::BuildCounter()
                    .Name("vnstream_auth_refused_total")
                    .Help("Refusals by API key name and reason: method, "
                          "symbol, or the quota exceeded.")
                    .Register(registry)),
        streams(prometheus::BuildGauge()
                    .Name("vnstream_auth_open_streams")
                    .Help("Open streams by API key name.")
                    .Register(registry)),
        keys(prometheus::BuildGauge()
                 .Name("vnstream_auth_keys")
                 .Help("API keys in the keys file, by state.")
                 .Register(registry)),
        reloads(prometheus::BuildCounter()
                    .Name("vnstream_auth_reloads_total")
                    .Help("Changed keys files applied (ok) or refused "
                          "(error: the current keys stay).")
                    .Register(registry)),
        unauthenticated(&requests.Add(
            {{"key", kNoKey}, {"result", kResultNames[kUnauthenticated]}})),
        active_keys(&keys.Add({{"state", "active"}})),
        revoked_keys(&keys.Add({{"state", "revoked"}})),
        reload_ok(&reloads.Add({{"result", "ok"}})),
        reload_error(&reloads.Add({{"result", "error"}})) {}

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Counter>& refused;
  prometheus::Family<prometheus::Gauge>& streams;
  prometheus::Family<prometheus::Gauge>& keys;
  prometheus::Family<prometheus::Counter>& reloads;
  prometheus::Counter* unauthenticated;
  prometheus::Gauge* active_keys;
  prometheus::Gauge* revoked_keys;
  prometheus::Counter* reload_ok;
  prometheus::Counter* reload_error;
};

class IdentityState {
 public:
  IdentityState(std::string name, const std::string& label,
                Authenticator::Metrics* metrics)
      : name_(std::move(name)), label_(label), metrics_(metrics) {
    if (metrics_ == nullptr) return;
    for (int r = 0; r < kResults; ++r) {
      requests_[r] = &metrics_->requests.Add(
          {{"key", label}, {"result", kResultNames[r]}});
    }
    streams_ = &metrics_->streams.Add({{"key", label}});
  }

  const std::string& name() const { return name_; }

  // Applies the key's limits; the limiters restart only when a rate
  // changed.
  void Configure(const Entitlements& e) {
    absl::MutexLock lock(&mu_);
    if (e.unary_per_second != unary_rate_) {
      unary_rate_ = e.unary_per_second;
      unary_ = MakeLimiter(unary_rate_, absl::Seconds(1));
    }
    if (e.fallback_per_minute != fallback_rate_) {
      fallback_rate_ = e.fallback_per_minute;
      fallback_ = MakeLimiter(fallback_rate_, absl::Minutes(1));
    }
  }

  bool TakeUnary(absl::Time now) { return Take(&IdentityState::unary_, now); }
  bool TakeFallback(absl::Time now) {
    return Take(&IdentityState::fallback_, now);
  }

  // Whether a stream fits under `max` (and is then counted).
  bool OpenStream(int max, int* open) {
    absl::MutexLock lock(&mu_);
    *open = open_streams_;
    if (open_streams_ >= max) return false;
    ++open_streams_;
    if (streams_ != nullptr) streams_->Increment();
    return true;
  }
  void CloseStream() {
    absl::MutexLock lock(&mu_);
    --open_streams_;
    if (streams_ != nullptr) streams_->Decrement();
  }

  void Count(Result result) const {
    if (requests_[result] != nullptr) requests_[result]->Increment();
  }
  void CountRefusal(absl::string_view reason) const {
    if (metrics_ == nullptr) return;
    metrics_->refused.Add({{"key", label_}, {"reason", std::string(reason)}})
        .Increment();
  }

 private:
  bool Take(std::shared_ptr<vnstock::RateLimiter> IdentityState::*limiter,
            absl::Time now) {
    std::shared_ptr<vnstock::RateLimiter> l;
    {
      absl::MutexLock lock(&mu_);
      l = this->*limiter;
    }
    return l != nullptr && l->Reserve(now, now).has_value();
  }

  const std::string name_;
  const std::string label_;
  Authenticator::Metrics* const metrics_;
  prometheus::Counter* requests_[kResults] = {};
  prometheus::Gauge* streams_ = nullptr;

  absl::Mutex mu_;
  int open_streams_ ABSL_GUARDED_BY(mu_) = 0;
  double unary_rate_ ABSL_GUARDED_BY(mu_) = -1;
  double fallback_rate_ ABSL_GUARDED_BY(mu_) = -1;
  std::shared_ptr<vnstock::RateLimiter> unary_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<vnstock::RateLimiter> fallback_ ABSL_GUARDED_BY(mu_);
};

struct ResolvedKey {
  KeyRecord record;
  bool all_methods = false;
  absl::flat_hash_set<std::string> methods;
  bool all_symbols = false;
  absl::flat_hash_set<std::string> symbols;  // Groups expanded.
  std::shared_ptr<IdentityState> identity;
};

struct KeySet {
  std::vector<std::unique_ptr<ResolvedKey>> keys;
  absl::flat_hash_map<std::string, const ResolvedKey*> by_id;
};

// ---- StreamSlot ------------------------------------------------------------

StreamSlot::StreamSlot(std::shared_ptr<IdentityState> state)
    : state_(std::move(state)) {}

StreamSlot& StreamSlot::operator=(StreamSlot&& other) noexcept {
  if (this != &other) {
    Release();
    state_ = std::move(other.state_);
  }
  return *this;
}

StreamSlot::~StreamSlot() { Release(); }

void StreamSlot::Release() {
  if (state_ != nullptr) state_->CloseStream();
  state_.reset();
}

// ---- Caller ----------------------------------------------------------------

Caller::Caller(const Authenticator* auth, std::shared_ptr<const KeySet> keys,
               const ResolvedKey* key)
    : auth_(auth), keys_(std::move(keys)), key_(key), record_(&key->record) {}

bool Caller::AllowsMethod(absl::string_view method) const {
  return key_->all_methods || key_->methods.contains(method);
}

bool Caller::AllowsSymbol(absl::string_view symbol) const {
  return key_->all_symbols || key_->symbols.contains(symbol);
}

absl::Status Caller::CheckSymbols(
    const std::vector<std::string>& symbols) const {
  const int max = entitlements().max_symbols_per_subscription;
  if (static_cast<int>(symbols.size()) > max) {
    return QuotaExceeded(
        kQuotaSymbols,
        absl::StrCat(symbols.size(), " symbols requested, at most ", max,
                     " for '", name(), "'"));
  }
  for (const std::string& symbol : symbols) {
    if (!AllowsSymbol(symbol)) {
      key_->identity->CountRefusal(kReasonSymbol);
      return absl::PermissionDeniedError(
          absl::StrCat("key '", name(), "' is not entitled to ", symbol));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StreamSlot> Caller::AdmitStream() const {
  const int max = entitlements().max_streams;
  int open = 0;
  if (!key_->identity->OpenStream(max, &open)) {
    return QuotaExceeded(kQuotaStreams,
                         absl::StrCat("'", name(), "' has ", open,
                                      " streams open, at most ", max));
  }
  return StreamSlot(key_->identity);
}

absl::Status Caller::TakeFallback(absl::Time now) const {
  if (!key_->identity->TakeFallback(now)) {
    return QuotaExceeded(
        kQuotaFallback,
        absl::StrCat("at most ", Rate(entitlements().fallback_per_minute),
                     " VNStock fallback fetches per minute for '", name(),
                     "'"));
  }
  if (auth_->options_.fallback_per_minute_total <= 0 ||
      !auth_->fallback_total_.Reserve(now, now).has_value()) {
    return QuotaExceeded(
        kQuotaFallbackTotal,
        absl::StrCat("the gateway's VNStock fallback budget (",
                     Rate(auth_->options_.fallback_per_minute_total),
                     " fetches per minute for everyone) is spent"));
  }
  return absl::OkStatus();
}

absl::Status Caller::QuotaExceeded(absl::string_view quota,
                                   absl::string_view detail) const {
  key_->identity->CountRefusal(quota);
  return absl::ResourceExhaustedError(
      absl::StrCat("quota ", quota, ": ", detail));
}

// ---- Authenticator ---------------------------------------------------------

Authenticator::Authenticator(AuthOptions options)
    : options_(std::move(options)),
      fallback_total_(std::max(options_.fallback_per_minute_total, 1e-9),
                      Burst(options_.fallback_per_minute_total),
                      absl::InfinitePast()) {}

Authenticator::~Authenticator() {
  if (watcher_ != nullptr) watcher_->Stop();
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    AuthOptions options, prometheus::Registry* registry) {
  if (options.keys_file.empty()) {
    return absl::InvalidArgumentError("no API keys file");
  }
  auto auth = std::unique_ptr<Authenticator>(new Authenticator(options));
  if (registry != nullptr)
    auth->metrics_ = std::make_unique<Metrics>(*registry);
  if (absl::Status s = auth->Reload(); !s.ok()) return s;
  return auth;
}

void Authenticator::StartWatching() {
  watcher_ =
      std::make_unique<PeriodicTask>("keys-reload", options_.reload_interval,
                                     [this](absl::Time) { (void)Reload(); });
  watcher_->Start();
}

absl::Status Authenticator::Reload() {
  absl::MutexLock lock(&reload_mu_);
  std::ifstream in(options_.keys_file, std::ios::binary);
  std::stringstream read;
  read << in.rdbuf();
  const std::string text = read.str();
  const bool first =
      file_text_.empty() && rejected_text_.empty() && generation_.load() == 0;
  if (!first && in && text == file_text_) return absl::OkStatus();
  absl::StatusOr<KeyFile> file = in ? ParseKeyFile(text, options_.keys_file)
                                    : absl::NotFoundError(absl::StrCat(
                                          "cannot read ", options_.keys_file));
  if (!file.ok()) {
    // The keys in force stay in force (a file being written may be read
    // half-written: the next poll sees the whole). Logged once per content.
    if (!first && text != rejected_text_) {
      spdlog::error("API keys: {}; keeping the keys in force",
                    file.status().message());
      if (metrics_ != nullptr) metrics_->reload_error->Increment();
    }
    rejected_text_ = text;
    return file.status();
  }
  file_text_ = text;
  rejected_text_.clear();
  std::shared_ptr<const KeySet> keys = Resolve(*file);
  int revoked = 0;
  for (const KeyRecord& key : file->keys) revoked += key.revoked;
  const int active = static_cast<int>(file->keys.size()) - revoked;
  {
    absl::MutexLock keys_lock(&keys_mu_);
    keys_ = std::move(keys);
  }
  generation_.fetch_add(1);
  if (metrics_ != nullptr) {
    metrics_->reload_ok->Increment();
    metrics_->active_keys->Set(active);
    metrics_->revoked_keys->Set(revoked);
  }
  spdlog::info("API keys: {} active, {} revoked ({})", active, revoked,
               options_.keys_file);
  return absl::OkStatus();
}

std::string Authenticator::MetricLabel(const std::string& name) {
  if (labelled_.contains(name)) return name;
  if (static_cast<int>(labelled_.size()) >= options_.max_metric_keys) {
    return kOtherKeys;
  }
  labelled_.insert(name);
  return name;
}

std::shared_ptr<const KeySet> Authenticator::Resolve(const KeyFile& file) {
  auto set = std::make_shared<KeySet>();
  absl::flat_hash_map<std::string, std::shared_ptr<IdentityState>> identities;
  for (const KeyRecord& record : file.keys) {
    auto key = std::make_unique<ResolvedKey>();
    key->record = record;
    for (const std::string& method : record.entitlements.rpcs) {
      if (method == "*") key->all_methods = true;
      key->methods.insert(method);
    }
    for (const std::string& symbol : record.entitlements.symbols) {
      if (symbol == "*") {
        key->all_symbols = true;
      } else if (absl::StartsWith(symbol, kGroupPrefix)) {
        const auto& members =
            file.groups.at(symbol.substr(kGroupPrefix.size()));
        key->symbols.insert(members.begin(), members.end());
      } else {
        key->symbols.insert(symbol);
      }
    }
    // An identity keeps its open streams and budgets across reloads.
    std::shared_ptr<IdentityState>& identity = identities_[record.name];
    if (identity == nullptr) {
      identity = std::make_shared<IdentityState>(
          record.name, MetricLabel(record.name), metrics_.get());
    }
    identity->Configure(record.entitlements);
    identities[record.name] = identity;
    key->identity = identity;
    set->by_id[record.id] = key.get();
    set->keys.push_back(std::move(key));
  }
  // Identities no longer in the file live on in their streams' slots only.
  identities_ = std::move(identities);
  return set;
}

std::shared_ptr<const KeySet> Authenticator::keys() const {
  absl::MutexLock lock(&keys_mu_);
  return keys_;
}

absl::Status Authenticator::Refuse(absl::Status status,
                                   const IdentityState* identity) const {
  if (identity != nullptr) {
    identity->Count(ResultOf(status.code()));
  } else if (metrics_ != nullptr) {
    metrics_->unauthenticated->Increment();
  }
  return status;
}

absl::StatusOr<CallerPtr> Authenticator::Authorize(
    const grpc::ServerContextBase& context, absl::string_view method,
    bool unary) const {
  const auto [begin, end] =
      context.client_metadata().equal_range("authorization");
  std::optional<absl::string_view> value;
  for (auto it = begin; it != end; ++it) {
    if (value.has_value()) {
      return Refuse(
          absl::UnauthenticatedError("more than one authorization header"),
          nullptr);
    }
    value = absl::string_view(it->second.data(), it->second.size());
  }
  return AuthorizeBearer(value, method, unary, absl::Now());
}

absl::StatusOr<CallerPtr> Authenticator::AuthorizeBearer(
    std::optional<absl::string_view> authorization, absl::string_view method,
    bool unary, absl::Time now) const {
  if (!authorization.has_value()) {
    return Refuse(absl::UnauthenticatedError(
                      "no API key: send the metadata 'authorization: Bearer "
                      "<key>'"),
                  nullptr);
  }
  absl::string_view token = absl::StripAsciiWhitespace(*authorization);
  constexpr absl::string_view kBearer = "bearer ";
  if (!absl::StartsWithIgnoreCase(token, kBearer)) {
    return Refuse(absl::UnauthenticatedError(
                      "the authorization metadata must be 'Bearer <key>'"),
                  nullptr);
  }
  token = absl::StripLeadingAsciiWhitespace(token.substr(kBearer.size()));
  const std::optional<KeyParts> parts = SplitKey(token);
  if (!parts.has_value()) {
    return Refuse(absl::UnauthenticatedError("malformed API key"), nullptr);
  }
  std::shared_ptr<const KeySet> keys = this->keys();
  const auto it = keys->by_id.find(parts->id);
  // An unknown id costs the same hash as a known one: response times do not
  // tell which ids exist.
  static const std::string kNoSalt(kSaltBytes, '\0');
  const ResolvedKey* key = it == keys->by_id.end() ? nullptr : it->second;
  const std::string hash =
      HashSecret(key != nullptr ? key->record.salt : kNoSalt, parts->secret);
  if (key == nullptr || !ConstantTimeEquals(hash, key->record.hash)) {
    return Refuse(absl::UnauthenticatedError("invalid API key"), nullptr);
  }
  const IdentityState* identity = key->identity.get();
  if (key->record.revoked) {
    return Refuse(absl::UnauthenticatedError(absl::StrCat(
                      "API key of '", key->record.name, "' was revoked")),
                  identity);
  }
  if (!key->all_methods && !key->methods.contains(method)) {
    identity->CountRefusal(kReasonMethod);
    return Refuse(absl::PermissionDeniedError(absl::StrCat(
                      "key '", key->record.name, "' may not call ", method)),
                  identity);
  }
  if (unary && !key->identity->TakeUnary(now)) {
    identity->CountRefusal(kQuotaUnaryRate);
    return Refuse(absl::ResourceExhaustedError(absl::StrCat(
                      "quota ", kQuotaUnaryRate, ": at most ",
                      Rate(key->record.entitlements.unary_per_second),
                      " calls per second for '", key->record.name, "'")),
                  identity);
  }
  identity->Count(kOk);
  return CallerPtr(new Caller(this, std::move(keys), key));
}

bool Authenticator::StillValid(const Caller& caller) const {
  std::shared_ptr<const KeySet> keys = this->keys();
  if (keys.get() == caller.keys_.get()) return !caller.record_->revoked;
  const auto it = keys->by_id.find(caller.key_id());
  return it != keys->by_id.end() && !it->second->record.revoked &&
         it->second->record.hash == caller.record_->hash &&
         it->second->record.name == caller.name();
}

}  // namespace vnstream::auth
