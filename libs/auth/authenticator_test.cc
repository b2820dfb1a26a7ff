#include "libs/auth/authenticator.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/api_key.h"
#include "libs/auth/key_file.h"
#include "libs/base/subprocess.h"
#include "prometheus/text_serializer.h"

namespace vnstream::auth {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  // Adds a key named `name` to the file (not yet written); returns the key.
  std::string AddKey(const std::string& name, Entitlements entitlements) {
    absl::StatusOr<NewKey> key = GenerateKey();
    EXPECT_TRUE(key.ok());
    file_.keys.push_back({.name = name,
                          .id = key->id,
                          .salt = key->salt,
                          .hash = key->hash,
                          .entitlements = std::move(entitlements)});
    return key->key;
  }
  void Write() { ASSERT_TRUE(WriteKeyFile(path_, file_).ok()); }

  void SetUp() override {
    file_.groups["banks"] = {"VCB", "BID", "CTG"};
    alice_ = AddKey("alice", {.rpcs = {"GetQuotes", "SubscribeQuotes"},
                              .symbols = {"FPT", "group:banks"},
                              .max_streams = 2,
                              .max_symbols_per_subscription = 3,
                              .unary_per_second = 2,
                              .fallback_per_minute = 2});
    bob_ = AddKey("bob", {.rpcs = {"*"},
                          .symbols = {"*"},
                          .max_streams = 100,
                          .max_symbols_per_subscription = 100,
                          .unary_per_second = 1000,
                          .fallback_per_minute = 1000});
    Write();
  }

  std::unique_ptr<Authenticator> Create(AuthOptions options = {}) {
    options.keys_file = path_;
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Create(options, &registry_);
    EXPECT_TRUE(auth.ok()) << auth.status();
    return auth.ok() ? *std::move(auth) : nullptr;
  }

  absl::StatusOr<CallerPtr> Call(Authenticator& auth, const std::string& key,
                                 const std::string& method = "GetQuotes",
                                 bool unary = false) {
    return auth.AuthorizeBearer(absl::StrCat("Bearer ", key), method, unary,
                                now_);
  }

  std::string Metrics() {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }

  const std::string path_ = TempPath("keys.yaml");
  KeyFile file_;
  std::string alice_;
  std::string bob_;
  prometheus::Registry registry_;
  absl::Time now_ = absl::Now();
};

TEST_F(AuthenticatorTest, MissingBadAndUnknownKeysAreUnauthenticated) {
  auto auth = Create();
  absl::StatusOr<CallerPtr> none =
      auth->AuthorizeBearer(std::nullopt, "GetQuotes", false, now_);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(none.status().message(), HasSubstr("authorization: Bearer"));
  EXPECT_EQ(
      auth->AuthorizeBearer(alice_, "GetQuotes", false, now_).status().code(),
      absl::StatusCode::kUnauthenticated)
      << "no Bearer scheme";
  EXPECT_THAT(Call(*auth, "vns_nonsense").status().message(),
              HasSubstr("malformed"));
  // The right id with another secret, and an unknown id.
  std::string wrong_secret = alice_;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  EXPECT_THAT(Call(*auth, wrong_secret).status().message(),
              HasSubstr("invalid API key"));
  absl::StatusOr<NewKey> stranger = GenerateKey();
  EXPECT_THAT(Call(*auth, stranger->key).status().message(),
              HasSubstr("invalid API key"));
  // The scheme is case-insensitive.
  absl::StatusOr<CallerPtr> ok = auth->AuthorizeBearer(
      absl::StrCat("bearer  ", alice_), "GetQuotes", false, now_);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->name(), "alice");
  EXPECT_THAT(Metrics(),
              HasSubstr("vnstream_auth_requests_total{key=\"(none)\","
                        "result=\"unauthenticated\"} 5"));
}

