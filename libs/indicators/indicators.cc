#include "libs/indicators/indicators.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::indicators {
namespace {

// TA-Lib's epsilons (ta_utility.h): TA_IS_ZERO and TA_IS_ZERO_OR_NEG.
constexpr double kEpsilon = 0.00000001;
bool IsZero(double v) { return -kEpsilon < v && v < kEpsilon; }
bool IsZeroOrNeg(double v) { return v < kEpsilon; }

// An unset value in a Step()'s output.
constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

// Writes a Step() part's values: `f` at out[f * stride].
auto Setter(double* out, size_t stride) {
  return [out, stride](Field f, double x) {
    out[static_cast<size_t>(f) * stride] = x;
  };
}

// TA-Lib's PER_TO_K.
double PerToK(int period) { return 2.0 / static_cast<double>(period + 1); }

void Set(std::optional<double> v, void (v1::IndicatorValues::*setter)(double),
         v1::IndicatorValues* out) {
  if (v.has_value()) (out->*setter)(*v);
}

}  // namespace

absl::Status Params::Validate() const {
  const std::pair<const char*, int> at_least_2[] = {
      {"sma_short_period", sma_short_period},
      {"sma_medium_period", sma_medium_period},
      {"sma_long_period", sma_long_period},
      {"ema_fast_period", ema_fast_period},
      {"ema_slow_period", ema_slow_period},
      {"rsi_period", rsi_period},
      {"macd_fast_period", macd_fast_period},
      {"macd_slow_period", macd_slow_period},
      {"bbands_period", bbands_period},
      {"volume_sma_period", volume_sma_period}};
  for (const auto& [name, value] : at_least_2) {
    if (value < 2 || value > 100000) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be 2..100000, got ", value));
    }
  }
  const std::pair<const char*, int> at_least_1[] = {
      {"macd_signal_period", macd_signal_period},
      {"atr_period", atr_period},
      {"stoch_fastk_period", stoch_fastk_period},
      {"stoch_slowk_period", stoch_slowk_period},
      {"stoch_slowd_period", stoch_slowd_period},
      {"trading_days_per_year", trading_days_per_year}};
  for (const auto& [name, value] : at_least_1) {
    if (value < 1 || value > 100000) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be 1..100000, got ", value));
    }
  }
  if (macd_fast_period >= macd_slow_period) {
    return absl::InvalidArgumentError(
        "macd_fast_period must be below macd_slow_period");
  }
  if (!(bbands_stddev > 0) || !std::isfinite(bbands_stddev)) {
    return absl::InvalidArgumentError("bbands_stddev must be positive");
  }
  return absl::OkStatus();
}

v1::IndicatorParams Params::ToProto() const {
  v1::IndicatorParams p;
  p.set_sma_short_period(sma_short_period);
  p.set_sma_medium_period(sma_medium_period);
  p.set_sma_long_period(sma_long_period);
  p.set_ema_fast_period(ema_fast_period);
  p.set_ema_slow_period(ema_slow_period);
  p.set_rsi_period(rsi_period);
  p.set_macd_fast_period(macd_fast_period);
  p.set_macd_slow_period(macd_slow_period);
  p.set_macd_signal_period(macd_signal_period);
  p.set_bbands_period(bbands_period);
  p.set_bbands_stddev(bbands_stddev);
  p.set_atr_period(atr_period);
  p.set_stoch_fastk_period(stoch_fastk_period);
  p.set_stoch_slowk_period(stoch_slowk_period);
  p.set_stoch_slowd_period(stoch_slowd_period);
  p.set_volume_sma_period(volume_sma_period);
  p.set_trading_days_per_year(trading_days_per_year);
  return p;
}

Params Params::FromProto(const v1::IndicatorParams& p) {
  return {
      p.sma_short_period(),   p.sma_medium_period(),    p.sma_long_period(),
      p.ema_fast_period(),    p.ema_slow_period(),      p.rsi_period(),
      p.macd_fast_period(),   p.macd_slow_period(),     p.macd_signal_period(),
      p.bbands_period(),      p.bbands_stddev(),        p.atr_period(),
      p.stoch_fastk_period(), p.stoch_slowk_period(),   p.stoch_slowd_period(),
      p.volume_sma_period(),  p.trading_days_per_year()};
}

