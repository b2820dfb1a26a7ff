// A whole market (~1,600 symbols) for benchmarks, made from the repo's
// real VN30 daily prices: synthetic tickers, each replaying one real
// series, so vnstock-sim and Kafka see a realistic number of symbols with
// real price paths, tick sizes and volumes.
#ifndef VNSTREAM_BENCH_SUPPORT_SYNTHETIC_MARKET_H_
#define VNSTREAM_BENCH_SUPPORT_SYNTHETIC_MARKET_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"

namespace vnstream::bench {

// `count` distinct valid tickers: "AAA", "AAB", ... (3 upper-case letters,
// at most 26^3).
std::vector<std::string> SyntheticSymbols(int count);

// Writes to `out_path` a CSV in the format of data/vn30 (vnstock-sim's
// --csv) whose symbol i is SyntheticSymbols(count)[i] with the rows of the
// source's i-th symbol (modulo the source's symbol count, sorted by
// ticker) dated `from` or later. The first 30 symbols are marked VN30 (the
// `index` column), so vnstock-sim's VN30 group and index have members.
absl::Status WriteSyntheticCsv(const std::string& source_csv, int count,
                               absl::CivilDay from,
                               const std::string& out_path);

}  // namespace vnstream::bench

#endif  // VNSTREAM_BENCH_SUPPORT_SYNTHETIC_MARKET_H_
