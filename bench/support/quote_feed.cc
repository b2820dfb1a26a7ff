#include "bench/support/quote_feed.h"

#include "libs/market/calendar.h"

namespace vnstream::bench {

v1::Quote SyntheticQuote(const std::string& symbol, uint64_t seq,
                         absl::Time now) {
  v1::Quote quote;
  v1::RecordMeta& meta = *quote.mutable_meta();
  meta.set_symbol(symbol);
  meta.set_seq(seq);
  meta.set_source(v1::SOURCE_SIMULATOR);
  *meta.mutable_fetched_at() = market::ToTimestamp(now);
  *meta.mutable_published_at() = market::ToTimestamp(now);
  quote.set_exchange(v1::EXCHANGE_HOSE);
  // VND, moving within 100,000..109,900 in 100 VND ticks.
  quote.mutable_last_price()->set_units(100'000 +
                                        static_cast<int64_t>(seq % 100) * 100);
  quote.set_total_volume(static_cast<int64_t>(seq % 1'000'000) * 100);
  return quote;
}

void RunPaced(double per_second, absl::Notification& stop,
              absl::FunctionRef<void(uint64_t n)> update) {
  if (per_second <= 0) {
    stop.WaitForNotification();
    return;
  }
  constexpr absl::Duration kTick = absl::Milliseconds(10);
  const double per_tick = per_second * absl::ToDoubleSeconds(kTick);
  double due = 0;
  uint64_t n = 0;
  for (absl::Time tick = absl::Now(); !stop.HasBeenNotified(); tick += kTick) {
    stop.WaitForNotificationWithTimeout(tick - absl::Now());
    for (due += per_tick; due >= 1; due -= 1) update(n++);
  }
}

}  // namespace vnstream::bench
