// Every vnstream record (a message on a topic) has `RecordMeta meta = 1`;
// this reaches it without knowing the record's type.
#ifndef VNSTREAM_LIBS_MARKET_RECORD_META_H_
#define VNSTREAM_LIBS_MARKET_RECORD_META_H_

#include "google/protobuf/message.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::market {

// The record's metadata; null when its type has no RecordMeta `meta` field.
const v1::RecordMeta* RecordMetaOf(const google::protobuf::Message& record);
v1::RecordMeta* MutableRecordMetaOf(google::protobuf::Message& record);

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_RECORD_META_H_
