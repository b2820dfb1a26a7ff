#include "tools/vnstock_sim/indices.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace vnstream::sim {
namespace {

constexpr int kSecondsPerDay = 24 * 3600;

// value * numerator / denominator, rounded half up (all positive).
int64_t Scale(int64_t value, int64_t numerator, int64_t denominator) {
  const __int128 product = static_cast<__int128>(value) * numerator;
  return static_cast<int64_t>((2 * product + denominator) / (2 * denominator));
}

struct Spec {
  absl::string_view symbol;
  bool vn30_only;
  int64_t base;  // Hundredths of a point.
};

// Bases near the real indices' levels, so the numbers look familiar.
constexpr Spec kSpecs[] = {
    {"VNINDEX", false, 1000'00},  {"VN30", true, 1000'00},
    {"HNXINDEX", false, 200'00},  {"HNX30", true, 400'00},
    {"UPCOMINDEX", false, 80'00},
};

}  // namespace

bool InVn30(const market::SymbolHistory& history) {
  const std::string compact = absl::AsciiStrToUpper(
      absl::StrReplaceAll(history.index_name, {{" ", ""}}));
  return absl::StrContains(compact, "VN30");
}

std::vector<SimIndex> BuildIndices(const market::DailyData& data) {
  std::vector<int> all;
  std::vector<int> vn30;
  for (int i = 0; i < static_cast<int>(data.symbols.size()); ++i) {
    all.push_back(i);
    if (InVn30(data.symbols[i])) vn30.push_back(i);
  }
  if (vn30.empty()) vn30 = all;
  std::vector<SimIndex> out;
  for (const Spec& spec : kSpecs) {
    SimIndex index;
    index.info = market::FindIndex(spec.symbol);
    index.name = absl::StrCat(index.info->name, " (simulated)");
    index.constituents = spec.vn30_only ? vn30 : all;
    index.base = spec.base;
    index.days.resize(data.days.size());
    // Per constituent, its bar of the previous day and of this day.
    std::vector<const market::DailyBar*> previous(index.constituents.size());
    std::vector<size_t> next(index.constituents.size(), 0);
    const IndexDay* last = nullptr;
    for (size_t d = 0; d < data.days.size(); ++d) {
      int64_t sum[4] = {0, 0, 0, 0};  // open, high, low, close
      int64_t denominator = 0;
      int64_t volume = 0;
      bool any = false;
      for (size_t k = 0; k < index.constituents.size(); ++k) {
        const std::vector<market::DailyBar>& bars =
            data.symbols[index.constituents[k]].bars;
        const market::DailyBar* today = nullptr;
        if (next[k] < bars.size() &&
            bars[next[k]].day_index == static_cast<int>(d)) {
          today = &bars[next[k]++];
        }
        if (today == nullptr) continue;
        any = true;
        volume += today->volume;
        // The first day chains against the day's own close.
        const market::DailyBar* before = last == nullptr ? today : previous[k];
        if (before != nullptr) {
          sum[0] += today->open;
          sum[1] += today->high;
          sum[2] += today->low;
          sum[3] += today->close;
          denominator += before->close;
        }
        previous[k] = today;
      }
      // Constituents without a row today keep their last bar as "previous":
      // they rejoin against their last close.
      if (!any) {
        if (last != nullptr) {
          index.days[d] = {true,        last->close, last->close,
                           last->close, last->close, 0};
          last = &index.days[d];
        }
        continue;
      }
      const int64_t anchor = last == nullptr ? index.base : last->close;
      IndexDay& day = index.days[d];
      day.has_data = true;
      day.volume = volume;
      if (denominator == 0) {  // Only newcomers today: flat.
        day.open = day.high = day.low = day.close = anchor;
      } else {
        day.open = Scale(anchor, sum[0], denominator);
        day.high = Scale(anchor, sum[1], denominator);
        day.low = Scale(anchor, sum[2], denominator);
        day.close = Scale(anchor, sum[3], denominator);
      }
      last = &day;
    }
    out.push_back(std::move(index));
  }
  return out;
}

std::vector<IndexPoint> IndexPoints(
    int64_t previous_close, const std::vector<const DayReplay*>& replays) {
  // The sum of the constituents' last prices changes only at trades:
  // accumulate the changes per second, then walk the day once.
  int64_t reference_sum = 0;
  std::vector<int64_t> delta(kSecondsPerDay, 0);
  std::vector<int64_t> volume(kSecondsPerDay, 0);
  std::vector<bool> traded(kSecondsPerDay, false);
  for (const DayReplay* replay : replays) {
    if (replay == nullptr) continue;
    reference_sum += replay->reference;
    int64_t last = replay->reference;
    for (const Trade& trade : replay->trades) {
      const int s = std::clamp(trade.second_of_day, 0, kSecondsPerDay - 1);
      delta[s] += trade.price - last;
      volume[s] += trade.volume;
      traded[s] = true;
      last = trade.price;
    }
  }
  std::vector<IndexPoint> points;
  int64_t sum = reference_sum;
  for (int s = 0; s < kSecondsPerDay; ++s) {
    if (!traded[s]) continue;
    sum += delta[s];
    points.push_back({s, Scale(previous_close, sum, reference_sum), volume[s]});
  }
  return points;
}

}  // namespace vnstream::sim
