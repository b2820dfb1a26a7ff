// Technical indicators with TA-Lib's exact semantics (the contract, checked
// against the TA-Lib package by talib_parity_test): SMA, EMA, RSI (Wilder),
// MACD, Bollinger bands, ATR (Wilder), Stochastic (slow), OBV, volume SMA and
// ratio, daily and cumulative returns, and the performance summary of a
// window.
//
// One implementation serves both paths: Incremental's per-bar step adds one
// bar in O(1) from carried state; Update() runs it once and Compute() runs
// it in a loop over a series, so the full recompute and the incremental
// update give bit-identical numbers. Where
// TA-Lib's arithmetic differs from the textbook formula (running sums for
// SMA and for the Bollinger variance, sum-then-divide seeds, Stochastic's
// (C-LL)/((HH-LL)/100), RSI and variance epsilons), it is reproduced
// operation for operation, so results match TA-Lib to the last bit or
// nearly (parity test: <= 1e-9 relative).
//
// Units: prices and price-valued indicators in VND, volumes and OBV in
// shares, RSI and Stochastic 0..100, returns and performance as fractions.
// Values inside an indicator's lookback are unset (std::nullopt in Values,
// NaN in a Series' columns), never 0.
#ifndef VNSTREAM_LIBS_INDICATORS_INDICATORS_H_
#define VNSTREAM_LIBS_INDICATORS_INDICATORS_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "libs/market/daily_csv.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::indicators {

// Periods in bars; defaults are TA-Lib's / the seed's.
struct Params {
  int sma_short_period = 20;
  int sma_medium_period = 50;
  int sma_long_period = 200;
  int ema_fast_period = 12;
  int ema_slow_period = 26;
  int rsi_period = 14;
  int macd_fast_period = 12;
  int macd_slow_period = 26;
  int macd_signal_period = 9;
  int bbands_period = 20;
  double bbands_stddev = 2.0;
  int atr_period = 14;
  int stoch_fastk_period = 14;
  int stoch_slowk_period = 3;
  int stoch_slowd_period = 3;
  int volume_sma_period = 20;
  int trading_days_per_year = 252;

  // InvalidArgument naming the first out-of-range parameter.
  absl::Status Validate() const;
  v1::IndicatorParams ToProto() const;
  static Params FromProto(const v1::IndicatorParams& proto);
};

// One daily bar (VND as double: indicators are statistics).
struct Bar {
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;
};

Bar FromProto(const v1::DailyBar& bar);
// A symbol's rows of the daily-price CSV (data/vn30), oldest first.
std::vector<Bar> FromCsv(const market::SymbolHistory& history);

struct Values {
  std::optional<double> sma_short, sma_medium, sma_long;
  std::optional<double> ema_fast, ema_slow;
  std::optional<double> rsi;
  std::optional<double> macd, macd_signal, macd_hist;
  std::optional<double> bb_upper, bb_middle, bb_lower;
  std::optional<double> atr;
  std::optional<double> stoch_k, stoch_d;
  std::optional<double> obv;
  std::optional<double> volume_sma, volume_ratio;
  std::optional<double> daily_return, cumulative_return;

  v1::IndicatorValues ToProto() const;
};

// The indicators in Values' order: a Series' columns.
enum class Field : int {
  kSmaShort,
  kSmaMedium,
  kSmaLong,
  kEmaFast,
  kEmaSlow,
  kRsi,
  kMacd,
  kMacdSignal,
  kMacdHist,
  kBbUpper,
  kBbMiddle,
  kBbLower,
  kAtr,
  kStochK,
  kStochD,
  kObv,
  kVolumeSma,
  kVolumeRatio,
  kDailyReturn,
  kCumulativeReturn,
};
inline constexpr int kFieldCount = 20;

// Values' member for each Field.
inline constexpr std::optional<double> Values::*kValueFields[kFieldCount] = {
    &Values::sma_short,    &Values::sma_medium,       &Values::sma_long,
    &Values::ema_fast,     &Values::ema_slow,         &Values::rsi,
    &Values::macd,         &Values::macd_signal,      &Values::macd_hist,
    &Values::bb_upper,     &Values::bb_middle,        &Values::bb_lower,
    &Values::atr,          &Values::stoch_k,          &Values::stoch_d,
    &Values::obv,          &Values::volume_sma,       &Values::volume_ratio,
    &Values::daily_return, &Values::cumulative_return};

// Every bar's values from a full recompute, oldest first: one contiguous
// column of doubles per indicator (TA-Lib's layout), NaN where a value is
// unset, so a recompute builds no per-bar objects. Move-only.
class Series {
 public:
  Series() = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const double> column(Field field) const {
    return {data_.get() + static_cast<size_t>(field) * size_, size_};
  }
  // Bar i's values (unset where the column holds NaN).
  Values operator[](size_t i) const;
  Values back() const { return (*this)[size_ - 1]; }

 private:
  friend Series Compute(const Params& params, std::span<const Bar> bars);
  explicit Series(size_t size);

  size_t size_ = 0;
  // kFieldCount columns of size_ doubles, in Field order.
  std::unique_ptr<double[]> data_;
};

struct Performance {
  std::optional<double> total_return;
  std::optional<double> annualized_volatility;
  std::optional<double> sharpe_ratio;
  std::optional<double> max_drawdown;

  v1::PerformanceSummary ToProto() const;
};

// Carries every indicator's state; Update() adds the next bar and returns
// its values in O(1) (amortised for Stochastic's windows). Copyable: a
// caller may keep the state after bar N-1 and re-apply a revised bar N.
// Not thread-safe (a value type).
class Incremental {
 public:
  // `params` must be valid.
  explicit Incremental(const Params& params);

