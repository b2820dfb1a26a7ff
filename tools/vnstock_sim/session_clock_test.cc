#include "tools/vnstock_sim/session_clock.h"

#include "gtest/gtest.h"

namespace vnstream::sim {
namespace {

// A real clock that moves only when told to.
class FakeRealClock {
 public:
  absl::Time Now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

absl::Duration TimeOfDay(const Snapshot& s) {
  return s.now - LocalMidnight(s.today);
}

SessionClock::Options Options(FakeRealClock& real) {
  SessionClock::Options options;
  options.today = absl::CivilDay(2019, 6, 13);  // A Thursday.
  options.replay_index = 10;
  options.last_index = 12;
  options.start_time = absl::Hours(9);
  options.speed = 60;
  options.real_now = [&real] { return real.Now(); };
  return options;
}

TEST(SessionClockTest, AdvancesAtSpeedFromTheStartTime) {
  FakeRealClock real;
  SessionClock clock(Options(real));
  Snapshot s = clock.Now();
  EXPECT_EQ(s.today, absl::CivilDay(2019, 6, 13));
  EXPECT_EQ(s.replay_index, 10);
  EXPECT_EQ(s.now, absl::FromCivil(absl::CivilSecond(2019, 6, 13, 9, 0, 0),
                                   absl::FixedTimeZone(7 * 3600)));
  real.Advance(absl::Seconds(90));
  EXPECT_EQ(TimeOfDay(clock.Now()), absl::Hours(10) + absl::Minutes(30));
  // Without --loop the day stays, past the close.
  real.Advance(absl::Hours(1));
  s = clock.Now();
  EXPECT_EQ(s.today, absl::CivilDay(2019, 6, 13));
  EXPECT_EQ(TimeOfDay(s), absl::Hours(70) + absl::Minutes(30));
}

TEST(SessionClockTest, SetJumpsAndChangesSpeed) {
  FakeRealClock real;
  SessionClock clock(Options(real));
  clock.Set(absl::Hours(15) + absl::Minutes(5), 0.0);
  EXPECT_EQ(clock.speed(), 0);
  real.Advance(absl::Hours(2));
  EXPECT_EQ(TimeOfDay(clock.Now()), absl::Hours(15) + absl::Minutes(5));
  clock.Set(absl::Hours(10), std::nullopt);
  real.Advance(absl::Hours(2));
  EXPECT_EQ(TimeOfDay(clock.Now()), absl::Hours(10));
}

TEST(SessionClockTest, LoopMovesToTheNextTradingDayAtNine) {
  FakeRealClock real;
  SessionClock::Options options = Options(real);
  options.loop = true;
  // Friday 2019-06-14 is a holiday in this calendar: Thursday -> Monday.
  options.calendar = market::TradingCalendar({absl::CivilDay(2019, 6, 14)});
  SessionClock clock(std::move(options));
  real.Advance(absl::Minutes(6) + absl::Seconds(1));  // 15:01 virtual.
  Snapshot s = clock.Now();
  EXPECT_EQ(s.today, absl::CivilDay(2019, 6, 17));
  EXPECT_EQ(s.replay_index, 11);
  EXPECT_EQ(TimeOfDay(s), absl::Hours(9) + absl::Minutes(1));
  // Setting the clock past the close loops too.
  clock.Set(absl::Hours(15) + absl::Minutes(5), 0.0);
  s = clock.Now();
  EXPECT_EQ(s.today, absl::CivilDay(2019, 6, 18));
  EXPECT_EQ(s.replay_index, 12);
  EXPECT_EQ(TimeOfDay(s), absl::Hours(9) + absl::Minutes(5));
  // At the CSV's last day the loop stops: the day stays closed.
  clock.Set(absl::Hours(16), std::nullopt);
  s = clock.Now();
  EXPECT_EQ(s.today, absl::CivilDay(2019, 6, 18));
  EXPECT_EQ(s.replay_index, 12);
  EXPECT_EQ(TimeOfDay(s), absl::Hours(16));
}

TEST(SessionClockTest, ParsesAndFormatsTimesOfDay) {
  EXPECT_EQ(*ParseTimeOfDay("09:00"), absl::Hours(9));
  EXPECT_EQ(*ParseTimeOfDay("15:05:30"),
            absl::Hours(15) + absl::Minutes(5) + absl::Seconds(30));
  for (const char* bad : {"", "9:00", "24:00", "10:60", "10:30:61", "10-30",
                          "10:30:00:00", "ab:cd"}) {
    EXPECT_FALSE(ParseTimeOfDay(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatTimeOfDay(absl::Hours(9) + absl::Seconds(5)), "09:00:05");
}

}  // namespace
}  // namespace vnstream::sim