TEST_F(AuthenticatorTest, MethodsAndSymbolsFollowTheEntitlements) {
  auto auth = Create();
  absl::StatusOr<CallerPtr> history = Call(*auth, alice_, "GetHistory");
  EXPECT_EQ(history.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(history.status().message(),
              HasSubstr("key 'alice' may not call GetHistory"));
  absl::StatusOr<CallerPtr> alice = Call(*auth, alice_, "SubscribeQuotes");
  ASSERT_TRUE(alice.ok());
  EXPECT_TRUE((*alice)->CheckSymbols({"FPT", "VCB", "CTG"}).ok())
      << "CTG and VCB through group:banks";
  absl::Status hpg = (*alice)->CheckSymbols({"FPT", "HPG"});
  EXPECT_EQ(hpg.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(hpg.message(), HasSubstr("not entitled to HPG"));
  absl::Status many = (*alice)->CheckSymbols({"FPT", "VCB", "CTG", "BID"});
  EXPECT_EQ(many.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(many.message(),
              HasSubstr("quota max_symbols_per_subscription: 4 symbols"));
  absl::StatusOr<CallerPtr> bob = Call(*auth, bob_, "GetHistory");
  ASSERT_TRUE(bob.ok());
  EXPECT_TRUE((*bob)->CheckSymbols({"HPG", "MWG"}).ok());
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("vnstream_auth_refused_total{key=\"alice\","
                                 "reason=\"method\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("vnstream_auth_refused_total{key=\"alice\","
                                 "reason=\"symbol\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("vnstream_auth_requests_total{key=\"alice\","
                                 "result=\"permission_denied\"} 1"));
}

TEST_F(AuthenticatorTest, UnaryRateIsPerIdentity) {
  auto auth = Create();
  EXPECT_TRUE(Call(*auth, alice_, "GetQuotes", true).ok());
  EXPECT_TRUE(Call(*auth, alice_, "GetQuotes", true).ok());
  absl::StatusOr<CallerPtr> third = Call(*auth, alice_, "GetQuotes", true);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status().message(),
              HasSubstr("quota unary_per_second: at most 2 calls per second "
                        "for 'alice'"));
  EXPECT_TRUE(Call(*auth, alice_, "SubscribeQuotes", false).ok())
      << "streams do not spend the unary rate";
  EXPECT_TRUE(Call(*auth, bob_, "GetQuotes", true).ok()) << "bob's own rate";
  now_ += absl::Milliseconds(500);
  EXPECT_TRUE(Call(*auth, alice_, "GetQuotes", true).ok()) << "refilled";
  EXPECT_THAT(Metrics(), HasSubstr("vnstream_auth_refused_total{key=\"alice\","
                                   "reason=\"unary_per_second\"} 1"));
}

TEST_F(AuthenticatorTest, StreamsArePerIdentityOverAllItsCalls) {
  auto auth = Create();
  // Two calls, as from two connections: one identity, one limit.
  absl::StatusOr<CallerPtr> one = Call(*auth, alice_, "SubscribeQuotes");
  absl::StatusOr<CallerPtr> two = Call(*auth, alice_, "SubscribeQuotes");
  ASSERT_TRUE(one.ok() && two.ok());
  absl::StatusOr<StreamSlot> a = (*one)->AdmitStream();
  absl::StatusOr<StreamSlot> b = (*two)->AdmitStream();
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<StreamSlot> c = (*two)->AdmitStream();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.status().message(),
              HasSubstr("quota max_streams: 'alice' has 2 streams open, at "
                        "most 2"));
  EXPECT_THAT(Metrics(),
              HasSubstr("vnstream_auth_open_streams{key=\"alice\"} 2"));
  *a = StreamSlot();  // The stream ended.
  EXPECT_TRUE((*one)->AdmitStream().ok());
  EXPECT_THAT(Metrics(),
              HasSubstr("vnstream_auth_open_streams{key=\"alice\"} 1"));
}

TEST_F(AuthenticatorTest, FallbackBudgetsPerIdentityAndInTotal) {
  auto auth = Create({.fallback_per_minute_total = 3});
  absl::StatusOr<CallerPtr> alice = Call(*auth, alice_);
  absl::StatusOr<CallerPtr> bob = Call(*auth, bob_);
  ASSERT_TRUE(alice.ok() && bob.ok());
  EXPECT_TRUE((*alice)->TakeFallback(now_).ok());
  EXPECT_TRUE((*alice)->TakeFallback(now_).ok());
  absl::Status own = (*alice)->TakeFallback(now_);
  EXPECT_EQ(own.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(own.message(), HasSubstr("quota fallback_per_minute: at most 2"));
  EXPECT_TRUE((*bob)->TakeFallback(now_).ok());
  absl::Status total = (*bob)->TakeFallback(now_);
  EXPECT_EQ(total.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(total.message(), HasSubstr("quota fallback_per_minute_total"));
}

TEST_F(AuthenticatorTest, ReloadAddsAndRevokesKeysAndKeepsStreams) {
  auto auth = Create();
  absl::StatusOr<CallerPtr> alice = Call(*auth, alice_, "SubscribeQuotes");
  ASSERT_TRUE(alice.ok());
  absl::StatusOr<StreamSlot> slot = (*alice)->AdmitStream();
  ASSERT_TRUE(slot.ok());
  const uint64_t generation = auth->generation();
  EXPECT_TRUE(auth->Reload().ok());
  EXPECT_EQ(auth->generation(), generation) << "unchanged file, no reload";

  const std::string carol = AddKey("carol", {.rpcs = {"*"},
                                             .symbols = {"*"},
                                             .max_streams = 1,
                                             .max_symbols_per_subscription = 1,
                                             .unary_per_second = 1,
                                             .fallback_per_minute = 1});
  EXPECT_EQ(Call(*auth, carol).status().code(),
            absl::StatusCode::kUnauthenticated);
  file_.keys[0].revoked = true;  // alice
  file_.keys[0].entitlements.max_streams = 5;
  Write();
  ASSERT_TRUE(auth->Reload().ok());
  EXPECT_GT(auth->generation(), generation);
  EXPECT_TRUE(Call(*auth, carol).ok());
  absl::StatusOr<CallerPtr> revoked = Call(*auth, alice_);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(revoked.status().message(), HasSubstr("revoked"));
  EXPECT_FALSE(auth->StillValid(**alice));
  EXPECT_THAT(Metrics(),
              HasSubstr("vnstream_auth_open_streams{key=\"alice\"} 1"))
      << "the open stream still counts until its owner ends it";

  // A broken file keeps the keys in force.
  std::ofstream(path_) << "keys: [{name: broken}]\n";
  absl::Status broken = auth->Reload();
  EXPECT_EQ(broken.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Call(*auth, carol).ok());
  EXPECT_THAT(Metrics(),
              HasSubstr("vnstream_auth_reloads_total{result=\"error\"} 1"));
  EXPECT_THAT(Metrics(), HasSubstr("vnstream_auth_keys{state=\"revoked\"} 1"));
}

TEST_F(AuthenticatorTest, WatchingAppliesChangesWithoutARestart) {
  auto auth = Create({.reload_interval = absl::Milliseconds(50)});
  auth->StartWatching();
  const std::string dave = AddKey("dave", {.rpcs = {"*"},
                                           .symbols = {"*"},
                                           .max_streams = 1,
                                           .max_symbols_per_subscription = 1,
                                           .unary_per_second = 1,
                                           .fallback_per_minute = 1});
  Write();
  EXPECT_TRUE(
      PollUntil([&] { return Call(*auth, dave).ok(); }, absl::Seconds(10)));
  file_.keys.back().revoked = true;
  Write();
  EXPECT_TRUE(
      PollUntil([&] { return !Call(*auth, dave).ok(); }, absl::Seconds(10)));
}

TEST_F(AuthenticatorTest, MetricLabelsAreCapped) {
  auto auth = Create({.max_metric_keys = 1});
  ASSERT_TRUE(Call(*auth, alice_).ok());
  ASSERT_TRUE(Call(*auth, bob_).ok());
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("vnstream_auth_requests_total{key=\"alice\","
                                 "result=\"ok\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("vnstream_auth_requests_total{key=\"(other)\","
                                 "result=\"ok\"} 1"));
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr("key=\"bob\"")));
}

TEST_F(AuthenticatorTest, AMissingOrInvalidFileIsAnErrorAtStart) {
  EXPECT_EQ(Authenticator::Create({.keys_file = path_ + ".none"}, nullptr)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  std::ofstream(path_) << "keys: [{name: x}]\n";
  EXPECT_EQ(
      Authenticator::Create({.keys_file = path_}, nullptr).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Authenticator::Create({}, nullptr).ok());
}

}  // namespace
}  // namespace vnstream::auth
