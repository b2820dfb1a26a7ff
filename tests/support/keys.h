// API keys for tests that start a gateway: a keys file (libs/auth) with one
// key, written into a directory of the test's own.
//
//   absl::StatusOr<TestKey> key = MakeTestKey(TestTempPath("keys"));
//   ... "--keys_file=" + key->file ... ChannelOptions{.api_key = key->key}
#ifndef VNSTREAM_TESTS_SUPPORT_KEYS_H_
#define VNSTREAM_TESTS_SUPPORT_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/key_file.h"
#include "tests/support/certs.h"

namespace vnstream::testing {

struct TestKey {
  // The keys file (pass as the gateway's --keys_file).
  std::string file;
  // The key (send as "authorization: Bearer <key>").
  std::string key;
};

// Everything, with quotas no test reaches.
auth::Entitlements Unlimited();

// Writes `dir`/keys.yaml holding one key named `name`; adds to the file when
// it exists (another identity).
absl::StatusOr<TestKey> MakeTestKey(
    const std::string& dir, const std::string& name = "test",
    auth::Entitlements entitlements = Unlimited());

// What a test that starts a gateway over TLS with API keys needs: the
// certificates (MakeTestCerts into `certs_dir`) and one unlimited key
// (MakeTestKey into `keys_dir`).
struct TestCredentials {
  TestCerts certs;
  TestKey key;
};
absl::StatusOr<TestCredentials> MakeTestCredentials(
    const std::string& certs_dir, const std::string& keys_dir);

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_KEYS_H_
