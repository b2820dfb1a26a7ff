// Intraday indicators on 1-minute bars, per symbol and trading day: session
// VWAP, RSI / MACD / Bollinger (and the other Incremental indicators) over
// today's 1-minute closes with TA-Lib's semantics (the same Incremental as
// the daily indicators, so the same arithmetic), and the same-minute volume
// profile over previous trading days.
//
// Bars of a trading day arrive in minute order with revisions: the
// in-progress bar is republished as it changes, and a bar may be corrected
// after a later one exists. IntradaySession handles all three: a new minute
// is appended in O(1); a revision of the last bar re-applies it to a copy
// of the state from before it (Incremental is copyable for this); a
// correction of an earlier bar recomputes the day (O(bars today), rare).
//
// Units: prices and price-valued indicators in VND, volumes in shares,
// minutes of the day in Asia/Ho_Chi_Minh (09:15 = 555). Value types; not
// thread-safe.
#ifndef VNSTREAM_LIBS_INDICATORS_INTRADAY_H_
#define VNSTREAM_LIBS_INDICATORS_INTRADAY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "libs/indicators/indicators.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::indicators {

struct IntradayParams {
  // Periods in 1-minute bars (RSI, MACD, Bollinger, SMAs for signals).
  Params indicators;
  // Trading days averaged for the same-minute volume profile.
  int volume_profile_days = 20;

  absl::Status Validate() const;
  // indicators.ToProto() plus volume_profile_days.
  v1::IndicatorParams ToProto() const;
};

// One 1-minute bar, as the indicators see it.
struct MinuteBar {
  // Minutes since local (Asia/Ho_Chi_Minh) midnight of the bar's start.
  int minute = 0;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  int64_t volume = 0;
};

// The minute of `bar` and its prices as doubles, or InvalidArgument for a
// bar indicators cannot use (no start time, a non-positive price, high
// below low / open / close, low above open / close, negative volume).
absl::StatusOr<MinuteBar> MinuteBarFromProto(const v1::IntradayBar& bar);

// The trading day of `bar`: meta.trading_date, or the local date of its
// start time when that is unset.
absl::CivilDay TradingDay(const v1::IntradayBar& bar);

// Per minute of the day, the volumes of that minute on the last `days`
// trading days that had a bar at that minute (oldest first).
class VolumeProfile {
 public:
  explicit VolumeProfile(int days) : days_(days) {}

  // Adds one completed trading day's bars (one per minute).
  void AddDay(std::span<const MinuteBar> bars);
  // Mean volume at `minute`, shares; nullopt when no day had a bar there.
  std::optional<double> Mean(int minute) const;

  // For serialization: minute -> volumes, oldest first.
  const std::map<int, std::vector<int64_t>>& minutes() const {
    return minutes_;
  }
  // Restores one minute's volumes (oldest first; only the newest `days`
  // are kept).
  void SetMinute(int minute, std::vector<int64_t> volumes);

 private:
  int days_;
  std::map<int, std::vector<int64_t>> minutes_;
};

// One symbol's bars of one trading day with their indicators.
class IntradaySession {
 public:
  // The indicators after one bar, over the day's bars up to it.
  struct Point {
    // Every Incremental indicator over today's 1-minute bars (RSI, MACD,
    // Bollinger, SMAs, ...).
    Values values;
    // Session VWAP, VND: sum((H + L + C) / 3 x volume) / sum(volume) over
    // today's bars up to this one; unset while the volume is 0.
    std::optional<double> vwap;
    double close = 0;
  };
  struct Applied {
    // At the bar just applied.
    Point current;
    // At the bar before it today; nullopt for the day's first bar.
    std::optional<Point> previous;
  };

  // `params` must be valid.
  explicit IntradaySession(const Params& params);

  // Adds `bar`, or replaces the day's bar of the same minute.
  Applied Apply(const MinuteBar& bar);

  // Today's bars, in minute order.
  const std::vector<MinuteBar>& bars() const { return bars_; }

 private:
  // Runs the day again from its first bar; fills `out` for bars_[index].
  void Recompute(size_t index, Applied* out);
  // Adds `bar` to `state` and the VWAP sums; returns the values at it.
  static Point Step(Incremental& state, double& price_volume, double& volume,
                    const MinuteBar& bar);

  Params params_;
  std::vector<MinuteBar> bars_;
  // State after all bars but the last (to re-apply a revised last bar) and
  // after all bars; the VWAP sums likewise.
  Incremental before_last_;
  Incremental after_last_;
  double before_last_pv_ = 0, before_last_volume_ = 0;
  double pv_ = 0, volume_ = 0;
  // Values at the last bar and the one before it.
  std::optional<Point> last_point_;
  std::optional<Point> before_last_point_;
};

// What one bar's indicators are, as published.
struct IntradayValues {
  std::optional<double> vwap;
  std::optional<double> rsi;
  std::optional<double> macd, macd_signal, macd_hist;
  std::optional<double> bb_upper, bb_middle, bb_lower;
  // Mean volume at this minute on previous trading days, shares, and
  // volume / that mean (unset when the mean is unset or 0).
  std::optional<double> volume_profile;
  std::optional<double> volume_profile_ratio;

  v1::IntradayIndicatorValues ToProto() const;
};

// One symbol's intraday indicators across days: the current day's session
// and the volume profile of the days before it. A bar of a later day
// starts a new session and first adds the finished day to the profile.
class SymbolIntraday {
 public:
  struct Result {
    IntradaySession::Applied applied;
    IntradayValues values;
    // True when this bar started a new day (the previous day was added to
    // the profile).
    bool new_day = false;
  };

  // `params` must be valid.
  explicit SymbolIntraday(const IntradayParams& params);

  // Applies a bar of trading day `day`. FailedPrecondition (and no change)
  // for a day before the current one.
  absl::StatusOr<Result> Apply(absl::CivilDay day, const MinuteBar& bar);

  // The current day; nullopt before the first bar.
  std::optional<absl::CivilDay> day() const { return day_; }
  const IntradaySession& session() const { return session_; }
  const VolumeProfile& profile() const { return profile_; }
  // For restoring state: the profile of the days before the current one.
  VolumeProfile& mutable_profile() { return profile_; }

 private:
  IntradayParams params_;
  std::optional<absl::CivilDay> day_;
  IntradaySession session_;
  VolumeProfile profile_;
};

}  // namespace vnstream::indicators

#endif  // VNSTREAM_LIBS_INDICATORS_INTRADAY_H_
