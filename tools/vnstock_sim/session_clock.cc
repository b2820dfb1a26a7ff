#include "tools/vnstock_sim/session_clock.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/base/logging.h"

namespace vnstream::sim {
namespace {

constexpr absl::Duration kOpen = absl::Hours(9);
constexpr absl::Duration kClose = absl::Hours(15);

}  // namespace

absl::StatusOr<absl::Duration> ParseTimeOfDay(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int fields[3] = {0, 0, 0};
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (size_t i = 0; ok && i < parts.size(); ++i) {
    ok = parts[i].size() == 2 && absl::SimpleAtoi(parts[i], &fields[i]) &&
         fields[i] >= 0 && fields[i] < (i == 0 ? 24 : 60);
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time of day '", text, "' is not HH:MM or HH:MM:SS (00:00-23:59:59)"));
  }
  return absl::Hours(fields[0]) + absl::Minutes(fields[1]) +
         absl::Seconds(fields[2]);
}

std::string FormatTimeOfDay(absl::Duration time_of_day) {
  const int64_t s = absl::ToInt64Seconds(time_of_day);
  return absl::StrFormat("%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
}

absl::Time LocalMidnight(absl::CivilDay day) {
  return absl::FromCivil(absl::CivilSecond(day), market::VietnamTime());
}

Snapshot MakeSnapshot(absl::CivilDay today, int replay_index,
                      absl::Duration time_of_day) {
  return {today, replay_index, LocalMidnight(today) + time_of_day};
}

SessionClock::SessionClock(Options options)
    : options_(std::move(options)),
      today_(options_.today),
      replay_index_(options_.replay_index),
      anchor_real_(options_.real_now()),
      anchor_virtual_(LocalMidnight(options_.today) + options_.start_time),
      speed_(options_.speed) {}

Snapshot SessionClock::Now() {
  const absl::Time real = options_.real_now();
  absl::MutexLock lock(&mu_);
  absl::Time now = anchor_virtual_ + (real - anchor_real_) * speed_;
  while (options_.loop && now >= LocalMidnight(today_) + kClose) {
    if (replay_index_ >= options_.last_index) {
      if (!warned_end_) {
        spdlog::warn("loop: no CSV day after the replayed one; staying closed");
        warned_end_ = true;
      }
      break;
    }
    const absl::Duration overshoot = now - (LocalMidnight(today_) + kClose);
    today_ = options_.calendar.NextTradingDay(today_);
    ++replay_index_;
    now = LocalMidnight(today_) + kOpen + overshoot;
    anchor_real_ = real;
    anchor_virtual_ = now;
    spdlog::info("loop: new trading day {} (CSV day #{})",
                 absl::FormatCivilTime(today_), replay_index_);
  }
  return {today_, replay_index_, now};
}

void SessionClock::Set(absl::Duration time_of_day,
                       std::optional<double> speed) {
  const absl::Time real = options_.real_now();
  absl::MutexLock lock(&mu_);
  anchor_real_ = real;
  anchor_virtual_ = LocalMidnight(today_) + time_of_day;
  if (speed.has_value()) speed_ = *speed;
}

double SessionClock::speed() {
  absl::MutexLock lock(&mu_);
  return speed_;
}

}  // namespace vnstream::sim
