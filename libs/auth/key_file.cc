#include "libs/auth/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "libs/auth/api_key.h"
#include "libs/market/exchange.h"
#include "vnstream/v1/market_data_service.grpc.pb.h"
#include "yaml-cpp/yaml.h"

namespace vnstream::auth {
namespace {

constexpr absl::string_view kGroupPrefix = "group:";

bool IsName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '.' &&
        c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsHex(absl::string_view s, size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::Status KeyError(const KeyRecord& key, size_t index,
                      absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "key #", index + 1,
      key.name.empty() ? "" : absl::StrCat(" (", key.name, ")"), ": ", what));
}

std::vector<std::string> StringList(const YAML::Node& node,
                                    absl::string_view what) {
  if (!node.IsSequence()) {
    throw YAML::Exception(node.Mark(), absl::StrCat(what, " must be a list"));
  }
  std::vector<std::string> out;
  for (const YAML::Node& item : node) out.push_back(item.as<std::string>());
  return out;
}

KeyRecord ParseKey(const YAML::Node& node) {
  if (!node.IsMap()) throw YAML::Exception(node.Mark(), "a key must be a map");
  KeyRecord key;
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string name = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    seen.insert(name);
    Entitlements& e = key.entitlements;
    if (name == "name") {
      key.name = value.as<std::string>();
    } else if (name == "id") {
      key.id = value.as<std::string>();
    } else if (name == "salt" || name == "hash") {
      const std::string hex = value.as<std::string>();
      if (!IsHex(hex, 2 * (name == "salt" ? kSaltBytes : kHashBytes))) {
        throw YAML::Exception(
            value.Mark(),
            absl::StrCat(name, " is not ",
                         2 * (name == "salt" ? kSaltBytes : kHashBytes),
                         " lower-case hex digits"));
      }
      (name == "salt" ? key.salt : key.hash) = absl::HexStringToBytes(hex);
    } else if (name == "created") {
      key.created = value.as<std::string>();
    } else if (name == "revoked") {
      key.revoked = value.as<bool>();
    } else if (name == "rpcs") {
      e.rpcs = StringList(value, "rpcs");
    } else if (name == "symbols") {
      e.symbols = StringList(value, "symbols");
    } else if (name == "max_streams") {
      e.max_streams = value.as<int>();
    } else if (name == "max_symbols_per_subscription") {
      e.max_symbols_per_subscription = value.as<int>();
    } else if (name == "unary_per_second") {
      e.unary_per_second = value.as<double>();
    } else if (name == "fallback_per_minute") {
      e.fallback_per_minute = value.as<double>();
    } else {
      throw YAML::Exception(entry.first.Mark(),
                            absl::StrCat("unknown setting '", name, "'"));
    }
  }
  for (const char* required :
       {"name", "id", "salt", "hash", "revoked", "rpcs", "symbols",
        "max_streams", "max_symbols_per_subscription", "unary_per_second",
        "fallback_per_minute"}) {
    if (!seen.contains(required)) {
      throw YAML::Exception(node.Mark(),
                            absl::StrCat(key.name.empty() ? "a key" : key.name,
                                         ": '", required, "' is missing"));
    }
  }
  return key;
}

}  // namespace

const std::vector<std::string>& ApiMethods() {
  static const std::vector<std::string>* const methods = [] {
    auto* out = new std::vector<std::string>();
    // Through a message of the same file: that links its descriptor in.
    const google::protobuf::ServiceDescriptor* service =
        v1::SubscribeRequest::descriptor()->file()->FindServiceByName(
            "MarketDataService");
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
      out->push_back(service->method(i)->name());
    }
    return out;
  }();
  return *methods;
}

