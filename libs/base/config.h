// Service configuration: one mechanism for every binary.
//
// Every setting is an Abseil flag. A value comes from, in order of
// precedence:
//   1. the command line:            --kafka_brokers=host:9092
//   2. the environment:             VNSTREAM_KAFKA_BROKERS=host:9092
//   3. the YAML file named by --config (or VNSTREAM_CONFIG), whose
//      top-level keys are flag names:   kafka_brokers: host:9092
//   4. the flag's default.
// YAML sequences become comma-separated lists (for std::vector<std::string>
// flags). Unknown YAML keys and unparsable values are errors: a typo in a
// config file must not silently fall back to a default.
#ifndef VNSTREAM_LIBS_BASE_CONFIG_H_
#define VNSTREAM_LIBS_BASE_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vnstream {

// Prefix of the environment variable of every flag.
inline constexpr absl::string_view kEnvPrefix = "VNSTREAM_";

// Returns the environment variable name of a flag: "kafka_brokers" ->
// "VNSTREAM_KAFKA_BROKERS".
std::string EnvVarForFlag(absl::string_view flag_name);

// Applies the top-level keys of a YAML document to the flags of the same
// name. `origin` names the document in error messages.
absl::Status ApplyYamlConfig(absl::string_view yaml_text,
                             absl::string_view origin);

// Applies VNSTREAM_<FLAG> environment variables to the flags in
// `flag_names` (all registered flags if empty).
absl::Status ApplyEnvironment(const std::vector<std::string>& flag_names = {});

// The --help text of a binary: `usage`, where settings come from (the
// precedence above), then every setting the binary links as
// --name=default and its description, grouped by the library that defines
// it, the binary's own settings (titled `program`) first. With a non-empty
// `filter`, only the settings whose name, description or file contains it.
// Abseil's own flags (--flagfile, ...) are left to --helpfull.
std::string SettingsHelp(absl::string_view program, absl::string_view usage,
                         absl::string_view filter = "");

// Sets usage, applies the YAML file and the environment, then parses the
// command line (which wins). Prints the error and exits(2) on bad
// configuration. On --help, -h or --help=SUBSTRING prints SettingsHelp to
// stdout and exits(0) before reading any configuration. Returns the
// positional arguments (argv[0] first).
std::vector<char*> ParseConfig(int argc, char** argv, absl::string_view usage);

// True when --check_config was given: the binary validates its settings,
// reports the result and exits (0 = valid) instead of starting.
bool CheckConfigOnly();

}  // namespace vnstream

#endif  // VNSTREAM_LIBS_BASE_CONFIG_H_
