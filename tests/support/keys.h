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

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_KEYS_H_
