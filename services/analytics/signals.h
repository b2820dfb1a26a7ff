// Technical signals: what crossed what between two consecutive bars of one
// symbol and interval (see vnstream.v1.SignalKind). Pure functions of the
// two bars' indicator values; which bars to evaluate (each final bar once)
// is the processor's business.
#ifndef VNSTREAM_SERVICES_ANALYTICS_SIGNALS_H_
#define VNSTREAM_SERVICES_ANALYTICS_SIGNALS_H_

#include <string>
#include <vector>

#include "libs/indicators/indicators.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::analytics {

// RSI levels whose crossing is a signal.
inline constexpr double kRsiOversold = 30;
inline constexpr double kRsiOverbought = 70;

struct Crossing {
  v1::SignalKind kind = v1::SIGNAL_KIND_UNSPECIFIED;
  // What crossed what, at the later bar (see SignalKind).
  double value = 0;
  double reference = 0;
  // One line, e.g. "SMA20 crossed above SMA50".
  std::string description;
};

// The signals at bar `cur` given the bar before it, `prev`: a crossing
// needs both sides' values (an indicator still inside its lookback at
// either bar signals nothing). A line that touches its reference at `prev`
// and moves past it at `cur` has crossed; one that only touches has not.
// Closes in VND.
std::vector<Crossing> DetectSignals(const indicators::Params& params,
                                    const v1::IndicatorValues& prev,
                                    double prev_close,
                                    const v1::IndicatorValues& cur,
                                    double cur_close);

}  // namespace vnstream::analytics

#endif  // VNSTREAM_SERVICES_ANALYTICS_SIGNALS_H_
