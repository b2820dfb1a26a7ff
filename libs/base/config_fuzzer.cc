// libFuzzer target: configuration YAML (a file an operator edits, or a
// mounted ConfigMap) through ApplyYamlConfig, with a flag of each type the
// services use. Bad input must come back as a Status: no crash, no
// uncaught exception.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "libs/base/config.h"

ABSL_FLAG(std::string, fuzz_text, "", "A string setting.");
ABSL_FLAG(int, fuzz_int, 0, "An int setting.");
ABSL_FLAG(int64_t, fuzz_int64, 0, "An int64 setting.");
ABSL_FLAG(bool, fuzz_bool, false, "A bool setting.");
ABSL_FLAG(double, fuzz_double, 0, "A double setting.");
ABSL_FLAG(absl::Duration, fuzz_duration, absl::Seconds(1), "A duration.");
ABSL_FLAG(std::vector<std::string>, fuzz_list, {}, "A list setting.");

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)vnstream::ApplyYamlConfig(
      absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  return 0;
}
