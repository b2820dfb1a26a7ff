#include "libs/vnstock/vci.h"

#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/market/decimal.h"
#include "libs/market/exchange.h"
#include "libs/market/instruments.h"
#include "libs/market/ohlc.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace vnstream::vnstock {
namespace {

using ::rapidjson::Value;
using ::vnstream::market::Compare;
using ::vnstream::market::ParseDecimal;

// Numbers are kept as their text so prices convert to Decimal exactly.
// Iterative parsing: RapidJSON's default parser recurses once per nesting
// level, so a body like "[[[[..." could exhaust the stack.
constexpr unsigned kParseFlags =
    rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag;

// VCI's responses nest 3 levels deep ({"data": [{"bidAsk": ...}]}, bars'
// arrays); anything deeper is not a VCI response.
constexpr int kMaxJsonDepth = 16;

// Rejects bodies nested deeper than kMaxJsonDepth before parsing them: the
// DOM of a deep body would only be refused later, after allocating it.
absl::Status CheckJsonDepth(absl::string_view body) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("JSON nested deeper than ", kMaxJsonDepth,
                         " levels at offset ", i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view body) {
  if (absl::Status s = CheckJsonDepth(body); !s.ok()) return s;
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(body.data(), body.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

// The array of records: the body itself, or its "data" member.
absl::StatusOr<const Value*> RecordArray(const rapidjson::Document& doc) {
  if (doc.IsArray()) return &doc;
  if (doc.IsObject()) {
    auto it = doc.FindMember("data");
    if (it != doc.MemberEnd() && it->value.IsArray()) return &it->value;
    if (it != doc.MemberEnd() && it->value.IsNull()) {
      static const Value* const kEmpty = new Value(rapidjson::kArrayType);
      return kEmpty;
    }
  }
  return absl::InvalidArgumentError("expected a JSON array of records");
}

// A member that is present and not null, else nullptr.
const Value* Member(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string Text(const Value* v) {
  if (v == nullptr || !v->IsString()) return "";
  return std::string(v->GetString(), v->GetStringLength());
}

// Field errors collected while converting one record.
class FieldReader {
 public:
  // A decimal field (a JSON number, or a string holding one); nullopt when
  // absent, null or "".
  std::optional<v1::Decimal> Decimal(const Value& object, const char* name) {
    const Value* v = Member(object, name);
    if (v == nullptr) return std::nullopt;
    if (!v->IsString()) {
      Fail(name, "not a number");
      return std::nullopt;
    }
    const absl::string_view text(v->GetString(), v->GetStringLength());
    if (text.empty()) return std::nullopt;
    absl::StatusOr<v1::Decimal> d = ParseDecimal(text);
    if (!d.ok()) {
      Fail(name, absl::StrCat("'", text, "'"));
      return std::nullopt;
    }
    return *d;
  }

  // A non-negative whole number (shares; "100.0" is fine); 0 when absent.
  int64_t Count(const Value& object, const char* name) {
    const std::optional<v1::Decimal> d = Decimal(object, name);
    if (!d.has_value()) return 0;
    if (d->nanos() != 0 || d->units() < 0) {
      Fail(name, absl::StrCat(market::DecimalToString(*d),
                              " is not a whole non-negative count"));
      return 0;
    }
    return d->units();
  }

  void Fail(absl::string_view field, absl::string_view why) {
    if (error_.empty()) error_ = absl::StrCat("bad ", field, ": ", why);
  }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// Epoch seconds (or milliseconds, by magnitude) or RFC 3339 text.
std::optional<absl::Time> ParseTimeValue(const Value* v) {
  const std::string text = Text(v);
  if (text.empty()) return std::nullopt;
  double number = 0;
  if (absl::SimpleAtod(text, &number)) {
    // Not a time: NaN, negative, or milliseconds after the year 9999 (which
    // would also overflow the conversion to an integer).
    if (!(number > 0) || number >= 2.6e14) return std::nullopt;
    // Seconds until the year 5138; anything larger is milliseconds.
    if (number < 1e11)
      return absl::FromUnixSeconds(static_cast<int64_t>(number));
    return absl::FromUnixMillis(static_cast<int64_t>(number));
  }
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return t;
  return std::nullopt;
}

bool Positive(const v1::Decimal& d) { return market::ToNanos(d) > 0; }

// vnstream's symbol for a symbol or index code as VCI sends it.
std::string SymbolOf(absl::string_view text) {
  if (const market::MarketIndex* index = market::FindIndex(text)) {
    return std::string(index->symbol);
  }
  return market::NormalizeSymbol(text);
}

// A security's type: `type`, else `stockType` (the price board has both).
v1::InstrumentType TypeOf(const Value& listing) {
  const v1::InstrumentType type =
      market::ParseInstrumentType(Text(Member(listing, "type")));
  return type != v1::INSTRUMENT_TYPE_UNSPECIFIED
             ? type
             : market::ParseInstrumentType(Text(Member(listing, "stockType")));
}

void AddLevels(const Value* levels, FieldReader& reader,
               google::protobuf::RepeatedPtrField<v1::PriceLevel>* out) {
  if (levels == nullptr || !levels->IsArray()) return;
  for (const Value& level : levels->GetArray()) {
    std::optional<v1::Decimal> price = reader.Decimal(level, "price");
    const int64_t volume = reader.Count(level, "volume");
    // An empty level is sent as price 0 (or null): not a level.
    if (!price.has_value() || !Positive(*price)) continue;
    v1::PriceLevel* out_level = out->Add();
    *out_level->mutable_price() = *price;
    out_level->set_volume(volume);
  }
}

// Converts one price-board record; returns the rejection reason on failure.
absl::StatusOr<v1::Quote> ConvertQuote(const Value& item,
                                       const QuoteContext& context) {
  static const Value kEmptyObject(rapidjson::kObjectType);
  const Value* listing_ptr = Member(item, "listingInfo");
  const Value* match_ptr = Member(item, "matchPrice");
  const Value& listing = listing_ptr != nullptr ? *listing_ptr : kEmptyObject;
  const Value& match = match_ptr != nullptr ? *match_ptr : kEmptyObject;
  std::string symbol = Text(Member(listing, "symbol"));
  if (symbol.empty()) symbol = Text(Member(match, "symbol"));
  symbol = market::NormalizeSymbol(symbol);
  if (!market::IsValidSymbol(symbol)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad symbol '", symbol, "'"));
  }
  auto reject = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(symbol, ": ", why));
  };

  FieldReader r;
  v1::Quote quote;
  quote.set_exchange(market::ParseExchange(Text(Member(listing, "board"))));
  std::optional<v1::Decimal> reference = r.Decimal(listing, "refPrice");
  if (!reference.has_value()) reference = r.Decimal(match, "referencePrice");
  const std::optional<v1::Decimal> ceiling = r.Decimal(listing, "ceiling");
  const std::optional<v1::Decimal> floor = r.Decimal(listing, "floor");
  const std::optional<v1::Decimal> last = r.Decimal(match, "matchPrice");
  const std::optional<v1::Decimal> high = r.Decimal(match, "highest");
  const std::optional<v1::Decimal> low = r.Decimal(match, "lowest");
  const std::optional<v1::Decimal> average = r.Decimal(match, "avgMatchPrice");
  const std::optional<v1::Decimal> value_millions =
      r.Decimal(match, "accumulatedValue");
  quote.set_last_volume(r.Count(match, "matchVol"));
  quote.set_total_volume(r.Count(match, "accumulatedVolume"));
  quote.set_foreign_buy_volume(r.Count(match, "foreignBuyVolume"));
  quote.set_foreign_sell_volume(r.Count(match, "foreignSellVolume"));
  const Value* book = Member(item, "bidAsk");
  if (book != nullptr) {
    AddLevels(Member(*book, "bidPrices"), r, quote.mutable_bids());
    AddLevels(Member(*book, "askPrices"), r, quote.mutable_asks());
  }
  if (!r.ok()) return reject(r.error());

  if (!reference || !Positive(*reference)) return reject("no reference price");
  if (!ceiling || !floor || !Positive(*floor) ||
      Compare(*floor, *reference) > 0 || Compare(*reference, *ceiling) > 0) {
    return reject("floor <= reference <= ceiling does not hold");
  }
  auto in_band = [&](const v1::Decimal& p) {
    return Compare(*floor, p) <= 0 && Compare(p, *ceiling) <= 0;
  };
  *quote.mutable_reference_price() = *reference;
  *quote.mutable_ceiling_price() = *ceiling;
  *quote.mutable_floor_price() = *floor;
  // Before the first match VCI sends 0 for the match fields.
  if (last.has_value() && Positive(*last)) {
    if (!in_band(*last)) return reject("last price outside the daily band");
    *quote.mutable_last_price() = *last;
    *quote.mutable_change() = market::Subtract(*last, *reference);
    absl::StatusOr<v1::Decimal> percent =
        market::PercentOf(quote.change(), *reference);
    if (!percent.ok()) return reject(percent.status().message());
    *quote.mutable_percent_change() = *percent;
    if (!high || !low || Compare(*low, *last) > 0 ||
        Compare(*last, *high) > 0 || !in_band(*high) || !in_band(*low)) {
      return reject("low <= last <= high inside the band does not hold");
    }
    *quote.mutable_high_price() = *high;
    *quote.mutable_low_price() = *low;
    if (average.has_value() && Positive(*average)) {
      *quote.mutable_average_price() = *average;
    }
  }
  if (value_millions.has_value()) {
    absl::StatusOr<v1::Decimal> vnd =
        market::ScaleByPowerOfTen(*value_millions, 6);
    if (!vnd.ok() || market::IsNegative(*vnd))
      return reject("bad accumulatedValue");
    *quote.mutable_total_value() = *vnd;
  }
  for (const auto* side : {&quote.bids(), &quote.asks()}) {
    for (const v1::PriceLevel& level : *side) {
      if (!in_band(level.price()))
        return reject("order book level outside the band");
    }
  }

  const std::optional<absl::Time> exchange_time =
      ParseTimeValue(Member(match, "time"));
  if (exchange_time.has_value()) {
    *quote.mutable_exchange_time() = market::ToTimestamp(*exchange_time);
  }
  // The session and the trading date are read on the upstream's clock: the
  // newest time it put in the record (the last match, the order book's
  // update, each part's receivedTime). Before the first match of the day
  // only the receivedTimes say where the market is, and a replayed market
  // (vnstock-sim) is not at our clock's time. With no time at all: when
  // fetched.
  std::optional<absl::Time> upstream_time = exchange_time;
  for (const Value* part : {listing_ptr, match_ptr, book}) {
    if (part == nullptr) continue;
    for (const char* field : {"receivedTime", "time"}) {
      const std::optional<absl::Time> t = ParseTimeValue(Member(*part, field));
      if (t.has_value() && (!upstream_time || *t > *upstream_time)) {
        upstream_time = t;
      }
    }
  }
  const absl::Time as_of = upstream_time.value_or(context.fetched_at);
  quote.set_session(context.calendar->SessionAt(quote.exchange(), as_of));
  quote.set_trading_status(Text(Member(listing, "tradingStatus")));

  v1::RecordMeta* meta = quote.mutable_meta();
  meta->set_symbol(symbol);
  meta->set_source(context.source);
  meta->set_instrument_type(TypeOf(listing));
  *meta->mutable_fetched_at() = market::ToTimestamp(context.fetched_at);
  *meta->mutable_trading_date() =
      market::ToDate(absl::ToCivilDay(as_of, market::VietnamTime()));
  return quote;
}

// Prices > 0 and low <= open, close <= high, normalised within
// market::NormaliseOhlc's tolerance (`unit`: VND or index points).
absl::StatusOr<market::OhlcCheck> CheckBar(RawBar& bar,
                                           const v1::Decimal& unit) {
  if (!Positive(bar.low)) return absl::InvalidArgumentError("low <= 0");
  return market::NormaliseOhlc(bar.open, bar.high, bar.low, bar.close, unit);
}

absl::StatusOr<SymbolBars> ConvertBars(const Value& item,
                                       Rejections* rejected) {
  SymbolBars out;
  out.symbol = SymbolOf(Text(Member(item, "symbol")));
  if (!market::IsValidSymbol(out.symbol)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad symbol '", out.symbol, "'"));
  }
  const char* kColumns[] = {"t", "o", "h", "l", "c", "v"};
  const Value* columns[6];
  size_t n = 0;
  for (int i = 0; i < 6; ++i) {
    columns[i] = Member(item, kColumns[i]);
    // An empty result may omit the arrays altogether.
    if (columns[i] == nullptr) continue;
    if (!columns[i]->IsArray()) {
      return absl::InvalidArgumentError(
          absl::StrCat(out.symbol, ": '", kColumns[i], "' is not an array"));
    }
    if (i == 0) n = columns[i]->Size();
    if (columns[i]->Size() != n) {
      return absl::InvalidArgumentError(
          absl::StrCat(out.symbol, ": column arrays differ in length"));
    }
  }
  if (n > 0 && std::any_of(columns, columns + 6,
                           [](const Value* c) { return c == nullptr; })) {
    return absl::InvalidArgumentError(
        absl::StrCat(out.symbol, ": missing columns"));
  }
  const v1::Decimal unit = market::FindIndex(out.symbol) != nullptr
                               ? market::PointsRoundingUnit()
                               : market::MakeDecimal(market::kVndRoundingUnit);
  for (size_t i = 0; i < n; ++i) {
    FieldReader r;
    auto cell = [&](int column) -> std::optional<v1::Decimal> {
      const Value& v = (*columns[column])[static_cast<rapidjson::SizeType>(i)];
      if (v.IsNull()) return std::nullopt;
      if (!v.IsString()) {
        r.Fail(kColumns[column], "not a number");
        return std::nullopt;
      }
      absl::StatusOr<v1::Decimal> d =
          ParseDecimal(absl::string_view(v.GetString(), v.GetStringLength()));
      if (!d.ok()) {
        r.Fail(kColumns[column], d.status().message());
        return std::nullopt;
      }
      return *d;
    };
    const std::optional<v1::Decimal> t = cell(0), o = cell(1), h = cell(2),
                                     l = cell(3), c = cell(4), v = cell(5);
    RawBar bar;
    absl::Status status = absl::OkStatus();
    if (!r.ok()) {
      status = absl::InvalidArgumentError(r.error());
    } else if (!t || !o || !h || !l || !c || !v) {
      status = absl::InvalidArgumentError("null cell");
    } else if (t->nanos() != 0 || t->units() <= 0) {
      status = absl::InvalidArgumentError("bad time");
    } else if (v->nanos() != 0 || v->units() < 0) {
      status = absl::InvalidArgumentError("bad volume");
    } else {
      bar = {absl::FromUnixSeconds(t->units()), *o, *h, *l, *c, v->units()};
      absl::StatusOr<market::OhlcCheck> check = CheckBar(bar, unit);
      if (!check.ok()) {
        status = check.status();
      } else if (*check == market::OhlcCheck::kNormalised) {
        out.normalised.push_back(absl::StrCat(
            "bar ", i, " at ",
            absl::FormatTime(absl::RFC3339_sec, bar.time, absl::UTCTimeZone()),
            ": o=", market::DecimalToString(*o), " h=",
            market::DecimalToString(*h), " l=", market::DecimalToString(*l),
            " c=", market::DecimalToString(*c),
            " -> h=", market::DecimalToString(bar.high),
            " l=", market::DecimalToString(bar.low)));
      }
    }
    if (!status.ok()) {
      rejected->push_back(
          absl::StrCat(out.symbol, " bar ", i, ": ", status.message()));
      continue;
    }
    if (!out.bars.empty() && out.bars.back().time >= bar.time) {
      rejected->push_back(absl::StrCat(out.symbol, " bar ", i,
                                       ": time not after the previous bar"));
      continue;
    }
    out.bars.push_back(std::move(bar));
  }
  return out;
}

std::string Serialize(const rapidjson::Document& doc) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

rapidjson::Value SymbolArray(std::span<const std::string> symbols,
                             rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value array(rapidjson::kArrayType);
  for (const std::string& s : symbols) {
    array.PushBack(rapidjson::Value(s.c_str(), alloc), alloc);
  }
  return array;
}

std::vector<std::string> ChartCodes(std::span<const std::string> symbols) {
  std::vector<std::string> codes;
  codes.reserve(symbols.size());
  for (const std::string& s : symbols) codes.push_back(VciChartCode(s));
  return codes;
}

absl::string_view TimeFrameName(TimeFrame tf) {
  switch (tf) {
    case TimeFrame::kOneMinute:
      return "ONE_MINUTE";
    case TimeFrame::kOneHour:
      return "ONE_HOUR";
    case TimeFrame::kOneDay:
      return "ONE_DAY";
  }
  return "ONE_DAY";
}

}  // namespace

std::string PriceBoardRequest(std::span<const std::string> symbols) {
  rapidjson::Document doc(rapidjson::kObjectType);
  doc.AddMember("symbols", SymbolArray(symbols, doc.GetAllocator()),
                doc.GetAllocator());
  return Serialize(doc);
}

std::string GapChartRequest(std::span<const std::string> symbols,
                            TimeFrame time_frame, absl::Time to,
                            int count_back) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  const absl::string_view name = TimeFrameName(time_frame);
  doc.AddMember(
      "timeFrame",
      rapidjson::Value(name.data(),
                       static_cast<rapidjson::SizeType>(name.size()), alloc),
      alloc);
  doc.AddMember("symbols", SymbolArray(ChartCodes(symbols), alloc), alloc);
  doc.AddMember("to", static_cast<int64_t>(absl::ToUnixSeconds(to)), alloc);
  doc.AddMember("countBack", count_back, alloc);
  return Serialize(doc);
}

std::string TicksRequest(absl::string_view symbol, int limit) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  doc.AddMember(
      "symbol",
      rapidjson::Value(symbol.data(),
                       static_cast<rapidjson::SizeType>(symbol.size()), alloc),
      alloc);
  doc.AddMember("limit", limit, alloc);
  doc.AddMember("truncTime", rapidjson::Value(rapidjson::kNullType), alloc);
  return Serialize(doc);
}

