#include "libs/kafka/record.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"

namespace vnstream::kafka {

OutgoingRecord EncodeRecord(absl::string_view topic,
                            const google::protobuf::Message& record,
                            const v1::RecordMeta& meta) {
  OutgoingRecord out;
  out.topic = std::string(topic);
  out.key = meta.symbol();
  record.SerializeToString(&out.value);
  const absl::Time fetched =
      absl::FromUnixSeconds(meta.fetched_at().seconds()) +
      absl::Nanoseconds(meta.fetched_at().nanos());
  out.headers = {
      {kHeaderType, record.GetDescriptor()->full_name()},
      {kHeaderSchemaVersion, kSchemaVersion},
      {kHeaderSource, v1::Source_Name(meta.source())},
      {kHeaderEventTime,
       absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", fetched, absl::UTCTimeZone())},
  };
  return out;
}

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
  const std::string& expected = record.GetDescriptor()->full_name();
  if (const std::string type = HeaderValue(message, kHeaderType);
      !type.empty() && type != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("record type ", type, ", expected ", expected));
  }
  if (const std::string version = HeaderValue(message, kHeaderSchemaVersion);
      !version.empty() && version != kSchemaVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported schema version ", version));
  }
  if (message.payload() == nullptr ||
      !record.ParseFromArray(message.payload(),
                             static_cast<int>(message.len()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload of ", message.len(), " bytes is not a ", expected));
  }
  // Every record's first field is its RecordMeta; the key must match.
  const google::protobuf::FieldDescriptor* meta_field =
      record.GetDescriptor()->FindFieldByName("meta");
  if (meta_field != nullptr &&
      meta_field->message_type() == v1::RecordMeta::descriptor()) {
    const google::protobuf::Message& meta =
        record.GetReflection()->GetMessage(record, meta_field);
    const std::string symbol = meta.GetReflection()->GetString(
        meta, v1::RecordMeta::descriptor()->FindFieldByName("symbol"));
    const std::string* key = message.key();
    if (key == nullptr || *key != symbol || symbol.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", key == nullptr ? "" : *key,
                       "' does not match meta.symbol '", symbol, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace vnstream::kafka
