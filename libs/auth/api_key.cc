#include "libs/auth/api_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace vnstream::auth {
namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    return absl::InternalError("the system's random source failed");
  }
  return out;
}

}  // namespace

std::optional<KeyParts> SplitKey(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kKeyPrefix)) return std::nullopt;
  if (key.size() != kKeyIdHexDigits + 1 + kSecretHexDigits ||
      key[kKeyIdHexDigits] != '_') {
    return std::nullopt;
  }
  KeyParts parts{std::string(key.substr(0, kKeyIdHexDigits)),
                 std::string(key.substr(kKeyIdHexDigits + 1))};
  if (!IsLowerHex(parts.id) || !IsLowerHex(parts.secret)) return std::nullopt;
  return parts;
}

absl::StatusOr<NewKey> GenerateKey() {
  absl::StatusOr<std::string> id = RandomBytes(kKeyIdHexDigits / 2);
  absl::StatusOr<std::string> secret = RandomBytes(kSecretHexDigits / 2);
  absl::StatusOr<std::string> salt = RandomBytes(kSaltBytes);
  for (const auto* r : {&id, &secret, &salt}) {
    if (!r->ok()) return r->status();
  }
  NewKey key;
  key.id = absl::BytesToHexString(*id);
  const std::string secret_hex = absl::BytesToHexString(*secret);
  key.key = absl::StrCat(kKeyPrefix, key.id, "_", secret_hex);
  key.salt = *std::move(salt);
  key.hash = HashSecret(key.salt, secret_hex);
  return key;
}

std::string HashSecret(absl::string_view salt, absl::string_view secret) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int length = 0;
  HMAC(EVP_sha256(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
       reinterpret_cast<unsigned char*>(out.data()), &length);
  out.resize(length);
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // The lengths are not secret (every stored hash has kHashBytes).
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vnstream::auth
