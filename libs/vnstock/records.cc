#include "libs/vnstock/records.h"

#include "libs/market/decimal.h"

namespace vnstream::vnstock {
namespace {

// A bar is final once this long past its end with no later bar: the
// upstream has had time to include the minute's last trades.
constexpr absl::Duration kBarSettle = absl::Seconds(5);

absl::CivilDay LocalDay(absl::Time t) {
  return absl::ToCivilDay(t, market::VietnamTime());
}

v1::RecordMeta MetaOf(const SymbolBars& series, absl::CivilDay day) {
  v1::RecordMeta meta;
  meta.set_symbol(series.symbol);
  meta.set_source(series.source);
  *meta.mutable_fetched_at() = market::ToTimestamp(series.fetched_at);
  *meta.mutable_trading_date() = market::ToDate(day);
  return meta;
}

}  // namespace

std::vector<v1::IntradayBar> ToIntradayBars(const SymbolBars& series,
                                            absl::Time now) {
  std::vector<v1::IntradayBar> out;
  if (series.bars.empty()) return out;
  const absl::CivilDay day = LocalDay(series.bars.back().time);
  std::vector<const RawBar*> bars;
  for (const RawBar& raw : series.bars) {
    if (LocalDay(raw.time) == day) bars.push_back(&raw);
  }
  const v1::RecordMeta meta = MetaOf(series, day);
  for (size_t i = 0; i < bars.size(); ++i) {
    const RawBar& raw = *bars[i];
    const absl::CivilMinute local =
        absl::ToCivilMinute(raw.time, market::VietnamTime());
    const bool closing_auction = local.hour() == 14 && local.minute() == 45;
    v1::IntradayBar& bar = out.emplace_back();
    *bar.mutable_meta() = meta;
    *bar.mutable_start_time() = market::ToTimestamp(raw.time);
    *bar.mutable_open() = raw.open;
    *bar.mutable_high() = raw.high;
    *bar.mutable_low() = raw.low;
    *bar.mutable_close() = raw.close;
    bar.set_volume(raw.volume);
    bar.set_final(i + 1 < bars.size() || closing_auction ||
                  raw.time + absl::Minutes(1) + kBarSettle <= now);
  }
  return out;
}

v1::DailyHistory ToDailyHistory(const SymbolBars& series, absl::Time now,
                                const market::TradingCalendar& calendar) {
  v1::DailyHistory history;
  if (series.bars.empty()) return history;
  const absl::CivilSecond local_now =
      absl::ToCivilSecond(now, market::VietnamTime());
  const absl::CivilDay today(local_now);
  const bool today_closed =
      !calendar.IsTradingDay(today) || local_now.hour() >= 15;
  absl::CivilDay last_day;
  for (size_t i = 0; i < series.bars.size(); ++i) {
    const RawBar& raw = series.bars[i];
    const absl::CivilDay day = LocalDay(raw.time);
    if (i > 0 && day <= last_day) continue;  // One bar per date.
    last_day = day;
    v1::DailyBar* bar = history.add_bars();
    *bar->mutable_date() = market::ToDate(day);
    *bar->mutable_open() = raw.open;
    *bar->mutable_high() = raw.high;
    *bar->mutable_low() = raw.low;
    *bar->mutable_close() = raw.close;
    bar->set_volume(raw.volume);
    bar->set_final(i + 1 < series.bars.size() || day < today ||
                   (day == today && today_closed));
  }
  *history.mutable_meta() = MetaOf(series, last_day);
  return history;
}

v1::Quote IndexQuote(const SymbolBars& minutes,
                     const v1::Decimal& previous_close, v1::Exchange exchange,
                     const market::TradingCalendar& calendar) {
  const RawBar& newest = minutes.bars.back();
  const absl::CivilDay day = LocalDay(newest.time);
  v1::Quote quote;
  *quote.mutable_meta() = MetaOf(minutes, day);
  quote.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_INDEX);
  quote.set_exchange(exchange);
  *quote.mutable_exchange_time() = market::ToTimestamp(newest.time);
  quote.set_session(calendar.SessionAt(exchange, newest.time));
  *quote.mutable_reference_price() = previous_close;
  *quote.mutable_last_price() = newest.close;
  v1::Decimal high = newest.high;
  v1::Decimal low = newest.low;
  int64_t volume = 0;
  for (const RawBar& bar : minutes.bars) {
    if (LocalDay(bar.time) != day) continue;
    if (market::Compare(bar.high, high) > 0) high = bar.high;
    if (market::Compare(bar.low, low) < 0) low = bar.low;
    volume += bar.volume;
  }
  *quote.mutable_high_price() = high;
  *quote.mutable_low_price() = low;
  quote.set_total_volume(volume);
  *quote.mutable_change() = market::Subtract(newest.close, previous_close);
  absl::StatusOr<v1::Decimal> percent =
      market::PercentOf(quote.change(), previous_close);
  if (percent.ok()) *quote.mutable_percent_change() = *percent;
  return quote;
}

}  // namespace vnstream::vnstock