std::string VciChartCode(absl::string_view symbol) {
  const market::MarketIndex* index = market::FindIndex(symbol);
  return std::string(index != nullptr ? index->vci_code : symbol);
}

absl::StatusOr<std::vector<v1::Quote>> ParsePriceBoard(
    absl::string_view body, const QuoteContext& context, Rejections* rejected) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<const Value*> records = RecordArray(*doc);
  if (!records.ok()) return records.status();
  std::vector<v1::Quote> quotes;
  for (const Value& item : (*records)->GetArray()) {
    absl::StatusOr<v1::Quote> quote = ConvertQuote(item, context);
    if (quote.ok()) {
      quotes.push_back(*std::move(quote));
    } else {
      rejected->push_back(std::string(quote.status().message()));
    }
  }
  return quotes;
}

absl::StatusOr<std::vector<SymbolBars>> ParseGapChart(absl::string_view body,
                                                      Rejections* rejected) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<const Value*> records = RecordArray(*doc);
  if (!records.ok()) return records.status();
  std::vector<SymbolBars> out;
  for (const Value& item : (*records)->GetArray()) {
    absl::StatusOr<SymbolBars> bars = ConvertBars(item, rejected);
    if (bars.ok()) {
      out.push_back(*std::move(bars));
    } else {
      rejected->push_back(std::string(bars.status().message()));
    }
  }
  return out;
}