Bar FromProto(const v1::DailyBar& bar) {
  return {market::ToDouble(bar.open()), market::ToDouble(bar.high()),
          market::ToDouble(bar.low()), market::ToDouble(bar.close()),
          static_cast<double>(bar.volume())};
}

std::vector<Bar> FromCsv(const market::SymbolHistory& history) {
  std::vector<Bar> bars;
  bars.reserve(history.bars.size());
  for (const market::DailyBar& b : history.bars) {
    bars.push_back({static_cast<double>(b.open), static_cast<double>(b.high),
                    static_cast<double>(b.low), static_cast<double>(b.close),
                    static_cast<double>(b.volume)});
  }
  return bars;
}

v1::IndicatorValues Values::ToProto() const {
  using V = v1::IndicatorValues;
  V out;
  Set(sma_short, &V::set_sma_short, &out);
  Set(sma_medium, &V::set_sma_medium, &out);
  Set(sma_long, &V::set_sma_long, &out);
  Set(ema_fast, &V::set_ema_fast, &out);
  Set(ema_slow, &V::set_ema_slow, &out);
  Set(rsi, &V::set_rsi, &out);
  Set(macd, &V::set_macd, &out);
  Set(macd_signal, &V::set_macd_signal, &out);
  Set(macd_hist, &V::set_macd_hist, &out);
  Set(bb_upper, &V::set_bb_upper, &out);
  Set(bb_middle, &V::set_bb_middle, &out);
  Set(bb_lower, &V::set_bb_lower, &out);
  Set(atr, &V::set_atr, &out);
  Set(stoch_k, &V::set_stoch_k, &out);
  Set(stoch_d, &V::set_stoch_d, &out);
  Set(obv, &V::set_obv, &out);
  Set(volume_sma, &V::set_volume_sma, &out);
  Set(volume_ratio, &V::set_volume_ratio, &out);
  Set(daily_return, &V::set_daily_return, &out);
  Set(cumulative_return, &V::set_cumulative_return, &out);
  return out;
}

v1::PerformanceSummary Performance::ToProto() const {
  v1::PerformanceSummary out;
  if (total_return) out.set_total_return(*total_return);
  if (annualized_volatility)
    out.set_annualized_volatility(*annualized_volatility);
  if (sharpe_ratio) out.set_sharpe_ratio(*sharpe_ratio);
  if (max_drawdown) out.set_max_drawdown(*max_drawdown);
  return out;
}

Series::Series(size_t size)
    : size_(size),
      data_(std::make_unique_for_overwrite<double[]>(kFieldCount * size)) {}

Values Series::operator[](size_t i) const {
  Values v;
  for (int f = 0; f < kFieldCount; ++f) {
    const double x = data_[f * size_ + i];
    if (!std::isnan(x)) v.*kValueFields[f] = x;
  }
  return v;
}

Incremental::Sma::Sma(int period)
    : period_(period), divisor_(period), window_(period, 0.0) {}

double Incremental::Sma::Add(double x) {
  // window_[next_] is the oldest input once the window is full; it is
  // overwritten after being subtracted.
  const int slot = next_;
  next_ = next_ + 1 == period_ ? 0 : next_ + 1;
  window_[slot] = x;
  // TA_INT_SMA: periodTotal += x; tempReal = periodTotal;
  // periodTotal -= x[trailing]; out = tempReal / period.
  total_ += x;
  if (count_ < period_ - 1) {
    ++count_;
    return kUnset;
  }
  const double sum = total_;
  total_ -= window_[next_];  // x[i - period + 1], the oldest.
  return sum / divisor_;
}

Incremental::Ema::Ema(int period) : period_(period), k_(PerToK(period)) {}

double Incremental::Ema::Add(double x) {
  if (!seeded_) {
    // TA_INT_EMA: the seed is the plain mean of the first `period` inputs.
    seed_sum_ += x;
    if (++count_ < period_) return kUnset;
    value_ = seed_sum_ / period_;
    seeded_ = true;
    return value_;
  }
  value_ = ((x - value_) * k_) + value_;
  return value_;
}

template <bool kMax>
Incremental::Extreme<kMax>::Extreme(int period)
    : period_(period),
      block_(period, 0.0),
      suffix_(period + 1, kMax ? -std::numeric_limits<double>::infinity()
                               : std::numeric_limits<double>::infinity()) {}

