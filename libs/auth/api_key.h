// API keys: how they look, how they are made and how they are stored.
//
// A key is "vns_" + a 16-hex-digit key id + "_" + a 64-hex-digit secret
// (256 random bits), e.g. vns_1f0c9a4b7e2d5c63_9b1e...; clients send it as
// "authorization: Bearer <key>". The key id is not secret: it names the
// stored record. Only a keyed hash of the secret is stored:
// HMAC-SHA256(key = a random 16-byte salt of that key, message = secret),
// compared in constant time. The secret's entropy makes guessing hopeless;
// the salt keeps equal secrets from having equal hashes and hashes from
// being precomputed.
//
// Thread-safe (pure functions; OpenSSL's RNG is thread-safe).
#ifndef VNSTREAM_LIBS_AUTH_API_KEY_H_
#define VNSTREAM_LIBS_AUTH_API_KEY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vnstream::auth {

inline constexpr absl::string_view kKeyPrefix = "vns_";
inline constexpr size_t kKeyIdHexDigits = 16;
inline constexpr size_t kSecretHexDigits = 64;
inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kHashBytes = 32;

// A presented key split into its id and secret; nullopt when it does not
// have the key format (so it cannot be any key).
struct KeyParts {
  std::string id;
  std::string secret;
};
std::optional<KeyParts> SplitKey(absl::string_view key);

// A new key with what to store for it. `key` is shown once and never
// stored; `salt` and `hash` are raw bytes.
struct NewKey {
  std::string key;
  std::string id;
  std::string salt;
  std::string hash;
};
// Internal error if the system's random source fails.
absl::StatusOr<NewKey> GenerateKey();

// HMAC-SHA256(salt, secret): kHashBytes raw bytes.
std::string HashSecret(absl::string_view salt, absl::string_view secret);

// Equality of two byte strings in time independent of where they differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace vnstream::auth

#endif  // VNSTREAM_LIBS_AUTH_API_KEY_H_
