#include "tools/vnstock_sim/intraday.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/market/calendar.h"
#include "libs/market/exchange.h"
#include "tools/vnstock_sim/rng.h"

namespace vnstream::sim {
namespace {

constexpr v1::Exchange kHose = v1::EXCHANGE_HOSE;
constexpr int64_t kLot = 100;  // Shares in a round lot.
// Shares of the day's volume matched in the opening and closing auctions.
constexpr double kAtoShare = 0.04;
constexpr double kAtcShare = 0.07;
constexpr int64_t kMaxTradesPerMinute = 30;

// Splits `total` into parts proportional to `weights` by rounding the
// cumulative sums, so the parts are >= 0 and add up to `total` exactly.
std::vector<int64_t> Apportion(int64_t total,
                               const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<int64_t> parts(weights.size());
  double cumulative = 0;
  int64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    cumulative += weights[i];
    const int64_t upto =
        i + 1 == weights.size()
            ? total
            : std::min<int64_t>(total, std::llround(total * cumulative / sum));
    parts[i] = std::max<int64_t>(0, upto - assigned);
    assigned += parts[i];
  }
  return parts;
}

// Moves one lot to minute `to` from the minute holding the most lots that
// can spare one (an auction minute keeps at least one).
void GiveOneLot(size_t to, size_t ato, size_t atc, std::vector<int64_t>& lots) {
  size_t donor = to;
  for (size_t i = 0; i < lots.size(); ++i) {
    const int64_t keep = (i == ato || i == atc) ? 1 : 0;
    if (i != to && lots[i] > keep && (donor == to || lots[i] > lots[donor])) {
      donor = i;
    }
  }
  --lots[donor];
  ++lots[to];
}

// Splits `lots` over `trades` trades, each at least one lot; with
// `auction_first` the first trade (the ATO match) takes about 60 %.
std::vector<int64_t> SplitLots(int64_t lots, int64_t trades, bool auction_first,
                               Rng& rng) {
  std::vector<double> weights(trades);
  for (double& w : weights) w = 1e-9 - std::log(1.0 - rng.Uniform());
  if (auction_first && trades > 1) {
    weights[0] = 1.5 * std::accumulate(weights.begin() + 1, weights.end(), 0.0);
  }
  std::vector<int64_t> split = Apportion(lots - trades, weights);
  for (int64_t& s : split) ++s;
  return split;
}

// `count` sorted seconds in [first, 59].
std::vector<int> SortedSeconds(int64_t count, int first, Rng& rng) {
  std::vector<int> seconds(count);
  for (int& s : seconds) s = static_cast<int>(rng.UniformInt(first, 59));
  std::sort(seconds.begin(), seconds.end());
  return seconds;
}

}  // namespace

absl::string_view SideName(Side side) {
  switch (side) {
    case Side::kBuy:
      return "b";
    case Side::kSell:
      return "s";
    case Side::kAuction:
      break;
  }
  return "unknown";
}

int64_t ReferencePrice(int64_t previous_close) {
  return market::RoundToTick(kHose, previous_close);
}

