#include "libs/kafka/record.h"

#include "absl/strings/str_cat.h"
#include "libs/market/record_meta.h"

namespace vnstream::kafka {

std::string HeaderValue(RdKafka::Message& message, absl::string_view name) {
  RdKafka::Headers* headers = message.headers();
  if (headers == nullptr) return "";
  const RdKafka::Headers::Header header = headers->get_last(std::string(name));
  if (header.err() != RdKafka::ERR_NO_ERROR || header.value() == nullptr) {
    return "";
  }
  return std::string(static_cast<const char*>(header.value()),
                     header.value_size());
}

absl::Status DecodeRecord(RdKafka::Message& message,
                          google::protobuf::Message& record) {
  const std::string type = HeaderValue(message, kHeaderType);
  const std::string version = HeaderValue(message, kHeaderSchemaVersion);
  return DecodeRecordParts(
      message.key(), type, version,
      absl::string_view(static_cast<const char*>(message.payload()),
                        message.payload() == nullptr ? 0 : message.len()),
      record);
}

absl::Status DecodeRecordParts(const std::string* key, absl::string_view type,
                               absl::string_view schema_version,
                               absl::string_view payload,
                               google::protobuf::Message& record) {
  const std::string& expected = record.GetDescriptor()->full_name();
  if (!type.empty() && type != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("record type ", type, ", expected ", expected));
  }
  if (!schema_version.empty() && schema_version != kSchemaVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported schema version ", schema_version));
  }
  if (payload.data() == nullptr ||
      !record.ParseFromArray(payload.data(),
                             static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload of ", payload.size(), " bytes is not a ", expected));
  }
  // Every record carries its RecordMeta; the key must match.
  if (const v1::RecordMeta* meta = market::RecordMetaOf(record);
      meta != nullptr) {
    const std::string& symbol = meta->symbol();
    if (key == nullptr || *key != symbol || symbol.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", key == nullptr ? "" : *key,
                       "' does not match meta.symbol '", symbol, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace vnstream::kafka
