#include "libs/indicators/intraday.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"

namespace vnstream::indicators {
namespace {

void Set(std::optional<double> v,
         void (v1::IntradayIndicatorValues::*setter)(double),
         v1::IntradayIndicatorValues* out) {
  if (v.has_value()) (out->*setter)(*v);
}

}  // namespace

absl::Status IntradayParams::Validate() const {
  if (absl::Status s = indicators.Validate(); !s.ok()) return s;
  if (volume_profile_days < 1 || volume_profile_days > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume_profile_days must be 1..1000, got ", volume_profile_days));
  }
  return absl::OkStatus();
}

v1::IndicatorParams IntradayParams::ToProto() const {
  v1::IndicatorParams p = indicators.ToProto();
  p.set_volume_profile_days(volume_profile_days);
  return p;
}

absl::StatusOr<MinuteBar> MinuteBarFromProto(const v1::IntradayBar& bar) {
  if (!bar.has_start_time()) {
    return absl::InvalidArgumentError("bar has no start_time");
  }
  const absl::CivilSecond local = absl::ToCivilSecond(
      market::FromTimestamp(bar.start_time()), market::VietnamTime());
  MinuteBar out{.minute = local.hour() * 60 + local.minute(),
                .open = market::ToDouble(bar.open()),
                .high = market::ToDouble(bar.high()),
                .low = market::ToDouble(bar.low()),
                .close = market::ToDouble(bar.close()),
                .volume = bar.volume()};
  for (double price : {out.open, out.high, out.low, out.close}) {
    if (!(price > 0) || !std::isfinite(price)) {
      return absl::InvalidArgumentError("non-positive price");
    }
  }
  if (out.high < out.low || out.high < out.open || out.high < out.close ||
      out.low > out.open || out.low > out.close) {
    return absl::InvalidArgumentError(
        "low <= open, close <= high does not hold");
  }
  if (out.volume < 0) return absl::InvalidArgumentError("negative volume");
  return out;
}

absl::CivilDay TradingDay(const v1::IntradayBar& bar) {
  if (bar.meta().has_trading_date()) {
    return market::ToCivilDay(bar.meta().trading_date());
  }
  return absl::ToCivilDay(market::FromTimestamp(bar.start_time()),
                          market::VietnamTime());
}

void VolumeProfile::AddDay(std::span<const MinuteBar> bars) {
  for (const MinuteBar& bar : bars) {
    std::vector<int64_t>& volumes = minutes_[bar.minute];
    volumes.push_back(bar.volume);
    if (static_cast<int>(volumes.size()) > days_) {
      volumes.erase(volumes.begin());
    }
  }
}

std::optional<double> VolumeProfile::Mean(int minute) const {
  auto it = minutes_.find(minute);
  if (it == minutes_.end() || it->second.empty()) return std::nullopt;
  double sum = 0;
  for (int64_t v : it->second) sum += static_cast<double>(v);
  return sum / static_cast<double>(it->second.size());
}

void VolumeProfile::SetMinute(int minute, std::vector<int64_t> volumes) {
  if (static_cast<int>(volumes.size()) > days_) {
    volumes.erase(volumes.begin(), volumes.end() - days_);
  }
  if (volumes.empty()) {
    minutes_.erase(minute);
  } else {
    minutes_[minute] = std::move(volumes);
  }
}

IntradaySession::IntradaySession(const Params& params)
    : params_(params), before_last_(params), after_last_(params) {}

IntradaySession::Point IntradaySession::Step(Incremental& state,
                                             double& price_volume,
                                             double& volume,
                                             const MinuteBar& bar) {
  Point point;
  point.values = state.Update({bar.open, bar.high, bar.low, bar.close,
                               static_cast<double>(bar.volume)});
  const double typical = (bar.high + bar.low + bar.close) / 3.0;
  price_volume += typical * static_cast<double>(bar.volume);
  volume += static_cast<double>(bar.volume);
  if (volume > 0) point.vwap = price_volume / volume;
  point.close = bar.close;
  return point;
}

IntradaySession::Applied IntradaySession::Apply(const MinuteBar& bar) {
  Applied out;
  if (bars_.empty() || bar.minute > bars_.back().minute) {
    // A new minute: the state after the last bar becomes the state before
    // it.
    before_last_ = after_last_;
    before_last_pv_ = pv_;
    before_last_volume_ = volume_;
    before_last_point_ = std::move(last_point_);
    bars_.push_back(bar);
    last_point_ = Step(after_last_, pv_, volume_, bar);
    out.current = *last_point_;
    out.previous = before_last_point_;
    return out;
  }
  if (bar.minute == bars_.back().minute) {
    // A revision of the last bar: re-apply it to the state before it.
    after_last_ = before_last_;
    pv_ = before_last_pv_;
    volume_ = before_last_volume_;
    bars_.back() = bar;
    last_point_ = Step(after_last_, pv_, volume_, bar);
    out.current = *last_point_;
    out.previous = before_last_point_;
    return out;
  }
  // A correction (or a late bar) before the last minute: the day runs again.
  auto it = std::lower_bound(
      bars_.begin(), bars_.end(), bar.minute,
      [](const MinuteBar& b, int minute) { return b.minute < minute; });
  if (it->minute == bar.minute) {
    *it = bar;
  } else {
    it = bars_.insert(it, bar);
  }
  Recompute(static_cast<size_t>(it - bars_.begin()), &out);
  return out;
}

void IntradaySession::Recompute(size_t index, Applied* out) {
  Incremental state(params_);
  double pv = 0, volume = 0;
  std::optional<Point> previous;
  for (size_t i = 0; i < bars_.size(); ++i) {
    if (i + 1 == bars_.size()) {
      before_last_ = state;
      before_last_pv_ = pv;
      before_last_volume_ = volume;
      before_last_point_ = previous;
    }
    Point point = Step(state, pv, volume, bars_[i]);
    if (i == index) {
      out->current = point;
      out->previous = previous;
    }
    previous = std::move(point);
  }
  after_last_ = std::move(state);
  pv_ = pv;
  volume_ = volume;
  last_point_ = std::move(previous);
}

v1::IntradayIndicatorValues IntradayValues::ToProto() const {
  using V = v1::IntradayIndicatorValues;
  V out;
  Set(vwap, &V::set_vwap, &out);
  Set(rsi, &V::set_rsi, &out);
  Set(macd, &V::set_macd, &out);
  Set(macd_signal, &V::set_macd_signal, &out);
  Set(macd_hist, &V::set_macd_hist, &out);
  Set(bb_upper, &V::set_bb_upper, &out);
  Set(bb_middle, &V::set_bb_middle, &out);
  Set(bb_lower, &V::set_bb_lower, &out);
  Set(volume_profile, &V::set_volume_profile, &out);
  Set(volume_profile_ratio, &V::set_volume_profile_ratio, &out);
  return out;
}

SymbolIntraday::SymbolIntraday(const IntradayParams& params)
    : params_(params),
      session_(params.indicators),
      profile_(params.volume_profile_days) {}

absl::StatusOr<SymbolIntraday::Result> SymbolIntraday::Apply(
    absl::CivilDay day, const MinuteBar& bar) {
  Result result;
  if (day_.has_value() && day < *day_) {
    return absl::FailedPreconditionError(
        absl::StrCat("bar of ", absl::FormatCivilTime(day), " after bars of ",
                     absl::FormatCivilTime(*day_)));
  }
  if (!day_.has_value() || day > *day_) {
    if (day_.has_value()) {
      profile_.AddDay(session_.bars());
      result.new_day = true;
    }
    day_ = day;
    session_ = IntradaySession(params_.indicators);
  }
  result.applied = session_.Apply(bar);
  const IntradaySession::Point& p = result.applied.current;
  IntradayValues& v = result.values;
  v.vwap = p.vwap;
  v.rsi = p.values.rsi;
  v.macd = p.values.macd;
  v.macd_signal = p.values.macd_signal;
  v.macd_hist = p.values.macd_hist;
  v.bb_upper = p.values.bb_upper;
  v.bb_middle = p.values.bb_middle;
  v.bb_lower = p.values.bb_lower;
  v.volume_profile = profile_.Mean(bar.minute);
  if (v.volume_profile.has_value() && *v.volume_profile > 0) {
    v.volume_profile_ratio =
        static_cast<double>(bar.volume) / *v.volume_profile;
  }
  return result;
}

}  // namespace vnstream::indicators
