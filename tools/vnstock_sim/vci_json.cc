#include "tools/vnstock_sim/vci_json.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/market/exchange.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace vnstream::sim {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int64_t kMaxTicks = 30'000;

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

// An integer sent as a JSON integer, an integral float (100.0) or a string
// of digits ("1776652834"), as vnstock's clients do.
std::optional<int64_t> AsInteger(const rapidjson::Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  int64_t n = 0;
  if (v.IsString() && absl::SimpleAtoi(View(v), &n)) return n;
  if (v.IsDouble() && std::trunc(v.GetDouble()) == v.GetDouble() &&
      std::fabs(v.GetDouble()) < 9e15) {
    return static_cast<int64_t>(v.GetDouble());
  }
  return std::nullopt;
}

absl::StatusOr<int64_t> IntegerMember(const rapidjson::Value& obj,
                                      const char* key) {
  auto it = obj.FindMember(key);
  std::optional<int64_t> n;
  if (it != obj.MemberEnd()) n = AsInteger(it->value);
  if (!n.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", key, "' must be an integer"));
  }
  return *n;
}

absl::StatusOr<std::vector<std::string>> SymbolsMember(
    const rapidjson::Value& obj) {
  auto it = obj.FindMember("symbols");
  const absl::Status error =
      absl::InvalidArgumentError("'symbols' must be an array of strings");
  if (it == obj.MemberEnd() || !it->value.IsArray()) return error;
  std::vector<std::string> symbols;
  for (const rapidjson::Value& v : it->value.GetArray()) {
    if (!v.IsString()) return error;
    symbols.push_back(market::NormalizeSymbol(View(v)));
  }
  return symbols;
}

