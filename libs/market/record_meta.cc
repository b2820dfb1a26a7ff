#include "libs/market/record_meta.h"

namespace vnstream::market {

const v1::RecordMeta* RecordMetaOf(const google::protobuf::Message& record) {
  const google::protobuf::FieldDescriptor* field =
      record.GetDescriptor()->FindFieldByName("meta");
  if (field == nullptr ||
      field->message_type() != v1::RecordMeta::descriptor()) {
    return nullptr;
  }
  return google::protobuf::DynamicCastToGenerated<v1::RecordMeta>(
      &record.GetReflection()->GetMessage(record, field));
}

}  // namespace vnstream::market
