#include "libs/kafka/sink.h"

#include "absl/time/time.h"

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

}  // namespace vnstream::kafka