void Key(JsonWriter& w, absl::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}
void String(JsonWriter& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void Field(JsonWriter& w, absl::string_view key, absl::string_view value) {
  Key(w, key);
  String(w, value);
}
void Field(JsonWriter& w, absl::string_view key, int64_t value) {
  Key(w, key);
  w.Int64(value);
}
void Number(JsonWriter& w, absl::string_view text) {
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

// `hundredths` / 100 in the shortest text; `float_style` keeps a ".0" on
// whole numbers, as Python prints floats ("2447800.0").
std::string HundredthsText(int64_t hundredths, bool float_style) {
  std::string text = absl::StrCat(hundredths / 100);
  if (hundredths % 100 != 0) {
    absl::StrAppend(&text, ".", hundredths % 100 / 10);
    if (hundredths % 10 != 0) absl::StrAppend(&text, hundredths % 10);
  } else if (float_style) {
    text += ".0";
  }
  return text;
}

int64_t MillionVndHundredths(int64_t value_vnd) {
  return (value_vnd + 5'000) / 10'000;
}

std::string IsoTime(absl::Time t, bool micros) {
  return absl::FormatTime(
      micros ? "%Y-%m-%dT%H:%M:%E6SZ" : "%Y-%m-%dT%H:%M:%E3SZ", t,
      absl::UTCTimeZone());
}

// VCI's listing code, ISIN-like as in the reference sample (VN000000FPT1).
std::string ListingCode(absl::string_view symbol) {
  return absl::StrCat("VN000000", symbol, "1");
}

void WriteLevels(JsonWriter& w, absl::string_view key,
                 const std::array<BookLevel, 3>& levels) {
  Key(w, key);
  w.StartArray();
  for (const BookLevel& level : levels) {
    w.StartObject();
    Key(w, "price");
    w.Int64(level.price);
    Key(w, "volume");
    w.Int64(level.volume);
    w.EndObject();
  }
  w.EndArray();
}

void WriteQuote(JsonWriter& w, const Quote& q, absl::Time now) {
  const std::string& symbol = q.history->symbol;
  const std::string code = ListingCode(symbol);
  const std::string received = IsoTime(now, false);
  w.StartObject();

  Key(w, "listingInfo");
  w.StartObject();
  Field(w, "code", code);
  Field(w, "symbol", symbol);
  Field(w, "ceiling", q.ceiling);
  Field(w, "floor", q.floor);
  Field(w, "refPrice", q.reference);
  Field(w, "stockType", "STOCK");
  Field(w, "board", market::VciBoardName(v1::EXCHANGE_HOSE));
  Field(w, "exercisePrice", 0);
  Field(w, "exerciseRatio", "");
  Field(w, "maturityDate", "");
  Field(w, "lastTradingDate", "");
  Field(w, "underlyingSymbol", "");
  Field(w, "issuerName", "");
  Field(w, "listedShare", 0);  // Not in the CSV.
  Field(w, "receivedTime", received);
  Field(w, "messageType", "SS");
  Field(w, "type", "STOCK");
  Field(w, "id", q.listing_id);
  Field(w, "enOrganName", q.history->name);
  Field(w, "enOrganShortName", symbol);
  Field(w, "organName", q.history->name);
  Field(w, "organShortName", symbol);
  Field(w, "ticker", symbol);
  Field(w, "priorClosePrice", q.reference);
  Field(w, "benefit", "");
  Field(w, "tradingStatus", "TRADING_ACTIVATED");
  Field(w, "tradingStatusCode", "20");
  Field(w, "tradingStatusGroup", "2");
  Field(w, "securityStatus", "N");
  Field(w, "tradingDate", absl::FormatCivilTime(q.trading_date));
  w.EndObject();

  Key(w, "bidAsk");
  if (q.has_book) {
    w.StartObject();
    Field(w, "code", code);
    Field(w, "symbol", symbol);
    Field(w, "session", q.session);
    WriteLevels(w, "bidPrices", q.bids);
    WriteLevels(w, "askPrices", q.asks);
    Field(w, "receivedTime", received);
    Field(w, "messageType", "TP");
    Field(w, "time",
          IsoTime(absl::FromUnixSeconds(absl::ToUnixSeconds(now)), true));
    w.EndObject();
  } else {
    w.Null();
  }

  // Before the first match VCI reports zeros.
  const Trade none;
  const Trade& t = q.last ? *q.last : none;
  Key(w, "matchPrice");
  w.StartObject();
  Field(w, "code", code);
  Field(w, "symbol", symbol);
  Field(w, "matchPrice", t.price);
  Field(w, "matchVol", t.volume);
  Field(w, "receivedTime", received);
  Field(w, "messageType", "TR");
  Field(w, "accumulatedVolume", t.total_volume);
  Key(w, "accumulatedValue");
  Number(w, HundredthsText(MillionVndHundredths(t.total_value), false));
  // Volume-weighted average, VND, 2 decimals (half up).
  Key(w, "avgMatchPrice");
  Number(w, HundredthsText(t.total_volume == 0
                               ? 0
                               : (t.total_value * 200 + t.total_volume) /
                                     (2 * t.total_volume),
                           false));
  Field(w, "highest", t.high);
  Field(w, "lowest", t.low);
  Field(w, "time", q.last ? IsoTime(q.last_time, false) : "");
  Field(w, "session", q.session);
  Field(w, "matchType", SideName(t.side));
  Field(w, "foreignSellVolume", t.foreign_sell);
  Field(w, "foreignBuyVolume", t.foreign_buy);
  Field(w, "currentRoom", 0);
  Field(w, "totalRoom", 0);
  Field(w, "totalAccumulatedValue", 0);
  Field(w, "totalAccumulatedVolume", 0);
  Field(w, "referencePrice", q.reference);
  w.EndObject();

  w.EndObject();
}

}  // namespace

absl::Status ParseJsonObject(absl::string_view body, rapidjson::Document& doc) {
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsObject()) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  return absl::OkStatus();
}

std::string MillionVndText(int64_t value_vnd) {
  return HundredthsText(MillionVndHundredths(value_vnd), true);
}

absl::StatusOr<std::vector<std::string>> ParsePriceBoardRequest(
    absl::string_view body) {
  rapidjson::Document doc;
  if (absl::Status s = ParseJsonObject(body, doc); !s.ok()) return s;
  return SymbolsMember(doc);
}

absl::StatusOr<TicksRequest> ParseTicksRequest(absl::string_view body) {
  rapidjson::Document parsed;
  if (absl::Status s = ParseJsonObject(body, parsed); !s.ok()) return s;
  // Const iterators: rapidjson 1.1's non-const ones make C++20's reversed
  // == ambiguous (clang -Wambiguous-reversed-operator).
  const rapidjson::Value& doc = parsed;
  TicksRequest request;
  auto symbol = doc.FindMember("symbol");
  if (symbol == doc.MemberEnd() || !symbol->value.IsString() ||
      symbol->value.GetStringLength() == 0) {
    return absl::InvalidArgumentError("'symbol' must be a non-empty string");
  }
  request.symbol = market::NormalizeSymbol(View(symbol->value));
  absl::StatusOr<int64_t> limit = IntegerMember(doc, "limit");
  if (!limit.ok()) return limit.status();
  if (*limit < 1) return absl::InvalidArgumentError("'limit' must be >= 1");
  request.limit = std::min(*limit, kMaxTicks);
  auto trunc = doc.FindMember("truncTime");
  if (trunc != doc.MemberEnd() && !trunc->value.IsNull()) {
    const std::optional<int64_t> seconds = AsInteger(trunc->value);
    if (!seconds.has_value()) {
      return absl::InvalidArgumentError(
          "'truncTime' must be null or epoch seconds");
    }
    request.trunc_time = absl::FromUnixSeconds(*seconds);
  }
  return request;
}

absl::StatusOr<GapChartRequest> ParseGapChartRequest(absl::string_view body) {
  rapidjson::Document parsed;
  if (absl::Status s = ParseJsonObject(body, parsed); !s.ok()) return s;
  // Const iterators: rapidjson 1.1's non-const ones make C++20's reversed
  // == ambiguous (clang -Wambiguous-reversed-operator).
  const rapidjson::Value& doc = parsed;
  GapChartRequest request;
  auto frame = doc.FindMember("timeFrame");
  const absl::string_view name =
      frame != doc.MemberEnd() && frame->value.IsString() ? View(frame->value)
                                                          : absl::string_view();
  if (name == "ONE_MINUTE") {
    request.time_frame = TimeFrame::kMinute;
  } else if (name == "ONE_HOUR") {
    request.time_frame = TimeFrame::kHour;
  } else if (name == "ONE_DAY") {
    request.time_frame = TimeFrame::kDay;
  } else {
    return absl::InvalidArgumentError(
        "'timeFrame' must be ONE_MINUTE, ONE_HOUR or ONE_DAY");
  }
  absl::StatusOr<std::vector<std::string>> symbols = SymbolsMember(doc);
  if (!symbols.ok()) return symbols.status();
  request.symbols = *std::move(symbols);
  absl::StatusOr<int64_t> to = IntegerMember(doc, "to");
  if (!to.ok()) return to.status();
  request.to = absl::FromUnixSeconds(*to);
  absl::StatusOr<int64_t> count_back = IntegerMember(doc, "countBack");
  if (!count_back.ok()) return count_back.status();
  if (*count_back < 1) {
    return absl::InvalidArgumentError("'countBack' must be >= 1");
  }
  request.count_back = *count_back;
  return request;
}

std::string PriceBoardJson(const std::vector<Quote>& quotes, absl::Time now) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const Quote& quote : quotes) WriteQuote(w, quote, now);
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string TicksJson(absl::string_view symbol, const TickPage& page) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (size_t i = page.end; i > page.begin; --i) {
    const Trade& t = page.replay->trades[i - 1];
    w.StartObject();
    Field(w, "id", t.id);
    Field(w, "symbol", symbol);
    Key(w, "truncTime");
    String(w, absl::StrCat(absl::ToUnixSeconds(
                  page.midnight + absl::Seconds(t.second_of_day))));
    Field(w, "matchType", SideName(t.side));
    Field(w, "matchVol", absl::StrCat(t.volume, ".0"));
    Field(w, "matchPrice", absl::StrCat(t.price, ".0"));
    Field(w, "accumulatedVolume", absl::StrCat(t.total_volume, ".0"));
    Field(w, "accumulatedValue", MillionVndText(t.total_value));
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string GapChartJson(const std::vector<BarSeries>& series) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const BarSeries& s : series) {
    w.StartObject();
    if (s.index != nullptr) {
      Field(w, "symbol", s.index->info->vci_code);
    } else {
      Field(w, "symbol", s.history->symbol);
    }
    const std::pair<absl::string_view, int64_t Bar::*> columns[] = {
        {"o", &Bar::open},  {"h", &Bar::high},   {"l", &Bar::low},
        {"c", &Bar::close}, {"v", &Bar::volume},
    };
    for (const auto& [key, field] : columns) {
      Key(w, key);
      w.StartArray();
      for (const Bar& bar : s.bars) {
        // Index prices are hundredths of a point; volumes are shares.
        if (s.index != nullptr && key != "v") {
          Number(w, HundredthsText(bar.*field, false));
        } else {
          w.Int64(bar.*field);
        }
      }
      w.EndArray();
    }
    Key(w, "t");
    w.StartArray();
    for (const Bar& bar : s.bars) {
      String(w, absl::StrCat(absl::ToUnixSeconds(bar.time)));
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ListingJson(const std::vector<ListingEntry>& entries) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const ListingEntry& e : entries) {
    w.StartObject();
    Field(w, "id", e.id);
    Field(w, "symbol", e.symbol);
    Field(w, "type", e.type);
    Field(w, "board", market::VciBoardName(e.exchange));
    Field(w, "organName", e.name);
    Field(w, "organShortName", e.symbol);
    Field(w, "enOrganName", e.name);
    Field(w, "enOrganShortName", e.symbol);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string GroupJson(const std::vector<std::string>& symbols) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const std::string& symbol : symbols) {
    w.StartObject();
    Field(w, "symbol", symbol);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace vnstream::sim
