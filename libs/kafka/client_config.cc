#include "libs/kafka/client_config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace vnstream::kafka {

bool IsSensitive(absl::string_view key) {
  return absl::StrContains(key, "password") ||
         absl::StrContains(key, "secret") || absl::StrContains(key, "jaas") ||
         absl::StrContains(key, "ssl.key.pem") ||
         absl::StrContains(key, "ssl_key");
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const ConfigMap& values) {
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  // Requests are small and latency matters more than packets: Nagle's
  // algorithm would hold a request while an earlier one is unacknowledged
  // (up to the peer's delayed ACK, 40 ms on Linux). librdkafka leaves it
  // on; `values` may still turn it back on.
  std::string error;
  conf->set("socket.nagle.disable", "true", error);
  for (const auto& [key, value] : values) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka config ", key, "=",
                       IsSensitive(key) ? "(redacted)" : value, ": ", error));
    }
  }
  return conf;
}

ConfigMap Merge(ConfigMap base, const ConfigMap& overrides) {
  for (const auto& [key, value] : overrides) base[key] = value;
  return base;
}

absl::StatusOr<ConfigMap> ParseConfigList(const std::string& text) {
  ConfigMap out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    const absl::string_view key = absl::StripAsciiWhitespace(kv.first);
    if (key.empty() || item.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected key=value, got '", item, "'"));
    }
    out[std::string(key)] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  return out;
}

}  // namespace vnstream::kafka