absl::StatusOr<std::vector<Tick>> ParseTicks(absl::string_view body,
                                             Rejections* rejected) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<const Value*> records = RecordArray(*doc);
  if (!records.ok()) return records.status();
  std::vector<Tick> ticks;
  for (const Value& item : (*records)->GetArray()) {
    FieldReader r;
    Tick tick;
    tick.id = Text(Member(item, "id"));
    tick.match_type = Text(Member(item, "matchType"));
    const std::optional<v1::Decimal> price = r.Decimal(item, "matchPrice");
    tick.volume = r.Count(item, "matchVol");
    const std::optional<absl::Time> time =
        ParseTimeValue(Member(item, "truncTime"));
    if (!r.ok() || !price || !Positive(*price) || !time) {
      rejected->push_back(
          absl::StrCat("tick ", tick.id, ": ",
                       r.ok() ? "missing price or time" : r.error()));
      continue;
    }
    tick.price = *price;
    tick.time = *time;
    ticks.push_back(std::move(tick));
  }
  std::sort(ticks.begin(), ticks.end(),
            [](const Tick& a, const Tick& b) { return a.time < b.time; });
  return ticks;
}

absl::StatusOr<std::vector<ListedSecurity>> ParseListing(absl::string_view body,
                                                         Rejections* rejected) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<const Value*> records = RecordArray(*doc);
  if (!records.ok()) return records.status();
  std::vector<ListedSecurity> out;
  absl::flat_hash_set<std::string> seen;
  for (const Value& item : (*records)->GetArray()) {
    ListedSecurity security;
    const std::string raw = Text(Member(item, "symbol"));
    security.symbol = SymbolOf(raw);
    if (!market::IsValidSymbol(security.symbol)) {
      rejected->push_back(absl::StrCat("listing: bad symbol '", raw, "'"));
      continue;
    }
    if (!seen.insert(security.symbol).second) {
      rejected->push_back(
          absl::StrCat("listing: ", security.symbol, " listed twice"));
      continue;
    }
    security.exchange = market::ParseExchange(Text(Member(item, "board")));
    security.type = TypeOf(item);
    security.name = Text(Member(item, "organName"));
    security.en_name = Text(Member(item, "enOrganName"));
    out.push_back(std::move(security));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseGroup(absl::string_view body,
                                                    Rejections* rejected) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (!doc.ok()) return doc.status();
  absl::StatusOr<const Value*> records = RecordArray(*doc);
  if (!records.ok()) return records.status();
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  for (const Value& item : (*records)->GetArray()) {
    const std::string raw =
        item.IsString() ? Text(&item) : Text(Member(item, "symbol"));
    std::string symbol = SymbolOf(raw);
    if (!market::IsValidSymbol(symbol)) {
      rejected->push_back(absl::StrCat("group: bad symbol '", raw, "'"));
      continue;
    }
    if (seen.insert(symbol).second) out.push_back(std::move(symbol));
  }
  return out;
}

}  // namespace vnstream::vnstock
