#include "services/analytics/breadth.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/market/decimal.h"

namespace vnstream::analytics {
namespace {

v1::Mover MoverOf(const v1::Quote& q) {
  v1::Mover m;
  m.set_symbol(q.meta().symbol());
  m.set_exchange(q.exchange());
  *m.mutable_last_price() = q.last_price();
  *m.mutable_percent_change() = q.percent_change();
  *m.mutable_total_value() = q.total_value();
  m.set_total_volume(q.total_volume());
  return m;
}

// The first `n` of `quotes` by `before` (a strict order), as movers.
template <typename Less>
void Top(std::vector<const v1::Quote*> quotes, int n, Less before,
         google::protobuf::RepeatedPtrField<v1::Mover>* out) {
  const size_t k = std::min(quotes.size(), static_cast<size_t>(n));
  std::partial_sort(quotes.begin(), quotes.begin() + static_cast<long>(k),
                    quotes.end(), before);
  for (size_t i = 0; i < k; ++i) *out->Add() = MoverOf(*quotes[i]);
}

bool BySymbol(const v1::Quote* a, const v1::Quote* b) {
  return a->meta().symbol() < b->meta().symbol();
}

}  // namespace

absl::StatusOr<GroupMap> ParseGroups(const std::vector<std::string>& items) {
  GroupMap groups;
  for (const std::string& item : items) {
    const std::vector<std::string> parts = absl::StrSplit(item, '=');
    const std::string name =
        parts.empty() ? "" : std::string(absl::StripAsciiWhitespace(parts[0]));
    if (parts.size() != 2 || name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("group '", item, "': expected GROUP=SYMBOL SYMBOL ..."));
    }
    std::set<std::string>& members = groups[name];
    for (absl::string_view symbol :
         absl::StrSplit(parts[1], ' ', absl::SkipWhitespace())) {
      members.insert(absl::AsciiStrToUpper(symbol));
    }
    if (members.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("group '", name, "' has no symbols"));
    }
  }
  return groups;
}

std::string ExchangeScope(v1::Exchange exchange) {
  switch (exchange) {
    case v1::EXCHANGE_HOSE:
      return "HOSE";
    case v1::EXCHANGE_HNX:
      return "HNX";
    case v1::EXCHANGE_UPCOM:
      return "UPCOM";
    default:
      return "";
  }
}

bool CountsInBreadth(v1::InstrumentType type) {
  return type == v1::INSTRUMENT_TYPE_UNSPECIFIED ||
         type == v1::INSTRUMENT_TYPE_STOCK || type == v1::INSTRUMENT_TYPE_ETF;
}

v1::MarketBreadth ComputeBreadth(std::span<const v1::Quote* const> quotes) {
  v1::MarketBreadth b;
  __int128 value = 0;
  __int128 foreign_net = 0;
  std::vector<const v1::Quote*> gainers, losers, traded;
  for (const v1::Quote* q : quotes) {
    b.set_symbols(b.symbols() + 1);
    b.set_total_volume(b.total_volume() + q->total_volume());
    value += market::ToNanos(q->total_value());
    b.set_foreign_buy_volume(b.foreign_buy_volume() + q->foreign_buy_volume());
    b.set_foreign_sell_volume(b.foreign_sell_volume() +
                              q->foreign_sell_volume());
    // Foreign net value: net shares x the day's average matched price (the
    // last price when the upstream reports no average).
    const v1::Decimal& price =
        q->has_average_price() ? q->average_price() : q->last_price();
    foreign_net += static_cast<__int128>(q->foreign_buy_volume() -
                                         q->foreign_sell_volume()) *
                   market::ToNanos(price);
    if (!q->has_last_price() || q->total_volume() == 0) {
      b.set_no_trade(b.no_trade() + 1);
      continue;
    }
    if (q->has_reference_price() && !market::IsZero(q->reference_price())) {
      const int c = market::Compare(q->last_price(), q->reference_price());
      if (c > 0) {
        b.set_advancers(b.advancers() + 1);
      } else if (c < 0) {
        b.set_decliners(b.decliners() + 1);
      } else {
        b.set_unchanged(b.unchanged() + 1);
      }
    }
    if (q->has_ceiling_price() && !market::IsZero(q->ceiling_price()) &&
        market::Compare(q->last_price(), q->ceiling_price()) >= 0) {
      b.set_ceiling(b.ceiling() + 1);
    }
    if (q->has_floor_price() && !market::IsZero(q->floor_price()) &&
        market::Compare(q->last_price(), q->floor_price()) <= 0) {
      b.set_floor(b.floor() + 1);
    }
    traded.push_back(q);
    if (q->has_percent_change()) {
      if (market::IsNegative(q->percent_change())) {
        losers.push_back(q);
      } else if (!market::IsZero(q->percent_change())) {
        gainers.push_back(q);
      }
    }
  }
  *b.mutable_total_value() = market::FromNanos(value);
  *b.mutable_foreign_net_value() = market::FromNanos(foreign_net);
  // Ties go to the symbol first in alphabetical order, so every replica
  // ranks the same way.
  Top(
      std::move(gainers), market::kBreadthTopMovers,
      [](const v1::Quote* a, const v1::Quote* b) {
        const int c = market::Compare(a->percent_change(), b->percent_change());
        return c != 0 ? c > 0 : BySymbol(a, b);
      },
      b.mutable_top_gainers());
  Top(
      std::move(losers), market::kBreadthTopMovers,
      [](const v1::Quote* a, const v1::Quote* b) {
        const int c = market::Compare(a->percent_change(), b->percent_change());
        return c != 0 ? c < 0 : BySymbol(a, b);
      },
      b.mutable_top_losers());
  Top(
      std::move(traded), market::kBreadthTopMovers,
      [](const v1::Quote* a, const v1::Quote* b) {
        const int c = market::Compare(a->total_value(), b->total_value());
        return c != 0 ? c > 0 : BySymbol(a, b);
      },
      b.mutable_top_by_value());
  return b;
}

}  // namespace vnstream::analytics
