// Exchange rules for stocks: names, tick sizes, daily price bands, symbol
// syntax. Tick sizes and bands are the exchanges' published rules for
// ordinary shares (HOSE: 10 VND below 10,000, 50 VND below 50,000, 100 VND
// above; HNX and UPCOM: 100 VND; bands +-7 % HOSE, +-10 % HNX, +-15 % UPCOM).
#ifndef VNSTREAM_LIBS_MARKET_EXCHANGE_H_
#define VNSTREAM_LIBS_MARKET_EXCHANGE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::market {

// "HSX", "HOSE" -> HOSE; "HNX" -> HNX; "UPCOM" -> UPCOM (any case);
// anything else -> UNSPECIFIED.
v1::Exchange ParseExchange(absl::string_view board);

// The name VCI uses for the exchange ("HSX", "HNX", "UPCOM").
absl::string_view VciBoardName(v1::Exchange exchange);

// Tick size in VND of a stock priced `price_vnd` on `exchange`.
int64_t TickSize(v1::Exchange exchange, int64_t price_vnd);

// Daily band in percent around the reference price (7, 10 or 15).
int BandPercent(v1::Exchange exchange);

// Ceiling and floor for a reference price: reference +- band, rounded
// inwards to a valid tick (down for the ceiling, up for the floor).
int64_t CeilingPrice(v1::Exchange exchange, int64_t reference_vnd);
int64_t FloorPrice(v1::Exchange exchange, int64_t reference_vnd);

// Rounds a price to the nearest valid tick (ties up), in VND.
int64_t RoundToTick(v1::Exchange exchange, int64_t price_vnd);

// True for 3..10 characters of A-Z and 0-9 (stocks, ETFs, covered
// warrants, indices such as VN30).
bool IsValidSymbol(absl::string_view symbol);

// Upper-cases and trims a user-supplied symbol ("fpt " -> "FPT").
std::string NormalizeSymbol(absl::string_view symbol);

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_EXCHANGE_H_
