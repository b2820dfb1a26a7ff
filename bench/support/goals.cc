#include "bench/support/goals.h"

#include "absl/strings/str_format.h"

namespace vnstream::bench {

std::string RatioText(double value, double baseline) {
  return baseline > 0 ? absl::StrFormat("%.2fx", value / baseline) : "-";
}

void PrintGoal(absl::string_view goal, absl::string_view measured,
               absl::string_view target, bool met) {
  absl::PrintF("GOAL\t%s\t%s\t%s\t%s\n", goal, measured, target,
               met ? "yes" : "NO");
}

void PrintRatioGoal(absl::string_view goal, double value, double baseline,
                    bool at_most, double limit) {
  const bool measured = baseline > 0;
  const double ratio = measured ? value / baseline : 0;
  PrintGoal(goal, RatioText(value, baseline),
            absl::StrFormat("%s %.2fx", at_most ? "<=" : ">=", limit),
            measured && (at_most ? ratio <= limit : ratio >= limit));
}

}  // namespace vnstream::bench
