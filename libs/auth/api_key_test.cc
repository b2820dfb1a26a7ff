#include "libs/auth/api_key.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace vnstream::auth {
namespace {

TEST(ApiKeyTest, GeneratedKeysHaveTheFormatAndVerify) {
  absl::StatusOr<NewKey> key = GenerateKey();
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(absl::StartsWith(key->key, "vns_"));
  EXPECT_EQ(key->key.size(), 4 + 16 + 1 + 64);
  std::optional<KeyParts> parts = SplitKey(key->key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->id, key->id);
  EXPECT_EQ(key->salt.size(), kSaltBytes);
  EXPECT_EQ(key->hash.size(), kHashBytes);
  EXPECT_TRUE(
      ConstantTimeEquals(HashSecret(key->salt, parts->secret), key->hash));
  // The stored hash never contains the secret.
  EXPECT_FALSE(
      absl::StrContains(absl::BytesToHexString(key->hash), parts->secret));

  absl::StatusOr<NewKey> other = GenerateKey();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->id, key->id);
  EXPECT_NE(other->salt, key->salt);
  EXPECT_FALSE(
      ConstantTimeEquals(HashSecret(other->salt, parts->secret), key->hash))
      << "another salt, another hash";
}

TEST(ApiKeyTest, HashIsHmacSha256) {
  // RFC 4231 test case 2: key "Jefe".
  EXPECT_EQ(absl::BytesToHexString(
                HashSecret("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(ApiKeyTest, SplitRejectsWhatIsNotAKey) {
  const std::string id(16, 'a');
  const std::string secret(64, 'b');
  EXPECT_TRUE(SplitKey("vns_" + id + "_" + secret).has_value());
  for (const std::string& bad : std::vector<std::string>{
           "", "vns_", "Bearer vns_" + id + "_" + secret,
           "vns_" + id + "-" + secret, "vns_" + id + "_" + secret + "0",
           "vns_" + id + "_" + secret.substr(1), "VNS_" + id + "_" + secret,
           "vns_" + std::string(15, 'a') + "G_" + secret,
           "vns_" + id + "_" + std::string(63, 'b') + "B"}) {
    EXPECT_FALSE(SplitKey(bad).has_value()) << bad;
  }
}

TEST(ApiKeyTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace vnstream::auth
