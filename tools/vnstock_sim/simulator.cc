#include "tools/vnstock_sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/base/logging.h"
#include "libs/market/calendar.h"
#include "libs/market/daily_csv.h"
#include "libs/market/exchange.h"

namespace vnstream::sim {
namespace {

absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view flag,
                                        absl::string_view text) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, " is not YYYY-MM-DD"));
  }
  return day;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Simulator>> Simulator::Create(
    const SimOptions& options) {
  absl::StatusOr<market::DailyData> data = market::LoadDailyCsv(options.csv);
  if (!data.ok()) return data.status();
  // Days off by a rounding unit are served normalised (/sim/state counts
  // them); logged once per symbol.
  for (const market::SymbolHistory& history : data->symbols) {
    if (history.normalised == 0) continue;
    spdlog::warn(
        "{}: {}: {} day(s) off by a rounding unit kept, normalised; "
        "first {}",
        options.csv, history.symbol, history.normalised,
        history.first_normalised);
  }
  auto market = std::make_unique<SimMarket>(*std::move(data));
  for (const std::string& symbol : options.delisted) {
    if (absl::Status s =
            market->SetListed(market::NormalizeSymbol(symbol), false);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--delisted: ", s.message()));
    }
  }
  const std::vector<absl::CivilDay>& days = market->data().days;

  SessionClock::Options clock;
  clock.last_index = static_cast<int>(days.size()) - 1;
  clock.replay_index = clock.last_index;
  if (!options.replay_date.empty()) {
    absl::StatusOr<absl::CivilDay> day =
        ParseDay("replay_date", options.replay_date);
    if (!day.ok()) return day.status();
    auto it = std::lower_bound(days.begin(), days.end(), *day);
    if (it == days.end() || *it != *day) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--replay_date=", options.replay_date, " is not a date of ",
          options.csv, " (", absl::FormatCivilTime(days.front()), " .. ",
          absl::FormatCivilTime(days.back()), ")"));
    }
    clock.replay_index = static_cast<int>(it - days.begin());
  }

  clock.calendar = market->calendar();
  if (options.today.empty()) {
    clock.today = clock.calendar.LatestTradingDay(
        absl::ToCivilDay(options.real_now(), market::VietnamTime()));
  } else {
    absl::StatusOr<absl::CivilDay> day = ParseDay("today", options.today);
    if (!day.ok()) return day.status();
    if (!clock.calendar.IsTradingDay(*day)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--today=", options.today,
          " is not a trading day (a weekend, or a weekday the CSV skips)"));
    }
    clock.today = *day;
  }

  absl::StatusOr<absl::Duration> start = ParseTimeOfDay(options.start_time);
  if (!start.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--start_time: ", start.status().message()));
  }
  clock.start_time = *start;
  if (!std::isfinite(options.speed) || options.speed < 0) {
    return absl::InvalidArgumentError("--speed must be >= 0");
  }
  clock.speed = options.speed;
  clock.loop = options.loop;
  clock.real_now = options.real_now;

  std::vector<FaultRule> rules;
  for (const std::string& spec : options.faults) {
    absl::StatusOr<FaultRule> rule = ParseFaultSpec(spec);
    if (!rule.ok()) return rule.status();
    rules.push_back(*std::move(rule));
  }
  std::unique_ptr<Simulator> sim(new Simulator(
      std::move(market), std::make_unique<SessionClock>(std::move(clock)),
      options.fault_seed));
  for (FaultRule& rule : rules) sim->faults().Add(std::move(rule));
  return sim;
}

}  // namespace vnstream::sim