DayReplay BuildDayReplay(absl::string_view symbol, int symbol_index,
                         const market::DailyBar& day,
                         std::optional<int64_t> previous_close) {
  Rng rng(SeedFrom(absl::StrCat(symbol, "|", absl::FormatCivilTime(day.date))));
  DayReplay replay;
  replay.reference = ReferencePrice(previous_close.value_or(day.open));
  replay.ceiling = market::CeilingPrice(kHose, replay.reference);
  replay.floor = market::FloorPrice(kHose, replay.reference);
  auto tradeable = [&replay](int64_t price) {
    return std::clamp(market::RoundToTick(kHose, price), replay.floor,
                      replay.ceiling);
  };
  replay.open = tradeable(day.open);
  replay.high = tradeable(day.high);
  replay.low = tradeable(day.low);
  replay.close = tradeable(day.close);

  // Every valid price from the low to the high: the path moves on this
  // ladder, so each trade is on a tick and inside the day's range.
  std::vector<int64_t> ladder;
  for (int64_t p = replay.low; p <= replay.high;
       p += market::TickSize(kHose, p)) {
    ladder.push_back(p);
  }
  auto rung = [&ladder](int64_t price) {
    return static_cast<int>(
        std::lower_bound(ladder.begin(), ladder.end(), price) - ladder.begin());
  };
  const int top = static_cast<int>(ladder.size()) - 1;

  // Trades the day needs: the open and the close, plus the high and the low
  // when they differ from both; a flat day needs one.
  const bool high_inside =
      replay.high != replay.open && replay.high != replay.close;
  const bool low_inside =
      replay.low != replay.open && replay.low != replay.close;
  const int64_t min_trades = top == 0 ? 1 : 2 + high_inside + low_inside;
  const int64_t lots = std::max((day.volume + kLot / 2) / kLot, min_trades);
  replay.volume = lots * kLot;

  // Lots per bar minute: a U-shaped profile with noise over the continuous
  // session, fixed shares for the two auctions.
  const std::vector<absl::CivilMinute> minutes =
      market::BarMinutes(kHose, day.date);
  const size_t n = minutes.size();
  const size_t ato = 0;
  const size_t atc = n - 1;
  std::vector<double> weights(n);
  double continuous = 0;
  for (size_t i = 1; i < atc; ++i) {
    const double x =
        2.0 * static_cast<double>(i - 1) / static_cast<double>(n - 3) - 1.0;
    weights[i] = (0.5 + 2.0 * x * x) * std::exp(0.4 * rng.Normal());
    continuous += weights[i];
  }
  weights[ato] = continuous * kAtoShare / (1 - kAtoShare - kAtcShare);
  weights[atc] = continuous * kAtcShare / (1 - kAtoShare - kAtcShare);
  std::vector<int64_t> minute_lots = Apportion(lots, weights);
  if (lots == 1) {
    std::fill(minute_lots.begin(), minute_lots.end(), 0);
    minute_lots[ato] = 1;
  } else {
    // Both auctions always match something.
    if (minute_lots[ato] == 0) GiveOneLot(ato, ato, atc, minute_lots);
    if (minute_lots[atc] == 0) GiveOneLot(atc, ato, atc, minute_lots);
  }

  // Trades per minute: one ATC match; elsewhere ~sqrt(lots), at most one
  // trade per lot.
  std::vector<int64_t> minute_trades(n, 0);
  int64_t total_trades = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t q = minute_lots[i];
    if (q == 0) continue;
    const int64_t k =
        i == atc ? 1
                 : std::clamp<int64_t>(
                       std::llround(1 + std::sqrt(static_cast<double>(q)) *
                                            (0.5 + rng.Uniform())),
                       1, std::min(q, kMaxTradesPerMinute));
    minute_trades[i] = k;
    total_trades += k;
  }
  while (total_trades < min_trades) {
    size_t spare = 0;
    while (spare < atc &&
           minute_trades[spare] >=
               std::min(minute_lots[spare], kMaxTradesPerMinute)) {
      ++spare;
    }
    if (spare < atc) {
      ++minute_trades[spare];
      ++total_trades;
      continue;
    }
    // Every lot outside the closing auction is a trade already, so the
    // auction holds more than one lot: move one into the session.
    --minute_lots[atc];
    ++minute_lots[1];
    if (minute_trades[1] == 0) {
      minute_trades[1] = 1;
      ++total_trades;
    }
  }

  // The price path, as rungs of the ladder per trade: anchors at the open
  // (first trade), the close (last trade) and the high and low (random
  // trades in between), Brownian bridges between anchors.
  const int64_t k_total = total_trades;
  std::vector<int> rungs(k_total);
  std::vector<std::pair<int64_t, int>> anchors = {{0, rung(replay.open)}};
  if (k_total > 1) anchors.emplace_back(k_total - 1, rung(replay.close));
  int64_t high_at = -1;
  if (high_inside) {
    high_at = rng.UniformInt(1, k_total - 2);
    anchors.emplace_back(high_at, top);
  }
  if (low_inside) {
    int64_t low_at;
    do {
      low_at = rng.UniformInt(1, k_total - 2);
    } while (low_at == high_at);
    anchors.emplace_back(low_at, 0);
  }
  std::sort(anchors.begin(), anchors.end());
  const double sigma =
      std::max(0.35, 0.5 * top / std::sqrt(static_cast<double>(k_total)));
  rungs[0] = anchors[0].second;
  for (size_t a = 0; a + 1 < anchors.size(); ++a) {
    const auto [from, from_rung] = anchors[a];
    const auto [to, to_rung] = anchors[a + 1];
    const int64_t length = to - from;
    std::vector<double> walk(length + 1, 0.0);
    for (int64_t j = 1; j <= length; ++j) {
      walk[j] = walk[j - 1] + sigma * rng.Normal();
    }
    for (int64_t j = 1; j < length; ++j) {
      const double f = static_cast<double>(j) / static_cast<double>(length);
      const double x =
          from_rung + (to_rung - from_rung) * f + walk[j] - walk[length] * f;
      rungs[from + j] =
          static_cast<int>(std::clamp<int64_t>(std::llround(x), 0, top));
    }
    rungs[to] = to_rung;
  }

  // Trades: volumes, times, sides, foreign participation, running totals.
  const double foreign_buy_share = 0.03 + 0.2 * rng.Uniform();
  const double foreign_sell_share = 0.03 + 0.2 * rng.Uniform();
  const int64_t id_base =
      (day.date - absl::CivilDay(1970, 1, 1)) * 1'000'000'000 +
      static_cast<int64_t>(symbol_index) * 100'000;
  const absl::CivilMinute midnight(day.date);
  replay.trades.reserve(k_total);
  int64_t position = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t k = minute_trades[i];
    if (k == 0) continue;
    const std::vector<int64_t> volumes =
        SplitLots(minute_lots[i], k, i == ato, rng);
    std::vector<int> seconds;
    if (i == ato) {
      seconds = SortedSeconds(k - 1, 1, rng);
      seconds.insert(seconds.begin(), 0);  // The ATO match at 09:15:00.
    } else {
      seconds = i == atc ? std::vector<int>{0} : SortedSeconds(k, 0, rng);
    }
    const int minute_start = static_cast<int>(minutes[i] - midnight) * 60;
    for (int64_t t = 0; t < k; ++t, ++position) {
      Trade trade;
      trade.id = id_base + position;
      trade.second_of_day = minute_start + seconds[t];
      trade.price = ladder[rungs[position]];
      trade.volume = volumes[t] * kLot;
      const Trade* previous =
          replay.trades.empty() ? nullptr : &replay.trades.back();
      if (position == 0 || position == k_total - 1) {
        trade.side = Side::kAuction;
      } else if (trade.price != previous->price) {
        trade.side = trade.price > previous->price ? Side::kBuy : Side::kSell;
      } else {
        trade.side = rng.Uniform() < 0.5 ? Side::kBuy : Side::kSell;
      }
      const bool foreign_buy = rng.Uniform() < foreign_buy_share;
      const bool foreign_sell = rng.Uniform() < foreign_sell_share;
      trade.total_volume = trade.volume;
      trade.total_value = trade.price * trade.volume;
      trade.high = trade.low = trade.price;
      trade.foreign_buy = foreign_buy ? trade.volume : 0;
      trade.foreign_sell = foreign_sell ? trade.volume : 0;
      if (previous != nullptr) {
        trade.total_volume += previous->total_volume;
        trade.total_value += previous->total_value;
        trade.high = std::max(trade.high, previous->high);
        trade.low = std::min(trade.low, previous->low);
        trade.foreign_buy += previous->foreign_buy;
        trade.foreign_sell += previous->foreign_sell;
      }
      replay.trades.push_back(trade);
    }
  }
  return replay;
}

}  // namespace vnstream::sim
