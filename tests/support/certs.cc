#include "tests/support/certs.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/base/subprocess.h"
#include "tests/support/service_process.h"

namespace vnstream::testing {

absl::StatusOr<TestCerts> MakeTestCerts(const std::string& dir,
                                        const std::string& ca_name) {
  const std::string log = dir + ".log";
  absl::StatusOr<std::unique_ptr<Subprocess>> script = Subprocess::Start(
      {.argv = {"bash", Runfile("scripts/make-certs.sh"), dir},
       .env = {{"VNSTREAM_CERT_CN", ca_name}},
       .log_path = log});
  if (!script.ok()) return script.status();
  absl::StatusOr<int> status = (*script)->Wait(absl::Seconds(60));
  if (!status.ok() || *status != 0) {
    return absl::InternalError(
        absl::StrCat("make-certs.sh failed: ", ReadTextFile(log)));
  }
  auto path = [&](const char* name) { return absl::StrCat(dir, "/", name); };
  return TestCerts{
      .dir = dir,
      .ca = path("ca.pem"),
      .gateway_cert = path("gateway.pem"),
      .gateway_key = path("gateway.key"),
      .client_cert = path("client.pem"),
      .client_key = path("client.key"),
      .kafka_cert = path("kafka.pem"),
      .kafka_key = path("kafka.key"),
      .kafka_keystore = path("kafka-keystore.pem"),
      .dashboard_cert = path("dashboard.pem"),
      .dashboard_key = path("dashboard.key"),
  };
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace vnstream::testing
