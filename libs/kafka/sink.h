// Where domain code hands its records, and their wire form: what the
// services' domain classes depend on (Publisher implements RecordSink;
// their unit tests fake it), without librdkafka or a broker.
//
// On Kafka a record is key = symbol, value = the protobuf record (binary),
// and headers describing it so tools and consumers can route or reject a
// record without parsing it (decoding: libs/kafka/record.h).
#ifndef VNSTREAM_LIBS_KAFKA_SINK_H_
#define VNSTREAM_LIBS_KAFKA_SINK_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
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

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Never blocks. Thread-safe.
  virtual void Publish(OutgoingRecord record) = 0;
};

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_SINK_H_
