// Assembles the simulator from its settings: loads the CSV, resolves the
// sim's today and the replayed CSV day, and builds the market, the virtual
// clock and the fault injector.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_SIMULATOR_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/vnstock_sim/faults.h"
#include "tools/vnstock_sim/market.h"
#include "tools/vnstock_sim/session_clock.h"

namespace vnstream::sim {

// The settings, as the flags of vnstock-sim spell them (see main.cc).
struct SimOptions {
  std::string csv;
  // YYYY-MM-DD, a trading day; empty = the latest trading day at or before
  // the current date in Vietnam.
  std::string today;
  std::string start_time = "09:00";  // HH:MM[:SS], local.
  double speed = 1;                  // >= 0; 0 freezes the clock.
  std::string replay_date;           // A CSV date; empty = the last one.
  bool loop = false;
  std::vector<std::string> faults;  // ParseFaultSpec syntax.
  uint64_t fault_seed = 1;
  // CSV symbols delisted from the start (SimMarket::SetListed).
  std::vector<std::string> delisted;
  // The real clock (tests substitute their own).
  std::function<absl::Time()> real_now = [] { return absl::Now(); };
};

class Simulator {
 public:
  // InvalidArgument/NotFound with a message naming the bad setting.
  static absl::StatusOr<std::unique_ptr<Simulator>> Create(
      const SimOptions& options);

  SimMarket& market() { return *market_; }
  SessionClock& clock() { return *clock_; }
  FaultInjector& faults() { return faults_; }

 private:
  Simulator(std::unique_ptr<SimMarket> market,
            std::unique_ptr<SessionClock> clock, uint64_t fault_seed)
      : market_(std::move(market)),
        clock_(std::move(clock)),
        faults_(fault_seed) {}

  std::unique_ptr<SimMarket> market_;
  std::unique_ptr<SessionClock> clock_;
  FaultInjector faults_;
};

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_SIMULATOR_H_
