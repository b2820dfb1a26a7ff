// The simulator's virtual clock: which calendar day the sim calls "today",
// which CSV day it replays, and the virtual time, which advances at `speed`
// times real time from a start time of day. With `loop`, passing 15:00 moves
// to the next trading day and the next CSV day, at 09:00 plus the overshoot.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_SESSION_CLOCK_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_SESSION_CLOCK_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/market/calendar.h"

namespace vnstream::sim {

// What the sim serves at one instant.
struct Snapshot {
  absl::CivilDay today;  // The calendar day served as the current day.
  // Index in market::DailyData::days of the day replayed.
  int replay_index = 0;
  absl::Time now;  // Virtual time.
};

// Parses a local time of day "HH:MM" or "HH:MM:SS" in [00:00, 24:00).
absl::StatusOr<absl::Duration> ParseTimeOfDay(absl::string_view text);

// "HH:MM:SS" of a time of day.
std::string FormatTimeOfDay(absl::Duration time_of_day);

// Local (UTC+7) midnight starting `day`.
absl::Time LocalMidnight(absl::CivilDay day);

// A snapshot at local time `time_of_day` after midnight of `today`.
Snapshot MakeSnapshot(absl::CivilDay today, int replay_index,
                      absl::Duration time_of_day);

// Thread-safe.
class SessionClock {
 public:
  struct Options {
    absl::CivilDay today;
    int replay_index = 0;
    // The last CSV day index (a loop stops there).
    int last_index = 0;
    absl::Duration start_time = absl::Hours(9);  // Local time of day.
    double speed = 1;  // Virtual seconds per real second, >= 0.
    bool loop = false;
    // Trading days for the loop's next day.
    market::TradingCalendar calendar;
    // The real clock (tests substitute their own).
    std::function<absl::Time()> real_now = [] { return absl::Now(); };
  };

  explicit SessionClock(Options options);

  Snapshot Now() ABSL_LOCKS_EXCLUDED(mu_);

  // Jumps to `time_of_day` (local, since midnight) on the current day, and
  // changes the speed if given. The next Now() applies the loop.
  void Set(absl::Duration time_of_day, std::optional<double> speed)
      ABSL_LOCKS_EXCLUDED(mu_);

  double speed() ABSL_LOCKS_EXCLUDED(mu_);
  bool loop() const { return options_.loop; }

 private:
  const Options options_;
  absl::Mutex mu_;
  absl::CivilDay today_ ABSL_GUARDED_BY(mu_);
  int replay_index_ ABSL_GUARDED_BY(mu_);
  // Virtual time = anchor_virtual_ + (real now - anchor_real_) * speed_.
  absl::Time anchor_real_ ABSL_GUARDED_BY(mu_);
  absl::Time anchor_virtual_ ABSL_GUARDED_BY(mu_);
  double speed_ ABSL_GUARDED_BY(mu_);
  bool warned_end_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_SESSION_CLOCK_H_
