#include "tests/support/keys.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/auth/api_key.h"

namespace vnstream::testing {

auth::Entitlements Unlimited() {
  return {.rpcs = {"*"},
          .symbols = {"*"},
          .max_streams = 1000,
          .max_symbols_per_subscription = 100,
          .unary_per_second = 10000,
          .fallback_per_minute = 10000};
}

absl::StatusOr<TestKey> MakeTestKey(const std::string& dir,
                                    const std::string& name,
                                    auth::Entitlements entitlements) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", dir, ": ", error.message()));
  }
  const std::string path = absl::StrCat(dir, "/keys.yaml");
  auth::KeyFile file;
  if (std::filesystem::exists(path)) {
    absl::StatusOr<auth::KeyFile> read = auth::ReadKeyFile(path);
    if (!read.ok()) return read.status();
    file = *std::move(read);
  }
  absl::StatusOr<auth::NewKey> key = auth::GenerateKey();
  if (!key.ok()) return key.status();
  file.keys.push_back({.name = name,
                       .id = key->id,
                       .salt = key->salt,
                       .hash = key->hash,
                       .created = "2026-01-01T00:00:00Z",
                       .entitlements = std::move(entitlements)});
  if (absl::Status s = auth::WriteKeyFile(path, file); !s.ok()) return s;
  return TestKey{.file = path, .key = key->key};
}

absl::StatusOr<TestCredentials> MakeTestCredentials(
    const std::string& certs_dir, const std::string& keys_dir) {
  absl::StatusOr<TestCerts> certs = MakeTestCerts(certs_dir);
  if (!certs.ok()) return certs.status();
  absl::StatusOr<TestKey> key = MakeTestKey(keys_dir);
  if (!key.ok()) return key.status();
  return TestCredentials{.certs = *std::move(certs), .key = *std::move(key)};
}

}  // namespace vnstream::testing