  Values Update(const Bar& bar);
  // Bars added so far.
  int count() const { return count_; }

 private:
  friend Series Compute(const Params& params, std::span<const Bar> bars);
  // The per-bar step behind both Update() and Compute(): adds `bar` and
  // writes its values, NaN where unset, to out[field * stride] in Field
  // order (a row for Update(), bar i of every column for Compute()).
  // Forced inline so that Compute()'s loop writes straight into the
  // columns.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void Step(const Bar& bar, double* out,
                                                size_t stride);
  // Step()'s three parts, on disjoint state; `i` is the bar's index. The
  // indicators of the close alone (SMA, EMA, MACD, Bollinger); those of
  // its change from `prev_close` (RSI, ATR, OBV, volume, returns); the
  // Stochastic.
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void StepOnCloses(const Bar& bar, int i,
                                                        double* out,
                                                        size_t stride);
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void StepOnChanges(const Bar& bar, int i,
                                                         double prev_close,
                                                         double* out,
                                                         size_t stride);
  ABSL_ATTRIBUTE_ALWAYS_INLINE inline void StepStochastic(const Bar& bar, int i,
                                                          double* out,
                                                          size_t stride);

  // TA-Lib's SMA: a running total of the last period-1 values; out =
  // (total + x) / n, then total += x - x[trailing], in TA-Lib's order.
  class Sma {
   public:
    explicit Sma(int period);
    // NaN until `period` inputs. Forced inline, as the other steps: GCC
    // keeps them out of line otherwise (bench/indicators).
    ABSL_ATTRIBUTE_ALWAYS_INLINE inline double Add(double x);
    // After Add(): the oldest input still in the window, x[i - period + 1].
    double oldest() const { return window_[next_]; }

   private:
    int period_;
    double divisor_;              // period_ as a double, converted once.
    std::vector<double> window_;  // Ring of the last `period` inputs.
    int next_ = 0;                // Ring position of the next input.
    int count_ = 0;
    double total_ = 0;
  };
  // TA-Lib's EMA seeded with the SMA of its first `period` inputs.
  class Ema {
   public:
    explicit Ema(int period);
    // NaN until seeded.
    ABSL_ATTRIBUTE_ALWAYS_INLINE inline double Add(double x);
    bool seeded() const { return seeded_; }

   private:
    int period_;
    double k_;
    int count_ = 0;
    double seed_sum_ = 0;
    bool seeded_ = false;
    double value_ = 0;
  };
  // A sliding window's maximum (kMax) or minimum in O(1) amortised and
  // without data-dependent branches (van Herk / Gil-Werman): the inputs
  // come in blocks of `period`; the window ending at offset r of the
  // current block is the previous block's suffix from r+1 plus the current
  // block's prefix up to r, so the extreme is the max (min) of the two
  // running extremes. Each block's suffix extremes are built once, when it
  // completes. (A monotonic deque or TA-Lib's rescan-when-it-leaves branch
  // on every price and were 13-15% of a full recompute in perf.)
  template <bool kMax>
  class Extreme {
   public:
    explicit Extreme(int period);
    ABSL_ATTRIBUTE_ALWAYS_INLINE inline double Add(double x);

   private:
    int period_;
    int offset_ = 0;             // In the current block.
    std::vector<double> block_;  // The current block's inputs so far.
    // suffix_[j]: extreme of the previous block's inputs j..period-1;
    // suffix_[period] (and all before a block completes): the identity,
    // -inf for a maximum, +inf for a minimum.
    std::vector<double> suffix_;
    double prefix_ = 0;  // Extreme of block_[0..offset_).
  };

  Params params_;
  // Periods as doubles for the divisions (converted once, not per bar).
  double rsi_n_, bb_n_, atr_n_;
  int count_ = 0;
  double first_close_ = 0;
  double prev_close_ = 0;
  Sma sma_short_, sma_medium_, sma_long_;
  Ema ema_fast_, ema_slow_;
  // RSI.
  double rsi_gain_ = 0, rsi_loss_ = 0;
  // MACD: the fast EMA starts so that its seed window ends where the slow
  // one's does (TA-Lib); the signal EMA runs over the MACD line.
  Ema macd_fast_, macd_slow_, macd_signal_;
  // Bollinger: SMA (whose window also serves the squares) plus TA-Lib's
  // running sum of squares.
  Sma bb_sma_;
  double bb_total2_ = 0;
  // ATR.
  double atr_sum_ = 0;
  double atr_ = 0;
  // Stochastic.
  Extreme<true> stoch_high_;
  Extreme<false> stoch_low_;
  Sma stoch_slowk_, stoch_slowd_;
  // OBV and volume.
  double obv_ = 0;
  Sma volume_sma_;
};

// Every bar's values (Incremental's step over `bars`). `params` must be
// valid.
Series Compute(const Params& params, std::span<const Bar> bars);

// Performance over the whole window (unset when it has < 2 bars; Sharpe
// also when volatility is 0).
Performance ComputePerformance(const Params& params, std::span<const Bar> bars);

// `in` with every indicator: copies meta, sets params, one EnrichedBar per
// input bar (same DailyBar), the performance summary. InvalidArgument for a
// history that cannot be used: non-increasing dates, a non-positive price,
// high below low / open / close, low above open / close, negative volume.
absl::Status Enrich(const v1::DailyHistory& in, const Params& params,
                    v1::EnrichedHistory* out);

}  // namespace vnstream::indicators

#endif  // VNSTREAM_LIBS_INDICATORS_INDICATORS_H_
