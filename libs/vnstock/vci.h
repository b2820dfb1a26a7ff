// The VCI (Vietcap) trading API: request bodies and response parsing.
// Pure functions, no I/O: unit-tested over captured-shape JSON.
//
// Parsing is lenient where the API is (numbers as strings or numbers,
// `bidAsk: null`, missing fields, `{"data": [...]}` wrappers, empty arrays)
// and strict where it matters: a record that fails validation is dropped
// and reported (the caller counts and logs it) and never reaches Kafka.
// Prices are converted once, exactly, into v1::Decimal VND.
#ifndef VNSTREAM_LIBS_VNSTOCK_VCI_H_
#define VNSTREAM_LIBS_VNSTOCK_VCI_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::vnstock {

// Routes, relative to the base URL (https://trading.vietcap.com.vn/api/).
inline constexpr char kPriceBoardPath[] = "price/symbols/getList";
inline constexpr char kTicksPath[] = "market-watch/LEData/getAll";
inline constexpr char kGapChartPath[] = "chart/OHLCChart/gap-chart";
// GET: every listed security (vnstock Listing.all_symbols).
inline constexpr char kListingPath[] = "price/symbols/getAll";
// GET with ?group=VN30: the members of an index group.
inline constexpr char kGroupPath[] = "price/symbols/getByGroup";

enum class TimeFrame { kOneMinute, kOneHour, kOneDay };

// One OHLCV bar of the gap-chart endpoint. Prices VND, volume shares.
struct RawBar {
  // Start of the bar (daily bars: 00:00 UTC of the trading date).
  absl::Time time;
  v1::Decimal open;
  v1::Decimal high;
  v1::Decimal low;
  v1::Decimal close;
  int64_t volume = 0;
};

struct SymbolBars {
  std::string symbol;
  // Oldest first, strictly increasing times.
  std::vector<RawBar> bars;
  // Set by VciClient: where and when the response came from.
  v1::Source source = v1::SOURCE_UNSPECIFIED;
  absl::Time fetched_at;
  // Bars kept after widening high/low by at most a rounding unit
  // (market::NormaliseOhlc: real adjusted prices break low <= open,
  // close <= high that way), one note each: which bar, what changed.
  std::vector<std::string> normalised;
};

// One match from LEData.
struct Tick {
  std::string id;
  absl::Time time;  // Second resolution.
  v1::Decimal price;
  int64_t volume = 0;
  // "b" (buyer-initiated), "s" (seller-initiated) or as sent ("" for
  // auction matches).
  std::string match_type;
};

// Records dropped by validation, with the reason ("FPT: low 0 <= 0").
using Rejections = std::vector<std::string>;

// One entry of VCI's listing (getAll).
struct ListedSecurity {
  // vnstream's symbol (indices: market::MarketIndex::symbol).
  std::string symbol;
  // From `board` ("HSX", "HNX", "UPCOM"); UNSPECIFIED when unknown.
  v1::Exchange exchange = v1::EXCHANGE_UNSPECIFIED;
  // From `type` (or `stockType`); UNSPECIFIED when unknown.
  v1::InstrumentType type = v1::INSTRUMENT_TYPE_UNSPECIFIED;
  // organName (Vietnamese) and enOrganName; may be empty.
  std::string name;
  std::string en_name;
};

std::string PriceBoardRequest(std::span<const std::string> symbols);
std::string GapChartRequest(std::span<const std::string> symbols,
                            TimeFrame time_frame, absl::Time to,
                            int count_back);
std::string TicksRequest(absl::string_view symbol, int limit);

// The code VCI's chart endpoint expects for a vnstream symbol: an index's
// VCI code ("UPCOMINDEX" -> "HNXUpcomIndex"), any other symbol as is.
std::string VciChartCode(absl::string_view symbol);

// What the caller knows about a price-board response.
struct QuoteContext {
  v1::Source source = v1::SOURCE_VCI;
  absl::Time fetched_at;
  const market::TradingCalendar* calendar = nullptr;  // Required.
};

// Parses a price-board response into quotes (meta.symbol, source,
// fetched_at and trading_date filled; seq and published_at are the
// publisher's). exchange_time is matchPrice.time; the session and the
// trading date are at the newest time in the record (matchPrice.time, the
// receivedTime and time of each part), else at fetched_at. InvalidArgument
// if the body is not the expected JSON.
absl::StatusOr<std::vector<v1::Quote>> ParsePriceBoard(
    absl::string_view body, const QuoteContext& context, Rejections* rejected);

// Parses a gap-chart response. A bar breaking low <= open, close <= high
// within market::NormaliseOhlc's tolerance (VND, or points for an index) is
// kept normalised and noted in SymbolBars::normalised; beyond it, it is
// rejected like any invalid bar.
absl::StatusOr<std::vector<SymbolBars>> ParseGapChart(absl::string_view body,
                                                      Rejections* rejected);

absl::StatusOr<std::vector<Tick>> ParseTicks(absl::string_view body,
                                             Rejections* rejected);

// Parses getAll: a JSON array (or {"data": [...]}) of {symbol, type, board,
// organName, enOrganName, ...}. Entries without a valid symbol, and second
// entries of a symbol, are rejected. Index codes are mapped to vnstream's
// symbols. InvalidArgument if the body is not the expected JSON.
absl::StatusOr<std::vector<ListedSecurity>> ParseListing(absl::string_view body,
                                                         Rejections* rejected);

// Parses getByGroup: an array of objects with a `symbol` (or of plain
// strings), as vnstream symbols in the order sent, without duplicates.
absl::StatusOr<std::vector<std::string>> ParseGroup(absl::string_view body,
                                                    Rejections* rejected);

}  // namespace vnstream::vnstock

#endif  // VNSTREAM_LIBS_VNSTOCK_VCI_H_
