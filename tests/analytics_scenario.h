// A market scenario for analytics' tests through a real broker: inputs on
// every input topic (daily histories, 1-minute bars with revisions over
// three trading days, quotes) in three phases, the outputs a single
// in-process AnalyticsProcessor computes from them, and a check of the
// committed outputs: exactly one output per input, the same numbers, every
// signal once, breadth partials without gaps or duplicates whose totals
// are the final quotes' breadth.
#ifndef VNSTREAM_TESTS_ANALYTICS_SCENARIO_H_
#define VNSTREAM_TESTS_ANALYTICS_SCENARIO_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/publisher.h"
#include "tests/support/service_process.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream::testing {

inline constexpr int kPhases = 3;

// The six VN30 stocks of the scenario's daily histories: analytics' VN30
// group as StartAnalytics starts it (so a test feeding other inputs, e.g.
// the real ingest's, polls these for the same breadth scopes).
const std::vector<std::string>& GroupSymbols();

struct Inputs {
  std::vector<v1::DailyHistory> histories;
  std::vector<v1::IntradayBar> bars;
  std::vector<v1::Quote> quotes;

  void Append(const Inputs& other);
  size_t size() const { return histories.size() + bars.size() + quotes.size(); }
};

// Inputs of phase 0, 1 or 2: phase k has the histories seq 5k+1..5k+5 of 6
// real VN30 series, trading day k's 1-minute bars (60 minutes of 7 symbols,
// each published in progress and then final) and 7 quote updates per
// symbol (one HNX symbol, ceiling and floor prices reached).
absl::StatusOr<Inputs> Phase(int phase);

// Publishes `inputs` (key = symbol, librdkafka's partitioner) and waits for
// the acknowledgements.
absl::Status Publish(kafka::Publisher& publisher, const Inputs& inputs);

// One committed record of a topic.
struct Committed {
  int32_t partition = 0;
  std::string key;
  std::string value;
};

// Every committed record of `topic` (read_committed, every partition to its
// end).
std::vector<Committed> ReadCommitted(const std::string& brokers,
                                     const std::string& topic);

// Every committed record of the three input topics (stock-historical,
// stock-intraday, stock-prices), decoded, in each partition's order: the
// inputs ingest actually published, for ExpectExactlyOnce.
absl::StatusOr<Inputs> ReadInputs(const std::string& brokers);

// Starts vnstream-analytics against `brokers` with `args` added.
absl::StatusOr<ServiceProcess> StartAnalytics(
    const std::string& brokers, const std::string& name,
    const std::string& transactional_id,
    const std::vector<std::string>& args = {});

// What was committed, per output topic.
struct OutputCounts {
  size_t analytics = 0, intraday = 0, market = 0, signals = 0;
};

// Waits (up to `timeout`) until the committed outputs are exactly what
// `inputs` should give, then checks them with gtest expectations: one
// stock-analytics and one stock-intraday-analytics record per input with
// the in-process processor's numbers, the processor's signals each once
// with seqs 1..n per symbol, breadth partials with seqs 1..n per (scope,
// partition) whose newest ones add up to the breadth of the final quotes.
// (Whether there are signals at all depends on the inputs: the caller's
// check, on the returned counts.)
OutputCounts ExpectExactlyOnce(const std::string& brokers, const Inputs& inputs,
                               absl::Duration timeout = absl::Seconds(300));

}  // namespace vnstream::testing

#endif  // VNSTREAM_TESTS_ANALYTICS_SCENARIO_H_
