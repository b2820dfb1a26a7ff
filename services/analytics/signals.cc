#include "services/analytics/signals.h"

#include "absl/strings/str_cat.h"

namespace vnstream::analytics {

std::vector<Crossing> DetectSignals(const indicators::Params& params,
                                    const v1::IndicatorValues& prev,
                                    double prev_close,
                                    const v1::IndicatorValues& cur,
                                    double cur_close) {
  std::vector<Crossing> out;
  if (prev.has_sma_short() && prev.has_sma_medium() && cur.has_sma_short() &&
      cur.has_sma_medium()) {
    const std::string names =
        absl::StrCat("SMA", params.sma_short_period, " crossed ");
    if (prev.sma_short() <= prev.sma_medium() &&
        cur.sma_short() > cur.sma_medium()) {
      out.push_back(
          {v1::SIGNAL_KIND_SMA_GOLDEN_CROSS, cur.sma_short(), cur.sma_medium(),
           absl::StrCat(names, "above SMA", params.sma_medium_period)});
    } else if (prev.sma_short() >= prev.sma_medium() &&
               cur.sma_short() < cur.sma_medium()) {
      out.push_back(
          {v1::SIGNAL_KIND_SMA_DEATH_CROSS, cur.sma_short(), cur.sma_medium(),
           absl::StrCat(names, "below SMA", params.sma_medium_period)});
    }
  }
  if (prev.has_rsi() && cur.has_rsi()) {
    if (prev.rsi() < kRsiOversold && cur.rsi() >= kRsiOversold) {
      out.push_back({v1::SIGNAL_KIND_RSI_LEAVES_OVERSOLD, cur.rsi(),
                     kRsiOversold,
                     absl::StrCat("RSI", params.rsi_period, " rose through ",
                                  kRsiOversold, " (leaving oversold)")});
    } else if (prev.rsi() > kRsiOverbought && cur.rsi() <= kRsiOverbought) {
      out.push_back({v1::SIGNAL_KIND_RSI_LEAVES_OVERBOUGHT, cur.rsi(),
                     kRsiOverbought,
                     absl::StrCat("RSI", params.rsi_period, " fell through ",
                                  kRsiOverbought, " (leaving overbought)")});
    }
  }
  const std::string bands =
      absl::StrCat(" Bollinger band (", params.bbands_period, ", ",
                   params.bbands_stddev, ")");
  if (prev.has_bb_upper() && cur.has_bb_upper() &&
      prev_close <= prev.bb_upper() && cur_close > cur.bb_upper()) {
    out.push_back({v1::SIGNAL_KIND_BOLLINGER_BREAKOUT_UP, cur_close,
                   cur.bb_upper(),
                   absl::StrCat("close crossed above the upper", bands)});
  }
  if (prev.has_bb_lower() && cur.has_bb_lower() &&
      prev_close >= prev.bb_lower() && cur_close < cur.bb_lower()) {
    out.push_back({v1::SIGNAL_KIND_BOLLINGER_BREAKOUT_DOWN, cur_close,
                   cur.bb_lower(),
                   absl::StrCat("close crossed below the lower", bands)});
  }
  if (prev.has_macd() && prev.has_macd_signal() && cur.has_macd() &&
      cur.has_macd_signal()) {
    const std::string macd = absl::StrCat(
        "MACD(", params.macd_fast_period, ",", params.macd_slow_period, ",",
        params.macd_signal_period, ") crossed ");
    if (prev.macd() <= prev.macd_signal() && cur.macd() > cur.macd_signal()) {
      out.push_back({v1::SIGNAL_KIND_MACD_BULLISH_CROSS, cur.macd(),
                     cur.macd_signal(),
                     absl::StrCat(macd, "above its signal line")});
    } else if (prev.macd() >= prev.macd_signal() &&
               cur.macd() < cur.macd_signal()) {
      out.push_back({v1::SIGNAL_KIND_MACD_BEARISH_CROSS, cur.macd(),
                     cur.macd_signal(),
                     absl::StrCat(macd, "below its signal line")});
    }
  }
  return out;
}

}  // namespace vnstream::analytics
