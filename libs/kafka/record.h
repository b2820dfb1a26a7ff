// How vnstream records travel on Kafka: key = symbol, value = the protobuf
// record (binary), and headers describing it so tools and consumers can
// route or reject a record without parsing it.
#ifndef VNSTREAM_LIBS_KAFKA_RECORD_H_
#define VNSTREAM_LIBS_KAFKA_RECORD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "librdkafka/rdkafkacpp.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::kafka {

// Fully qualified protobuf message name, e.g. "vnstream.v1.Quote".
inline constexpr char kHeaderType[] = "vnstream-type";
// Schema version of the record (the package's major version, "1").
inline constexpr char kHeaderSchemaVersion[] = "vnstream-schema-version";
// Source enum name, e.g. "SOURCE_VCI".
inline constexpr char kHeaderSource[] = "vnstream-source";
// meta.fetched_at as RFC 3339 UTC with nanoseconds.
inline constexpr char kHeaderEventTime[] = "vnstream-event-time";
inline constexpr char kSchemaVersion[] = "1";

struct OutgoingRecord {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Serializes `record` (whose metadata is `meta`) for `topic`.
OutgoingRecord EncodeRecord(absl::string_view topic,
                            const google::protobuf::Message& record,
                            const v1::RecordMeta& meta);

// Returns the value of header `name`, or "" when absent.
std::string HeaderValue(RdKafka::Message& message, absl::string_view name);

// Parses a consumed message into `record`. InvalidArgument when the type
// header names another message type, the schema version is unknown, the
// payload does not parse, or its meta.symbol is not the message key.
absl::Status DecodeRecord(RdKafka::Message& message,
                          google::protobuf::Message& record);

// DecodeRecord on the parts of a message it reads: the key (nullptr: none),
// the type and schema-version headers ("" when absent) and the payload
// (data() == nullptr: none). For callers and fuzzers without a message.
absl::Status DecodeRecordParts(const std::string* key, absl::string_view type,
                               absl::string_view schema_version,
                               absl::string_view payload,
                               google::protobuf::Message& record);

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_RECORD_H_
