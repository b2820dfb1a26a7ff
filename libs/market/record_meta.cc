#include "libs/market/record_meta.h"

namespace vnstream::market {
namespace {

const google::protobuf::FieldDescriptor* MetaField(
    const google::protobuf::Message& record) {
  const google::protobuf::FieldDescriptor* field =
      record.GetDescriptor()->FindFieldByName("meta");
  if (field == nullptr ||
      field->message_type() != v1::RecordMeta::descriptor()) {
    return nullptr;
  }
  return field;
}

}  // namespace

const v1::RecordMeta* RecordMetaOf(const google::protobuf::Message& record) {
  const google::protobuf::FieldDescriptor* field = MetaField(record);
  if (field == nullptr) return nullptr;
  return google::protobuf::DynamicCastToGenerated<v1::RecordMeta>(
      &record.GetReflection()->GetMessage(record, field));
}

v1::RecordMeta* MutableRecordMetaOf(google::protobuf::Message& record) {
  const google::protobuf::FieldDescriptor* field = MetaField(record);
  if (field == nullptr) return nullptr;
  return google::protobuf::DynamicCastToGenerated<v1::RecordMeta>(
      record.GetReflection()->MutableMessage(&record, field));
}

}  // namespace vnstream::market