absl::Status ValidateKeyFile(const KeyFile& file) {
  for (const auto& [group, symbols] : file.groups) {
    if (!IsName(group)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "group '", group, "': use lower-case letters, digits, . _ -"));
    }
    for (const std::string& s : symbols) {
      if (!market::IsValidSymbol(s) || market::NormalizeSymbol(s) != s) {
        return absl::InvalidArgumentError(absl::StrCat(
            "group ", group, ": '", s, "' is not an upper-case ticker"));
      }
    }
  }
  const absl::flat_hash_set<std::string> methods(ApiMethods().begin(),
                                                 ApiMethods().end());
  absl::flat_hash_set<std::string> names;
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < file.keys.size(); ++i) {
    const KeyRecord& key = file.keys[i];
    const Entitlements& e = key.entitlements;
    if (!IsName(key.name)) {
      return KeyError(key, i,
                      "name: 1-64 of lower-case letters, digits, . _ -");
    }
    if (!key.revoked && !names.insert(key.name).second) {
      return KeyError(key, i, "another active key has this name");
    }
    if (!IsHex(key.id, kKeyIdHexDigits)) {
      return KeyError(key, i,
                      absl::StrCat("id is not ", kKeyIdHexDigits,
                                   " lower-case hex digits"));
    }
    if (!ids.insert(key.id).second) {
      return KeyError(key, i, "another key has this id");
    }
    if (key.salt.size() != kSaltBytes || key.hash.size() != kHashBytes) {
      return KeyError(key, i, "salt or hash has the wrong length");
    }
    for (const std::string& rpc : e.rpcs) {
      if (rpc != "*" && !methods.contains(rpc)) {
        return KeyError(key, i,
                        absl::StrCat("'", rpc,
                                     "' is not a method of "
                                     "vnstream.v1.MarketDataService"));
      }
    }
    for (const std::string& s : e.symbols) {
      if (s == "*") continue;
      if (absl::StartsWith(s, kGroupPrefix)) {
        if (!file.groups.contains(s.substr(kGroupPrefix.size()))) {
          return KeyError(key, i, absl::StrCat("no ", s, " in groups"));
        }
      } else if (!market::IsValidSymbol(s) || market::NormalizeSymbol(s) != s) {
        return KeyError(key, i,
                        absl::StrCat("'", s, "' is not an upper-case ticker"));
      }
    }
    if (e.max_streams < 0 || e.max_symbols_per_subscription < 0 ||
        !(e.unary_per_second >= 0) || !(e.fallback_per_minute >= 0) ||
        !std::isfinite(e.unary_per_second) ||
        !std::isfinite(e.fallback_per_minute)) {
      return KeyError(key, i, "limits must be finite and >= 0");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyFile> ParseKeyFile(absl::string_view yaml,
                                     absl::string_view origin) {
  KeyFile file;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsNull() && !root.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": expected a map with groups and keys"));
    }
    for (const auto& entry : root) {
      const std::string name = entry.first.as<std::string>();
      if (name == "groups") {
        if (entry.second.IsNull()) continue;
        if (!entry.second.IsMap()) {
          return absl::InvalidArgumentError(
              absl::StrCat(origin, ": groups must be a map of lists"));
        }
        for (const auto& group : entry.second) {
          file.groups[group.first.as<std::string>()] =
              StringList(group.second, "a group");
        }
      } else if (name == "keys") {
        if (entry.second.IsNull()) continue;
        if (!entry.second.IsSequence()) {
          return absl::InvalidArgumentError(
              absl::StrCat(origin, ": keys must be a list"));
        }
        for (const YAML::Node& key : entry.second) {
          file.keys.push_back(ParseKey(key));
        }
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(origin, ": unknown section '", name, "'"));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", e.what()));
  }
  if (absl::Status s = ValidateKeyFile(file); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", s.message()));
  }
  return file;
}

std::string FormatKeyFile(const KeyFile& file) {
  YAML::Emitter out;
  out << YAML::Comment(
             "vnstream API keys: written by vnstream-keys; holds no key, "
             "only salted hashes (libs/auth/key_file.h describes every field)")
      << YAML::Newline;
  out << YAML::BeginMap;
  out << YAML::Key << "groups" << YAML::Value << YAML::BeginMap;
  for (const auto& [group, symbols] : file.groups) {
    out << YAML::Key << group << YAML::Value << YAML::Flow << symbols;
  }
  out << YAML::EndMap;
  out << YAML::Key << "keys" << YAML::Value << YAML::BeginSeq;
  for (const KeyRecord& key : file.keys) {
    const Entitlements& e = key.entitlements;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << key.name;
    out << YAML::Key << "id" << YAML::Value << YAML::DoubleQuoted << key.id;
    out << YAML::Key << "salt" << YAML::Value
        << absl::BytesToHexString(key.salt);
    out << YAML::Key << "hash" << YAML::Value
        << absl::BytesToHexString(key.hash);
    out << YAML::Key << "created" << YAML::Value << YAML::DoubleQuoted
        << key.created;
    out << YAML::Key << "revoked" << YAML::Value << key.revoked;
    out << YAML::Key << "rpcs" << YAML::Value << YAML::Flow << e.rpcs;
    out << YAML::Key << "symbols" << YAML::Value << YAML::Flow << e.symbols;
    out << YAML::Key << "max_streams" << YAML::Value << e.max_streams;
    out << YAML::Key << "max_symbols_per_subscription" << YAML::Value
        << e.max_symbols_per_subscription;
    out << YAML::Key << "unary_per_second" << YAML::Value << e.unary_per_second;
    out << YAML::Key << "fallback_per_minute" << YAML::Value
        << e.fallback_per_minute;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return absl::StrCat(out.c_str(), "\n");
}

absl::StatusOr<KeyFile> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return ParseKeyFile(text.str(), path);
}

absl::Status WriteKeyFile(const std::string& path, const KeyFile& file) {
  if (absl::Status s = ValidateKeyFile(file); !s.ok()) return s;
  const std::string text = FormatKeyFile(file);
  const std::string temporary = absl::StrCat(path, ".tmp");
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot write ", temporary, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace vnstream::auth
