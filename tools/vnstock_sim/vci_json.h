// The JSON of the VCI endpoints (docs: vnstock-api.md section 1.1):
// request bodies in, response bodies out, shaped like the real API.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_VCI_JSON_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_VCI_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"
#include "tools/vnstock_sim/market.h"

namespace vnstream::sim {

// Parses `body` into `doc`; InvalidArgument unless it is a JSON object.
absl::Status ParseJsonObject(absl::string_view body, rapidjson::Document& doc);

// {"symbols": ["FPT", ...]}; symbols are trimmed and upper-cased.
absl::StatusOr<std::vector<std::string>> ParsePriceBoardRequest(
    absl::string_view body);

// {"symbol": "FPT", "limit": 100, "truncTime": null | "1776652834" |
// 1776652834}
struct TicksRequest {
  std::string symbol;
  int64_t limit = 0;  // 1..30000 (vnstock's documented maximum).
  std::optional<absl::Time> trunc_time;
};
absl::StatusOr<TicksRequest> ParseTicksRequest(absl::string_view body);

// {"timeFrame": "ONE_DAY", "symbols": ["FPT"], "to": 1763683200, "countBack":
// 253}
struct GapChartRequest {
  TimeFrame time_frame = TimeFrame::kDay;
  std::vector<std::string> symbols;
  absl::Time to;
  int64_t count_back = 0;  // >= 1.
};
absl::StatusOr<GapChartRequest> ParseGapChartRequest(absl::string_view body);

// [{"listingInfo": {...}, "bidAsk": {...} | null, "matchPrice": {...}}];
// `now` is the virtual time (receivedTime).
std::string PriceBoardJson(const std::vector<Quote>& quotes, absl::Time now);

// [{"id", "symbol", "truncTime", "matchType", "matchVol", "matchPrice",
//   "accumulatedVolume", "accumulatedValue"}], newest first, numbers as
// strings ("32600.0"); accumulatedValue in million VND.
std::string TicksJson(absl::string_view symbol, const TickPage& page);

// [{"symbol", "o": [...], "h", "l", "c", "v", "t": ["epoch seconds", ...]}];
// an index's symbol is its VCI code and its prices are points with up to 2
// decimals (1234.5).
std::string GapChartJson(const std::vector<BarSeries>& series);

// getAll: [{"id", "symbol", "type", "board", "organName",
// "organShortName", "enOrganName", "enOrganShortName"}].
std::string ListingJson(const std::vector<ListingEntry>& entries);

// getByGroup: [{"symbol": "FPT"}, ...].
std::string GroupJson(const std::vector<std::string>& symbols);

// A value in VND as million VND with at most 2 decimals (rounded half up),
// as a Python float prints it: 79678080000 -> "79678.08", 5e9 -> "5000.0".
std::string MillionVndText(int64_t value_vnd);

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_VCI_JSON_H_
