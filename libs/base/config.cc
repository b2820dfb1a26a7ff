#include "libs/base/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

// Returns the filter of --help, -help, -h (empty) or --help=SUBSTRING when
// one is given before "--".
std::optional<std::string> FindHelpArg(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-help" || arg == "-h") return "";
    if (absl::ConsumePrefix(&arg, "--help=") ||
        absl::ConsumePrefix(&arg, "-help=")) {
      return std::string(arg);
    }
  }
  return std::nullopt;
}

// --help groups for the libraries that define settings, in this order after
// the binary's own settings. A library missing here is titled by its
// directory.
struct HelpGroup {
  absl::string_view dir;
  absl::string_view title;
};
constexpr HelpGroup kLibraryHelpGroups[] = {
    {"libs/vnstock/", "VNStock (VCI) client"},
    {"libs/kafka/", "Kafka"},
    {"libs/indicators/", "Indicators"},
    {"libs/market/", "Trading calendar"},
    {"libs/base/", "Configuration and logging"},
};

constexpr size_t kHelpWidth = 80;  // Columns.

// Appends `text` word-wrapped to kHelpWidth, each line indented by `indent`.
void AppendWrapped(absl::string_view text, size_t indent, std::string* out) {
  std::string line;
  for (absl::string_view word :
       absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > kHelpWidth) {
      absl::StrAppend(out, std::string(indent, ' '), line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(out, std::string(indent, ' '), line, "\n");
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
    // A key like "[1]" or "{a: b}" is valid YAML but no setting name (and
    // as<std::string>() would throw).
    if (!entry.first.IsScalar()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": keys must be setting names (line ",
                       entry.first.Mark().line + 1, ")"));
    }
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

std::string SettingsHelp(absl::string_view program, absl::string_view usage,
                         absl::string_view filter) {
  struct Group {
    std::string title;
    std::set<std::string> dirs;
    std::map<std::string, const absl::CommandLineFlag*> flags;  // By name.
  };
  // Key: (0 = the binary's own, then kLibraryHelpGroups' order, then other
  // libraries by directory; directory for the latter).
  std::map<std::pair<size_t, std::string>, Group> groups;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    std::string file = flag->Filename();
    if (absl::StartsWith(file, "./")) file.erase(0, 2);
    if (absl::StrContains(file, "absl/")) continue;  // --flagfile etc.
    if (!filter.empty() && !absl::StrContains(name, filter) &&
        !absl::StrContains(flag->Help(), filter) &&
        !absl::StrContains(file, filter)) {
      continue;
    }
    const std::string dir = file.substr(0, file.rfind('/') + 1);
    std::pair<size_t, std::string> key(0, "");
    std::string title(program);
    if (absl::StartsWith(dir, "libs/")) {
      key = {std::size(kLibraryHelpGroups) + 1, dir};
      title = dir.substr(0, dir.size() - 1);
      for (size_t i = 0; i < std::size(kLibraryHelpGroups); ++i) {
        if (kLibraryHelpGroups[i].dir == dir) {
          key = {i + 1, ""};
          title = std::string(kLibraryHelpGroups[i].title);
        }
      }
    }
    Group& group = groups[key];
    group.title = title;
    group.dirs.insert(dir.empty() ? "." : dir.substr(0, dir.size() - 1));
    group.flags.emplace(name, flag);
  }

  std::string out = absl::StrCat(usage, "\n\n");
  if (groups.empty()) {
    absl::StrAppend(&out, "No settings match '", filter, "'.\n");
    return out;
  }
  const absl::CommandLineFlag& example =
      *groups.begin()->second.flags.begin()->second;
  const std::string example_value =
      example.DefaultValue().empty() ? "value" : example.DefaultValue();
  AppendWrapped(
      absl::StrCat("Every setting is a flag (--name=value), an environment "
                   "variable ",
                   kEnvPrefix, "<NAME> (e.g. ", EnvVarForFlag(example.Name()),
                   "=", example_value,
                   ") and a top-level key of the YAML file given by "
                   "--config=FILE.yaml or ",
                   EnvVarForFlag("config"), " (e.g. ", example.Name(), ": ",
                   example_value, "; a list as a YAML sequence)."),
      0, &out);
  absl::StrAppend(&out,
                  "Precedence: flag > environment > YAML file > default "
                  "(shown below).\n");
  for (const auto& [key, group] : groups) {
    absl::StrAppend(&out, "\n", group.title, " (",
                    absl::StrJoin(group.dirs, ", "), "):\n");
    for (const auto& [name, flag] : group.flags) {
      const std::string value = flag->DefaultValue();
      absl::StrAppend(&out, "  --", name, "=", value.empty() ? "\"\"" : value,
                      "\n");
      AppendWrapped(flag->Help(), 6, &out);
    }
  }
  absl::StrAppend(&out, "\n");
  AppendWrapped(
      "--help=SUBSTRING lists the matching settings only; --helpfull also "
      "lists Abseil's own flags.",
      0, &out);
  return out;
}

std::vector<char*> ParseConfig(int argc, char** argv, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  if (const std::optional<std::string> filter = FindHelpArg(argc, argv)) {
    absl::string_view program = argv[0];
    program = program.substr(program.rfind('/') + 1);
    std::fputs(SettingsHelp(program, usage, *filter).c_str(), stdout);
    std::exit(0);
  }
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