template <bool kMax>
double Incremental::Extreme<kMax>::Add(double x) {
  // std::max/min return one of their inputs: the extreme is exact.
  auto better = [](double a, double b) {
    return kMax ? std::max(a, b) : std::min(a, b);
  };
  const int r = offset_;
  block_[r] = x;
  prefix_ = r == 0 ? x : better(prefix_, x);
  const double extreme = better(suffix_[r + 1], prefix_);
  if (r + 1 == period_) {
    // The block is complete: its suffix extremes serve the next block.
    double suffix = suffix_[period_];
    for (int j = period_ - 1; j >= 0; --j) {
      suffix = better(block_[j], suffix);
      suffix_[j] = suffix;
    }
    offset_ = 0;
  } else {
    offset_ = r + 1;
  }
  return extreme;
}

Incremental::Incremental(const Params& params)
    : params_(params),
      rsi_n_(params.rsi_period),
      bb_n_(params.bbands_period),
      atr_n_(params.atr_period),
      sma_short_(params.sma_short_period),
      sma_medium_(params.sma_medium_period),
      sma_long_(params.sma_long_period),
      ema_fast_(params.ema_fast_period),
      ema_slow_(params.ema_slow_period),
      macd_fast_(params.macd_fast_period),
      macd_slow_(params.macd_slow_period),
      macd_signal_(params.macd_signal_period),
      bb_sma_(params.bbands_period),
      stoch_high_(params.stoch_fastk_period),
      stoch_low_(params.stoch_fastk_period),
      stoch_slowk_(params.stoch_slowk_period),
      stoch_slowd_(params.stoch_slowd_period),
      volume_sma_(params.volume_sma_period) {}

void Incremental::Step(const Bar& bar, double* out, size_t stride) {
  const int i = count_++;
  StepOnCloses(bar, i, out, stride);
  StepOnChanges(bar, i, prev_close_, out, stride);
  StepStochastic(bar, i, out, stride);
  prev_close_ = bar.close;
}

void Incremental::StepOnCloses(const Bar& bar, int i, double* out,
                               size_t stride) {
  const double close = bar.close;
  const auto set = Setter(out, stride);
  set(Field::kSmaShort, sma_short_.Add(close));
  set(Field::kSmaMedium, sma_medium_.Add(close));
  set(Field::kSmaLong, sma_long_.Add(close));
  set(Field::kEmaFast, ema_fast_.Add(close));
  set(Field::kEmaSlow, ema_slow_.Add(close));

  // MACD (TA_INT_MACD): the fast EMA's first input is bar slow-fast, so
  // both seed windows end on bar slow-1.
  const int slow = params_.macd_slow_period;
  const double macd_slow = macd_slow_.Add(close);
  double macd = kUnset, macd_signal = kUnset, macd_hist = kUnset;
  if (i >= slow - params_.macd_fast_period) {
    const double macd_fast = macd_fast_.Add(close);
    if (i >= slow - 1) {  // Both EMAs seeded.
      const double line = macd_fast - macd_slow;
      const double signal = macd_signal_.Add(line);
      if (macd_signal_.seeded()) {
        macd = line;
        macd_signal = signal;
        macd_hist = line - signal;
      }
    }
  }
  set(Field::kMacd, macd);
  set(Field::kMacdSignal, macd_signal);
  set(Field::kMacdHist, macd_hist);

  // Bollinger (TA_BBANDS + TA_INT_stddev_using_precalc_ma): population
  // variance as mean of squares minus squared mean, from running sums.
  const int bn = params_.bbands_period;
  const double middle = bb_sma_.Add(close);
  bb_total2_ += close * close;
  double upper = kUnset, lower = kUnset;
  if (i >= bn - 1) {
    double mean2 = bb_total2_ / bb_n_;
    const double oldest = bb_sma_.oldest();
    bb_total2_ -= oldest * oldest;
    mean2 -= middle * middle;
    const double deviation = !IsZeroOrNeg(mean2) ? std::sqrt(mean2) : 0.0;
    const double width = deviation * params_.bbands_stddev;
    upper = middle + width;
    lower = middle - width;
  }
  set(Field::kBbUpper, upper);
  set(Field::kBbMiddle, middle);
  set(Field::kBbLower, lower);
}

