#include "libs/market/exchange.h"

#include "absl/strings/ascii.h"

namespace vnstream::market {

v1::Exchange ParseExchange(absl::string_view board) {
  const std::string upper =
      absl::AsciiStrToUpper(absl::StripAsciiWhitespace(board));
  if (upper == "HSX" || upper == "HOSE") return v1::EXCHANGE_HOSE;
  if (upper == "HNX") return v1::EXCHANGE_HNX;
  if (upper == "UPCOM") return v1::EXCHANGE_UPCOM;
  return v1::EXCHANGE_UNSPECIFIED;
}

absl::string_view VciBoardName(v1::Exchange exchange) {
  switch (exchange) {
    case v1::EXCHANGE_HNX:
      return "HNX";
    case v1::EXCHANGE_UPCOM:
      return "UPCOM";
    default:
      return "HSX";
  }
}

int64_t TickSize(v1::Exchange exchange, int64_t price_vnd) {
  if (exchange == v1::EXCHANGE_HNX || exchange == v1::EXCHANGE_UPCOM)
    return 100;
  if (price_vnd < 10'000) return 10;
  if (price_vnd < 50'000) return 50;
  return 100;
}

int BandPercent(v1::Exchange exchange) {
  switch (exchange) {
    case v1::EXCHANGE_HNX:
      return 10;
    case v1::EXCHANGE_UPCOM:
      return 15;
    default:
      return 7;
  }
}

int64_t CeilingPrice(v1::Exchange exchange, int64_t reference_vnd) {
  // reference * (100 + band) / 100, rounded down to the tick at that level.
  const int64_t raw = reference_vnd * (100 + BandPercent(exchange)) / 100;
  const int64_t tick = TickSize(exchange, raw);
  return raw / tick * tick;
}

int64_t FloorPrice(v1::Exchange exchange, int64_t reference_vnd) {
  const int64_t numerator = reference_vnd * (100 - BandPercent(exchange));
  const int64_t raw = (numerator + 99) / 100;  // Rounded up.
  const int64_t tick = TickSize(exchange, raw);
  return (raw + tick - 1) / tick * tick;
}

int64_t RoundToTick(v1::Exchange exchange, int64_t price_vnd) {
  const int64_t tick = TickSize(exchange, price_vnd);
  return (price_vnd + tick / 2) / tick * tick;
}

bool IsValidSymbol(absl::string_view symbol) {
  if (symbol.size() < 3 || symbol.size() > 10) return false;
  for (char c : symbol) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c)) return false;
  }
  return true;
}

std::string NormalizeSymbol(absl::string_view symbol) {
  return absl::AsciiStrToUpper(absl::StripAsciiWhitespace(symbol));
}

}  // namespace vnstream::market
