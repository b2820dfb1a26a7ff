// Kinds of securities and the market indices vnstream carries: the names
// VCI (and vnstock) use for them, in one place for ingest, the gateway and
// vnstock-sim.
#ifndef VNSTREAM_LIBS_MARKET_INSTRUMENTS_H_
#define VNSTREAM_LIBS_MARKET_INSTRUMENTS_H_

#include <span>

#include "absl/strings/string_view.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::market {

// VCI's security type text (getAll `type`, price-board `stockType`; any
// case): "STOCK", "ETF", "CW", "BOND" (also "CORPORATE_BOND",
// "GOVERNMENT_BOND"), "FU"/"FUTURE"/"DERIVATIVE", "INDEX";
// anything else -> UNSPECIFIED.
v1::InstrumentType ParseInstrumentType(absl::string_view type);

// The inverse for display and configuration: "STOCK", "ETF", "CW",
// "BOND", "INDEX", "FUTURE"; "" for UNSPECIFIED.
absl::string_view InstrumentTypeName(v1::InstrumentType type);

// A market index. `symbol` is vnstream's symbol (vnstock's user-facing
// name, a valid symbol: upper case, at most 10 characters); `vci_code` is
// what VCI's chart endpoint expects and answers with (vnstock's
// _VCI_INDEX_MAPPING: "HNXIndex", "HNXUpcomIndex" are mixed case, and the
// latter is longer than a symbol may be).
struct MarketIndex {
  absl::string_view symbol;
  absl::string_view vci_code;
  // The exchange that computes it.
  v1::Exchange exchange;
  absl::string_view name;
};

// The indices VCI serves on its chart endpoint (vnstock-api.md §3).
std::span<const MarketIndex> KnownIndices();

// The index whose symbol or VCI code is `symbol_or_code` (any case), or
// null.
const MarketIndex* FindIndex(absl::string_view symbol_or_code);

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_INSTRUMENTS_H_
