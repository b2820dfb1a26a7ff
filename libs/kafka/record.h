// Decoding vnstream records consumed from Kafka (their wire form and
// EncodeRecord: libs/kafka/sink.h, which this header re-exports).
#ifndef VNSTREAM_LIBS_KAFKA_RECORD_H_
#define VNSTREAM_LIBS_KAFKA_RECORD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/kafka/sink.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::kafka {

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
