// librdkafka configuration helpers.
#ifndef VNSTREAM_LIBS_KAFKA_CLIENT_CONFIG_H_
#define VNSTREAM_LIBS_KAFKA_CLIENT_CONFIG_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "librdkafka/rdkafkacpp.h"

namespace vnstream::kafka {

using ConfigMap = std::map<std::string, std::string>;

// Builds a global librdkafka configuration; an unknown key or a bad value
// is an InvalidArgument error naming it (and the value, unless the key is
// sensitive: IsSensitive).
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const ConfigMap& values);

// Whether a setting's value is a secret that must never be logged
// (sasl.password, ssl.key.password, ...).
bool IsSensitive(absl::string_view key);

// Applies `overrides` on top of `base` (both key -> value).
ConfigMap Merge(ConfigMap base, const ConfigMap& overrides);

// Parses "key=value,key=value" (a flag value) into a map; empty = {}.
absl::StatusOr<ConfigMap> ParseConfigList(const std::string& text);

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_CLIENT_CONFIG_H_