void Incremental::StepOnChanges(const Bar& bar, int i, double prev_close,
                                double* out, size_t stride) {
  const double close = bar.close;
  const auto set = Setter(out, stride);
  // RSI (TA_RSI): Wilder's averages seeded with the mean of the first n
  // changes; a zero change counts as a gain of 0.
  const int n = params_.rsi_period;
  double rsi = kUnset;
  if (i > 0) {
    const double change = close - prev_close;
    if (i > n) {
      rsi_loss_ *= rsi_n_ - 1;
      rsi_gain_ *= rsi_n_ - 1;
    }
    // TA-Lib's `if (change < 0) loss -= change; else gain += change;`
    // without a branch (up or down is a coin toss the predictor misses; GCC
    // turns std::min/max back into one): (|c| - c) / 2 is exactly -c for a
    // fall and 0 otherwise, (c + |c|) / 2 likewise for a rise, and adding 0
    // leaves a sum bit-for-bit unchanged.
    const double magnitude = std::fabs(change);
    rsi_loss_ += (magnitude - change) * 0.5;
    rsi_gain_ += (change + magnitude) * 0.5;
    if (i >= n) {
      rsi_loss_ /= rsi_n_;
      rsi_gain_ /= rsi_n_;
      const double sum = rsi_gain_ + rsi_loss_;
      rsi = !IsZero(sum) ? 100.0 * (rsi_gain_ / sum) : 0.0;
    }
  }
  set(Field::kRsi, rsi);

  // ATR (TA_ATR): true range from the second bar; seed = mean of the first
  // n ranges; then Wilder's smoothing.
  const int an = params_.atr_period;
  double atr = kUnset;
  if (i > 0) {
    double range = bar.high - bar.low;
    range = std::max(range, std::fabs(prev_close - bar.high));
    range = std::max(range, std::fabs(prev_close - bar.low));
    if (i <= an) {
      atr_sum_ += range;
      if (i == an) {
        atr_ = atr_sum_ / atr_n_;
        atr = atr_;
      }
    } else {
      atr_ *= atr_n_ - 1;
      atr_ += range;
      atr_ /= atr_n_;
      atr = atr_;
    }
  }
  set(Field::kAtr, atr);

  // OBV (TA_OBV): starts at the first bar's volume.
  // Branch-free like RSI's: +volume, -volume or 0 (adding 0 changes
  // nothing; a + (-b) is a - b exactly).
  if (i == 0) {
    obv_ = bar.volume;
  } else {
    const double sign = static_cast<double>(close > prev_close) -
                        static_cast<double>(close < prev_close);
    obv_ += sign * bar.volume;
  }
  set(Field::kObv, obv_);

  // A zero average leaves the ratio unset (NaN also stays NaN).
  const double volume_sma = volume_sma_.Add(bar.volume);
  set(Field::kVolumeSma, volume_sma);
  set(Field::kVolumeRatio, volume_sma != 0 ? bar.volume / volume_sma : kUnset);

  // The seed's returns: pct_change and the growth since the first close.
  if (i == 0) first_close_ = close;
  set(Field::kDailyReturn, i > 0 ? close / prev_close - 1 : kUnset);
  set(Field::kCumulativeReturn, close / first_close_ - 1);
}

void Incremental::StepStochastic(const Bar& bar, int i, double* out,
                                 size_t stride) {
  const double close = bar.close;
  const auto set = Setter(out, stride);
  // Stochastic (TA_STOCH): fast %K = (C - LL) / ((HH - LL) / 100), 0 when
  // HH == LL; slow %K and %D are SMAs; both appear from the same bar.
  const double highest = stoch_high_.Add(bar.high);
  const double lowest = stoch_low_.Add(bar.low);
  double stoch_k = kUnset, stoch_d = kUnset;
  if (i >= params_.stoch_fastk_period - 1) {
    const double diff = (highest - lowest) / 100.0;
    const double fast_k = diff != 0.0 ? (close - lowest) / diff : 0.0;
    const double slow_k = stoch_slowk_.Add(fast_k);
    if (i >= params_.stoch_fastk_period + params_.stoch_slowk_period - 2) {
      stoch_d = stoch_slowd_.Add(slow_k);
      // From the bar %D is set (by index: not waiting on its division).
      if (i >= params_.stoch_fastk_period + params_.stoch_slowk_period +
                   params_.stoch_slowd_period - 3) {
        stoch_k = slow_k;
      }
    }
  }
  set(Field::kStochK, stoch_k);
  set(Field::kStochD, stoch_d);
}

