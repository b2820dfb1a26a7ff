#include "libs/kafka/statistics.h"

#include "rapidjson/document.h"

namespace vnstream::kafka {

absl::flat_hash_map<std::string, double> ConsumerLagByTopic(
    absl::string_view json) {
  absl::flat_hash_map<std::string, double> lag;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("topics") ||
      !doc["topics"].IsObject()) {
    return lag;
  }
  // Read through const references: rapidjson's non-const member iterators
  // make C++20's reversed != ambiguous (clang -Wambiguous-reversed-operator).
  const rapidjson::Value& topics = doc["topics"];
  for (auto topic = topics.MemberBegin(); topic != topics.MemberEnd();
       ++topic) {
    const rapidjson::Value& value = topic->value;
    double& total = lag[topic->name.GetString()];
    if (!value.IsObject() || !value.HasMember("partitions") ||
        !value["partitions"].IsObject()) {
      continue;
    }
    const rapidjson::Value& partitions = value["partitions"];
    for (auto p = partitions.MemberBegin(); p != partitions.MemberEnd(); ++p) {
      const rapidjson::Value& partition = p->value;
      if (partition.IsObject() && partition.HasMember("consumer_lag") &&
          partition["consumer_lag"].IsInt64() &&
          partition["consumer_lag"].GetInt64() > 0) {
        total += static_cast<double>(partition["consumer_lag"].GetInt64());
      }
    }
  }
  return lag;
}

}  // namespace vnstream::kafka
