// What analytics and the gateway agree on about vnstream.v1.MarketBreadth.
#ifndef VNSTREAM_LIBS_MARKET_BREADTH_H_
#define VNSTREAM_LIBS_MARKET_BREADTH_H_

namespace vnstream::market {

// Securities per ranking (top gainers, losers, by value) of a
// MarketBreadth. Analytics publishes one partial per partition, each with
// its partition's top kBreadthTopMovers, which is exactly what the gateway
// needs to merge the partials into the scope's top kBreadthTopMovers.
inline constexpr int kBreadthTopMovers = 10;

}  // namespace vnstream::market

#endif  // VNSTREAM_LIBS_MARKET_BREADTH_H_
