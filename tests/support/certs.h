// Certificates for tests: scripts/make-certs.sh (the script the demo uses)
// run into a directory of the test's own, so every test has a fresh CA.
//
//   absl::StatusOr<TestCerts> certs = MakeTestCerts(TestTempPath("certs"));
//   ... certs->gateway_cert, certs->ca ...
#ifndef VNSTREAM_TESTS_SUPPORT_CERTS_H_
#define VNSTREAM_TESTS_SUPPORT_CERTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace vnstream::testing {

// Paths of the files make-certs.sh writes (see the script for each).
struct TestCerts {
  std::string dir;
  std::string ca;
  std::string gateway_cert, gateway_key;
  std::string client_cert, client_key;
  std::string kafka_cert, kafka_key, kafka_keystore;
  std::string dashboard_cert, dashboard_key;
};

// Runs make-certs.sh into `dir` with a CA named `ca_name` (a second call
// with another directory makes an independent, mutually untrusted CA).
absl::StatusOr<TestCerts> MakeTestCerts(
    const std::string& dir, const std::string& ca_name = "vnstream test CA");

// The contents of a file ("" if unreadable): PEM data for gRPC credentials.
std::string ReadTextFile(const std::string& path);

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_CERTS_H_