Values Incremental::Update(const Bar& bar) {
  double row[kFieldCount];
  Step(bar, row, 1);
  Values v;
  for (int f = 0; f < kFieldCount; ++f) {
    if (!std::isnan(row[f])) v.*kValueFields[f] = row[f];
  }
  return v;
}

Series Compute(const Params& params, std::span<const Bar> bars) {
  const size_t n = bars.size();
  Series out(n);
  double* const columns = out.data_.get();
  Incremental state(params);
  // Step()'s three parts (disjoint state), each as its own loop over the
  // bars: the same per-bar code, so the same numbers, but each loop's body
  // is short enough for the core to overlap several bars' chains of
  // divisions (one loop over all of Step() stalled on them; perf).
  for (size_t i = 0; i < n; ++i) {
    state.StepOnCloses(bars[i], static_cast<int>(i), columns + i, n);
  }
  for (size_t i = 0; i < n; ++i) {
    // The previous close as Step() carries it: 0 before the first bar.
    state.StepOnChanges(bars[i], static_cast<int>(i),
                        i > 0 ? bars[i - 1].close : 0.0, columns + i, n);
  }
  for (size_t i = 0; i < n; ++i) {
    state.StepStochastic(bars[i], static_cast<int>(i), columns + i, n);
  }
  return out;
}

Performance ComputePerformance(const Params& params,
                               std::span<const Bar> bars) {
  Performance p;
  if (bars.size() < 2) return p;
  p.total_return = bars.back().close / bars.front().close - 1;
  double peak = bars.front().close;
  double drawdown = 0;
  double sum = 0;
  for (size_t i = 1; i < bars.size(); ++i) {
    peak = std::max(peak, bars[i].close);
    drawdown = std::min(drawdown, bars[i].close / peak - 1);
    sum += bars[i].close / bars[i - 1].close - 1;
  }
  p.max_drawdown = drawdown;
  const size_t m = bars.size() - 1;  // Returns.
  if (m < 2) return p;
  const double mean = sum / static_cast<double>(m);
  double squares = 0;
  for (size_t i = 1; i < bars.size(); ++i) {
    const double d = (bars[i].close / bars[i - 1].close - 1) - mean;
    squares += d * d;
  }
  const double days = params.trading_days_per_year;
  const double volatility =
      std::sqrt(squares / static_cast<double>(m - 1)) * std::sqrt(days);
  p.annualized_volatility = volatility;
  if (volatility > 0) p.sharpe_ratio = mean * days / volatility;
  return p;
}

absl::Status Enrich(const v1::DailyHistory& in, const Params& params,
                    v1::EnrichedHistory* out) {
  if (absl::Status s = params.Validate(); !s.ok()) return s;
  std::vector<Bar> bars;
  bars.reserve(in.bars_size());
  for (int i = 0; i < in.bars_size(); ++i) {
    const v1::DailyBar& daily = in.bars(i);
    const Bar bar = FromProto(daily);
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(
          in.meta().symbol(), " bar ", i, " (", daily.date().year(), "-",
          daily.date().month(), "-", daily.date().day(), "): ", why));
    };
    if (i > 0 && market::ToCivilDay(daily.date()) <=
                     market::ToCivilDay(in.bars(i - 1).date())) {
      return bad("dates are not strictly increasing");
    }
    for (double price : {bar.open, bar.high, bar.low, bar.close}) {
      if (!(price > 0) || !std::isfinite(price))
        return bad("non-positive price");
    }
    if (bar.high < bar.low || bar.high < bar.open || bar.high < bar.close ||
        bar.low > bar.open || bar.low > bar.close) {
      return bad("low <= open, close <= high does not hold");
    }
    if (daily.volume() < 0) return bad("negative volume");
    bars.push_back(bar);
  }
  out->Clear();
  *out->mutable_meta() = in.meta();
  *out->mutable_params() = params.ToProto();
  const Series values = Compute(params, bars);
  for (int i = 0; i < in.bars_size(); ++i) {
    v1::EnrichedBar* enriched = out->add_bars();
    *enriched->mutable_bar() = in.bars(i);
    *enriched->mutable_indicators() = values[i].ToProto();
  }
  *out->mutable_performance() = ComputePerformance(params, bars).ToProto();
  return absl::OkStatus();
}

}  // namespace vnstream::indicators
