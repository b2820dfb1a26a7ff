// One line per performance goal (issue 17), in a form scripts/perf.sh
// collects from every benchmark of a run into one table:
//   GOAL <tab> goal <tab> measured <tab> target <tab> met
// e.g. "GOAL	fan-out CPU per message, gateway / bare	0.93x	<= 1.00x
// yes". Benchmarks print their full results as well; these lines only
// summarise.
#ifndef VNSTREAM_BENCH_SUPPORT_GOALS_H_
#define VNSTREAM_BENCH_SUPPORT_GOALS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vnstream::bench {

// "1.23x"; "-" when the baseline is 0 (not measured).
std::string RatioText(double value, double baseline);

// Prints the goal line: `measured` and `target` as text, met or not.
void PrintGoal(absl::string_view goal, absl::string_view measured,
               absl::string_view target, bool met);

// A ratio goal: value / baseline at most (`at_most`) or at least `limit`.
void PrintRatioGoal(absl::string_view goal, double value, double baseline,
                    bool at_most, double limit);

}  // namespace vnstream::bench

#endif  // VNSTREAM_BENCH_SUPPORT_GOALS_H_
