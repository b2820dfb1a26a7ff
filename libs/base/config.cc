#include "libs/base/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

ABSL_FLAG(std::string, config, "",
          "YAML configuration file; its top-level keys are flag names "
          "(env: VNSTREAM_CONFIG). Command-line flags and VNSTREAM_* "
          "environment variables override it.");

ABSL_FLAG(bool, check_config, false,
          "Validate the settings, print the result and exit (0 = valid).");

namespace vnstream {
namespace {

absl::Status SetFlag(absl::string_view name, absl::string_view value,
                     absl::string_view origin) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": unknown setting '", name, "'"));
  }
  std::string error;
  if (!flag->ParseFrom(value, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        origin, ": bad value '", value, "' for '", name, "': ", error));
  }
  return absl::OkStatus();
}

// Returns the --config value given on the command line, if any. The flag is
// applied before absl parses the command line, so it is found by hand.
std::string FindConfigArg(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    for (absl::string_view prefix : {"--config=", "-config="}) {
      if (absl::StartsWith(arg, prefix)) {
        return std::string(arg.substr(prefix.size()));
      }
    }
    if ((arg == "--config" || arg == "-config") && i + 1 < argc) {
      return argv[i + 1];
    }
  }
  const char* env = std::getenv(EnvVarForFlag("config").c_str());
  return env == nullptr ? "" : env;
}

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "configuration error: %s\n",
               std::string(status.message()).c_str());
  std::exit(2);
}

}  // namespace

bool CheckConfigOnly() { return absl::GetFlag(FLAGS_check_config); }

std::string EnvVarForFlag(absl::string_view flag_name) {
  return absl::StrCat(kEnvPrefix, absl::AsciiStrToUpper(flag_name));
}

absl::Status ApplyYamlConfig(absl::string_view yaml_text,
                             absl::string_view origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": invalid YAML: ", e.what()));
  }
  if (root.IsNull()) return absl::OkStatus();  // An empty file is fine.
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": expected a mapping of setting: value"));
  }
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    std::string text;
    if (value.IsScalar()) {
      text = value.as<std::string>();
    } else if (value.IsSequence()) {
      std::vector<std::string> items;
      for (const auto& item : value) {
        if (!item.IsScalar()) {
          return absl::InvalidArgumentError(absl::StrCat(
              origin, ": '", key, "' must be a list of plain values"));
        }
        items.push_back(item.as<std::string>());
      }
      text = absl::StrJoin(items, ",");
    } else if (!value.IsNull()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": '", key, "' must be a value or a list"));
    }
    if (absl::Status s = SetFlag(key, text, origin); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyEnvironment(const std::vector<std::string>& flag_names) {
  std::vector<std::string> names = flag_names;
  if (names.empty()) {
    for (const auto& [name, flag] : absl::GetAllFlags()) {
      names.emplace_back(name);
    }
  }
  for (const std::string& name : names) {
    const std::string var = EnvVarForFlag(name);
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    if (absl::Status s = SetFlag(name, value, var); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::vector<char*> ParseConfig(int argc, char** argv, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  if (const std::string path = FindConfigArg(argc, argv); !path.empty()) {
    std::ifstream in(path);
    if (!in) Die(absl::NotFoundError(absl::StrCat("cannot read ", path)));
    std::stringstream text;
    text << in.rdbuf();
    if (absl::Status s = ApplyYamlConfig(text.str(), path); !s.ok()) Die(s);
  }
  if (absl::Status s = ApplyEnvironment(); !s.ok()) Die(s);
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace vnstream
