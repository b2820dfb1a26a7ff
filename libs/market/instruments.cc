#include "libs/market/instruments.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace vnstream::market {
namespace {

constexpr MarketIndex kIndices[] = {
    {"VNINDEX", "VNINDEX", v1::EXCHANGE_HOSE, "VN-Index"},
    {"VN30", "VN30", v1::EXCHANGE_HOSE, "VN30-Index"},
    {"VN100", "VN100", v1::EXCHANGE_HOSE, "VN100-Index"},
    {"VNMIDCAP", "VNMIDCAP", v1::EXCHANGE_HOSE, "VNMidcap-Index"},
    {"VNSMALLCAP", "VNSMALLCAP", v1::EXCHANGE_HOSE, "VNSmallcap-Index"},
    {"VNALLSHARE", "VNALLSHARE", v1::EXCHANGE_HOSE, "VNAllshare-Index"},
    {"HNXINDEX", "HNXIndex", v1::EXCHANGE_HNX, "HNX-Index"},
    {"HNX30", "HNX30", v1::EXCHANGE_HNX, "HNX30-Index"},
    {"UPCOMINDEX", "HNXUpcomIndex", v1::EXCHANGE_UPCOM, "UPCoM-Index"},
};

}  // namespace

v1::InstrumentType ParseInstrumentType(absl::string_view type) {
  const std::string upper =
      absl::AsciiStrToUpper(absl::StripAsciiWhitespace(type));
  if (upper == "STOCK") return v1::INSTRUMENT_TYPE_STOCK;
  if (upper == "ETF") return v1::INSTRUMENT_TYPE_ETF;
  if (upper == "CW" || upper == "COVERED_WARRANT") {
    return v1::INSTRUMENT_TYPE_COVERED_WARRANT;
  }
  if (upper == "BOND" || absl::EndsWith(upper, "_BOND")) {
    return v1::INSTRUMENT_TYPE_BOND;
  }
  if (upper == "FU" || upper == "FUTURE" || upper == "DERIVATIVE") {
    return v1::INSTRUMENT_TYPE_FUTURE;
  }
  if (upper == "INDEX") return v1::INSTRUMENT_TYPE_INDEX;
  return v1::INSTRUMENT_TYPE_UNSPECIFIED;
}

absl::string_view InstrumentTypeName(v1::InstrumentType type) {
  switch (type) {
    case v1::INSTRUMENT_TYPE_STOCK:
      return "STOCK";
    case v1::INSTRUMENT_TYPE_ETF:
      return "ETF";
    case v1::INSTRUMENT_TYPE_COVERED_WARRANT:
      return "CW";
    case v1::INSTRUMENT_TYPE_BOND:
      return "BOND";
    case v1::INSTRUMENT_TYPE_INDEX:
      return "INDEX";
    case v1::INSTRUMENT_TYPE_FUTURE:
      return "FUTURE";
    default:
      return "";
  }
}

std::span<const MarketIndex> KnownIndices() { return kIndices; }

const MarketIndex* FindIndex(absl::string_view symbol_or_code) {
  const absl::string_view s = absl::StripAsciiWhitespace(symbol_or_code);
  for (const MarketIndex& index : kIndices) {
    if (absl::EqualsIgnoreCase(s, index.symbol) ||
        absl::EqualsIgnoreCase(s, index.vci_code)) {
      return &index;
    }
  }
  return nullptr;
}

}  // namespace vnstream::market
