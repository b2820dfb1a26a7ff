#include "libs/store/rows.h"

#include <algorithm>

#include "google/protobuf/util/json_util.h"

namespace vnstream::store {

const char* OriginName(Origin origin) {
  return origin == Origin::kStream ? "stream" : "backfill";
}

bool Replaces(const BarVersion& incoming, const BarVersion& stored) {
  if (incoming.origin == stored.origin) {
    return incoming.version > stored.version;
  }
  if (incoming.origin == Origin::kStream) {
    return incoming.final || !stored.final;
  }
  return incoming.final && !stored.final;
}

std::string InstrumentTypeName(v1::InstrumentType type) {
  const std::string& name = v1::InstrumentType_Name(type);
  constexpr absl::string_view kPrefix = "INSTRUMENT_TYPE_";
  return name.size() > kPrefix.size() ? name.substr(kPrefix.size()) : name;
}

v1::InstrumentType ParseInstrumentTypeName(const std::string& name) {
  v1::InstrumentType type = v1::INSTRUMENT_TYPE_UNSPECIFIED;
  if (!v1::InstrumentType_Parse("INSTRUMENT_TYPE_" + name, &type)) {
    return v1::INSTRUMENT_TYPE_UNSPECIFIED;
  }
  return type;
}

std::string ExchangeName(v1::Exchange exchange) {
  switch (exchange) {
    case v1::EXCHANGE_HOSE:
      return "HOSE";
    case v1::EXCHANGE_HNX:
      return "HNX";
    case v1::EXCHANGE_UPCOM:
      return "UPCOM";
    default:
      return "";
  }
}

namespace {

// Inserts `row` at `key`, or replaces the row there when `wins(row, old)`.
template <typename Row, typename Key, typename Wins>
void Upsert(std::vector<Row>& rows, absl::flat_hash_map<Key, size_t>& index,
            Key key, Row row, Wins wins) {
  auto [it, inserted] = index.try_emplace(std::move(key), rows.size());
  if (inserted) {
    rows.push_back(std::move(row));
  } else if (wins(row, rows[it->second])) {
    rows[it->second] = std::move(row);
  }
}

}  // namespace

void Batch::AddDaily(DailyRow row) {
  auto key = std::make_pair(row.symbol, row.date);
  Upsert(daily_, daily_index_, std::move(key), std::move(row),
         [](const DailyRow& a, const DailyRow& b) {
           return Replaces(a.version, b.version);
         });
}

void Batch::AddMinute(MinuteRow row) {
  auto key = std::make_pair(row.symbol, absl::ToUnixMicros(row.start));
  Upsert(minutes_, minute_index_, std::move(key), std::move(row),
         [](const MinuteRow& a, const MinuteRow& b) {
           return Replaces(a.version, b.version);
         });
}

void Batch::AddIndicator(IndicatorRow row, const v1::IndicatorParams& params) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(params, &json, options);
  auto [it, inserted] = params_index_.try_emplace(
      json, static_cast<int>(indicator_params_.size()));
  if (inserted) indicator_params_.push_back(std::move(json));
  row.params = it->second;
  auto key = std::make_pair(row.symbol, row.date);
  Upsert(indicators_, indicator_index_, std::move(key), std::move(row),
         [](const IndicatorRow& a, const IndicatorRow& b) {
           return a.version > b.version;
         });
}

void Batch::AddInstrument(InstrumentRow row) {
  std::string key = row.symbol;
  Upsert(instruments_, instrument_index_, std::move(key), std::move(row),
         [](const InstrumentRow& a, const InstrumentRow& b) {
           return a.version > b.version;
         });
}

size_t Batch::DropMinutesBefore(absl::Time cutoff) {
  const size_t before = minutes_.size();
  minutes_.erase(
      std::remove_if(minutes_.begin(), minutes_.end(),
                     [&](const MinuteRow& row) { return row.start < cutoff; }),
      minutes_.end());
  minute_index_.clear();
  for (size_t i = 0; i < minutes_.size(); ++i) {
    minute_index_[{minutes_[i].symbol, absl::ToUnixMicros(minutes_[i].start)}] =
        i;
  }
  return before - minutes_.size();
}

void Batch::SetOffset(const std::string& topic, int32_t partition,
                      int64_t next_offset) {
  int64_t& offset = offsets_[{topic, partition}];
  offset = std::max(offset, next_offset);
}

void Batch::Merge(const Batch& other) {
  for (const DailyRow& row : other.daily_) AddDaily(row);
  for (const MinuteRow& row : other.minutes_) AddMinute(row);
  for (const IndicatorRow& row : other.indicators_) {
    // Re-index the parameter set into this batch's list.
    IndicatorRow copy = row;
    const std::string& json = other.indicator_params_[row.params];
    auto [it, inserted] = params_index_.try_emplace(
        json, static_cast<int>(indicator_params_.size()));
    if (inserted) indicator_params_.push_back(json);
    copy.params = it->second;
    auto key = std::make_pair(copy.symbol, copy.date);
    Upsert(indicators_, indicator_index_, std::move(key), std::move(copy),
           [](const IndicatorRow& a, const IndicatorRow& b) {
             return a.version > b.version;
           });
  }
  for (const InstrumentRow& row : other.instruments_) AddInstrument(row);
  for (const ProgressRow& row : other.progress_) progress_.push_back(row);
  for (const auto& [key, offset] : other.offsets_) {
    SetOffset(key.first, key.second, offset);
  }
}

}  // namespace vnstream::store
