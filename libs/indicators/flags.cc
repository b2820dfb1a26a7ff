#include "libs/indicators/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(int, indicator_sma_short, 20, "Short SMA period, bars.");
ABSL_FLAG(int, indicator_sma_medium, 50, "Medium SMA period, bars.");
ABSL_FLAG(int, indicator_sma_long, 200, "Long SMA period, bars.");
ABSL_FLAG(int, indicator_ema_fast, 12, "Fast EMA period, bars.");
ABSL_FLAG(int, indicator_ema_slow, 26, "Slow EMA period, bars.");
ABSL_FLAG(int, indicator_rsi, 14, "RSI (Wilder) period, bars.");
ABSL_FLAG(int, indicator_macd_fast, 12, "MACD fast EMA period, bars.");
ABSL_FLAG(int, indicator_macd_slow, 26, "MACD slow EMA period, bars.");
ABSL_FLAG(int, indicator_macd_signal, 9, "MACD signal EMA period, bars.");
ABSL_FLAG(int, indicator_bbands, 20, "Bollinger bands period, bars.");
ABSL_FLAG(double, indicator_bbands_stddev, 2.0,
          "Bollinger width, population stddevs.");
ABSL_FLAG(int, indicator_atr, 14, "ATR (Wilder) period, bars.");
ABSL_FLAG(int, indicator_stoch_fastk, 14, "Stochastic fast %K period, bars.");
ABSL_FLAG(int, indicator_stoch_slowk, 3,
          "Stochastic slow %K (SMA) period, bars.");
ABSL_FLAG(int, indicator_stoch_slowd, 3,
          "Stochastic slow %D (SMA) period, bars.");
ABSL_FLAG(int, indicator_volume_sma, 20, "Volume SMA period, bars.");
ABSL_FLAG(int, indicator_trading_days, 252,
          "Trading days per year (annualisation).");

namespace vnstream::indicators {

absl::StatusOr<Params> ParamsFromFlags() {
  Params p;
  p.sma_short_period = absl::GetFlag(FLAGS_indicator_sma_short);
  p.sma_medium_period = absl::GetFlag(FLAGS_indicator_sma_medium);
  p.sma_long_period = absl::GetFlag(FLAGS_indicator_sma_long);
  p.ema_fast_period = absl::GetFlag(FLAGS_indicator_ema_fast);
  p.ema_slow_period = absl::GetFlag(FLAGS_indicator_ema_slow);
  p.rsi_period = absl::GetFlag(FLAGS_indicator_rsi);
  p.macd_fast_period = absl::GetFlag(FLAGS_indicator_macd_fast);
  p.macd_slow_period = absl::GetFlag(FLAGS_indicator_macd_slow);
  p.macd_signal_period = absl::GetFlag(FLAGS_indicator_macd_signal);
  p.bbands_period = absl::GetFlag(FLAGS_indicator_bbands);
  p.bbands_stddev = absl::GetFlag(FLAGS_indicator_bbands_stddev);
  p.atr_period = absl::GetFlag(FLAGS_indicator_atr);
  p.stoch_fastk_period = absl::GetFlag(FLAGS_indicator_stoch_fastk);
  p.stoch_slowk_period = absl::GetFlag(FLAGS_indicator_stoch_slowk);
  p.stoch_slowd_period = absl::GetFlag(FLAGS_indicator_stoch_slowd);
  p.volume_sma_period = absl::GetFlag(FLAGS_indicator_volume_sma);
  p.trading_days_per_year = absl::GetFlag(FLAGS_indicator_trading_days);
  if (absl::Status s = p.Validate(); !s.ok()) return s;
  return p;
}

}  // namespace vnstream::indicators
