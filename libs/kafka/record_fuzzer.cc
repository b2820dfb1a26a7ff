// libFuzzer target: consumed Kafka records (bytes any producer could have
// written) through DecodeRecordParts, as the gateway and analytics decode
// them. Input: one byte choosing the record type, then key, type header and
// schema-version header separated by NUL bytes, then the payload. A
// decoded record re-encodes (EncodeRecord) and decodes to the same record.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/kafka/record.h"

namespace {

std::unique_ptr<google::protobuf::Message> NewRecord(uint8_t selector) {
  switch (selector % 4) {
    case 0:
      return std::make_unique<vnstream::v1::Quote>();
    case 1:
      return std::make_unique<vnstream::v1::IntradayBar>();
    case 2:
      return std::make_unique<vnstream::v1::DailyHistory>();
    default:
      return std::make_unique<vnstream::v1::EnrichedHistory>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::unique_ptr<google::protobuf::Message> record = NewRecord(data[0]);
  const absl::string_view rest(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  std::vector<absl::string_view> parts =
      absl::StrSplit(rest, absl::MaxSplits('\0', 3));
  parts.resize(4, absl::string_view(""));
  const std::string key(parts[0]);
  if (!vnstream::kafka::DecodeRecordParts(&key, parts[1], parts[2], parts[3],
                                          *record)
           .ok()) {
    return 0;
  }
  const auto* meta_field = record->GetDescriptor()->FindFieldByName("meta");
  const auto& meta = static_cast<const vnstream::v1::RecordMeta&>(
      record->GetReflection()->GetMessage(*record, meta_field));
  const vnstream::kafka::OutgoingRecord out =
      vnstream::kafka::EncodeRecord("topic", *record, meta);
  std::unique_ptr<google::protobuf::Message> again = NewRecord(data[0]);
  if (!vnstream::kafka::DecodeRecordParts(&out.key, out.headers[0].second,
                                          out.headers[1].second, out.value,
                                          *again)
           .ok() ||
      !google::protobuf::util::MessageDifferencer::Equals(*record, *again)) {
    std::abort();
  }
  return 0;
}
