// Market breadth: how the securities of one scope (an exchange, or an index
// group such as VN30) moved today, from their latest quotes. Pure
// functions; which quotes make a scope and when a partial is published is
// the processor's business.
#ifndef VNSTREAM_SERVICES_ANALYTICS_BREADTH_H_
#define VNSTREAM_SERVICES_ANALYTICS_BREADTH_H_

#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/market/breadth.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::analytics {

// Index groups: group name ("VN30") -> member symbols.
using GroupMap = std::map<std::string, std::set<std::string>>;

// Parses "GROUP=SYMBOL SYMBOL ..." items (the `groups` setting).
// InvalidArgument for an item without '=', an empty name or no symbols.
absl::StatusOr<GroupMap> ParseGroups(const std::vector<std::string>& items);

// "HOSE", "HNX", "UPCOM"; "" for EXCHANGE_UNSPECIFIED.
std::string ExchangeScope(v1::Exchange exchange);

// Breadth counts stocks and ETFs only; UNSPECIFIED (records written before
// instrument types existed) reads as STOCK.
bool CountsInBreadth(v1::InstrumentType type);

// The breadth of `quotes` (the latest quote of each security of one scope,
// all of the same trading day): counts, totals and the top
// market::kBreadthTopMovers movers. meta, partition and partitions are left to
// the caller.
v1::MarketBreadth ComputeBreadth(std::span<const v1::Quote* const> quotes);

}  // namespace vnstream::analytics

#endif  // VNSTREAM_SERVICES_ANALYTICS_BREADTH_H_
