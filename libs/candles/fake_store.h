// An in-memory CandleStore for tests: bars per (table, symbol), handed to
// Scan three at a time (so scans cross chunks), types per symbol, and a
// failure to return from every call.
#ifndef VNSTREAM_LIBS_CANDLES_FAKE_STORE_H_
#define VNSTREAM_LIBS_CANDLES_FAKE_STORE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "libs/candles/query.h"

namespace vnstream::candles {

class FakeStore : public CandleStore {
 public:
  absl::Status Scan(
      BarTable table, const std::string& symbol, absl::Time from, absl::Time to,
      absl::Time deadline,
      const std::function<bool(absl::Span<const Bar>)>& visit) override {
    ++scans;
    if (!failure.ok()) return failure;
    std::vector<Bar> chunk;
    for (const Bar& bar : Of(table, symbol)) {
      if (bar.start < from || bar.start >= to) continue;
      chunk.push_back(bar);
      if (chunk.size() == 3) {
        if (!visit(chunk)) return absl::OkStatus();
        chunk.clear();
      }
    }
    if (!chunk.empty()) visit(chunk);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Bar>> Before(BarTable table,
                                          const std::string& symbol,
                                          absl::Time before, int limit,
                                          absl::Time deadline) override {
    if (!failure.ok()) return failure;
    std::vector<Bar> out;
    for (const Bar& bar : Of(table, symbol)) {
      if (bar.start < before) out.push_back(bar);
    }
    if (static_cast<int>(out.size()) > limit) {
      out.erase(out.begin(), out.end() - limit);
    }
    return out;
  }
  absl::StatusOr<std::optional<v1::InstrumentType>> InstrumentType(
      const std::string& symbol, absl::Time deadline) override {
    if (!failure.ok()) return failure;
    auto it = types.find(symbol);
    if (it == types.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<bool> HasBars(const std::string& symbol,
                               absl::Time deadline) override {
    return !Of(BarTable::kMinute, symbol).empty() ||
           !Of(BarTable::kDaily, symbol).empty();
  }

  std::map<std::pair<BarTable, std::string>, std::vector<Bar>> bars;
  std::map<std::string, v1::InstrumentType> types;
  absl::Status failure;
  int scans = 0;

 private:
  // Looked up without adding entries: the reads of any symbol (a fuzzer's)
  // leave `bars` as it was.
  const std::vector<Bar>& Of(BarTable table, const std::string& symbol) const {
    static const std::vector<Bar>* const kNone = new std::vector<Bar>;
    auto it = bars.find({table, symbol});
    return it == bars.end() ? *kNone : it->second;
  }
};

}  // namespace vnstream::candles

#endif  // VNSTREAM_LIBS_CANDLES_FAKE_STORE_H_
