// Cross-service tests start the real binaries (from Bazel runfiles) as child
// processes and talk to them over their real ports.
#ifndef VNSTREAM_TESTS_SUPPORT_SERVICE_PROCESS_H_
#define VNSTREAM_TESTS_SUPPORT_SERVICE_PROCESS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/base/subprocess.h"

namespace vnstream::testing {

// The absolute path of a workspace file in the test's runfiles, e.g.
// Runfile("services/ingest/vnstream-ingest").
std::string Runfile(const std::string& workspace_path);

struct ServiceProcess {
  std::unique_ptr<Subprocess> process;
  // stdout+stderr; in $TEST_UNDECLARED_OUTPUTS_DIR, kept with the test's
  // results.
  std::string log_path;
  // The submatches of `ready` (see StartService).
  std::vector<std::string> captured;
  // Where this start's output begins in `log_path` (the file is appended
  // to across restarts); log searches start here.
  size_t log_offset = 0;
};

// Starts `binary` (a runfiles path) with `args` and waits until a line of
// its log matches the RE2-less ECMAScript regex `ready` (std::regex), whose
// submatches are returned: e.g. "gRPC on :(\\d+), metrics on :(\\d+)".
// Fails with the log's tail if the process exits or `timeout` passes.
absl::StatusOr<ServiceProcess> StartService(
    const std::string& name, const std::string& binary,
    const std::vector<std::string>& args, const std::string& ready,
    absl::Duration timeout = absl::Seconds(60));

// Waits until a line of the log matches `pattern`; returns its submatches.
absl::StatusOr<std::vector<std::string>> WaitForLog(
    const ServiceProcess& service, const std::string& pattern,
    absl::Duration timeout);

// Plain HTTP for metrics and vnstock-sim's control API.
absl::StatusOr<std::string> HttpGet(const std::string& url);
absl::StatusOr<std::string> HttpPost(const std::string& url,
                                     const std::string& body,
                                     const std::string& method = "POST");

// Runs grpcurl ($VNSTREAM_GRPCURL, built by scripts/setup.sh) with `args`
// and returns what it printed (stdout and stderr); fails the current test
// when grpcurl is missing or runs longer than `timeout`.
std::string Grpcurl(const std::vector<std::string>& args,
                    absl::Duration timeout = absl::Seconds(60));

// The value of one Prometheus sample, e.g.
//   MetricValue(text, "vnstream_ingest_records_produced_total",
//               {{"topic", "stock-prices"}})
// nullopt when absent.
std::optional<double> MetricValue(
    const std::string& exposition, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& labels);

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_SUPPORT_SERVICE_PROCESS_H_
