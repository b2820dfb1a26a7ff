#include "libs/market/daily_csv.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vnstream::market {
namespace {

using ::testing::HasSubstr;

constexpr char kCsv[] = "data/vn30/vn30-daily-2016-2019.csv";
constexpr char kHeader[] =
    "date,change_per,close,high,index,low,name,open,ticket,volume\n";

const SymbolHistory* Find(const DailyData& data, absl::string_view symbol) {
  for (const SymbolHistory& h : data.symbols) {
    if (h.symbol == symbol) return &h;
  }
  return nullptr;
}

const DailyBar* FindBar(const SymbolHistory& history, absl::CivilDay day) {
  for (const DailyBar& bar : history.bars) {
    if (bar.date == day) return &bar;
  }
  return nullptr;
}

TEST(DailyCsvTest, LoadsTheVn30File) {
  absl::StatusOr<DailyData> data = LoadDailyCsv(kCsv);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->symbols.size(), 22u);
  EXPECT_EQ(data->symbols.front().symbol, "CTD");  // Sorted.
  EXPECT_EQ(data->symbols.back().symbol, "VRE");
  ASSERT_EQ(data->days.size(), 858u);
  EXPECT_EQ(data->days.front(), absl::CivilDay(2016, 1, 4));
  EXPECT_EQ(data->days.back(), absl::CivilDay(2019, 6, 14));

  const SymbolHistory* ctd = Find(*data, "CTD");
  ASSERT_NE(ctd, nullptr);
  EXPECT_EQ(ctd->name, "Cotec Construction JSC");
  EXPECT_EQ(ctd->index_name, "VN 30 (VNI30)");
  ASSERT_EQ(ctd->bars.size(), 858u);
  // Oldest first, whatever the file's order.
  EXPECT_EQ(ctd->bars.front().date, absl::CivilDay(2016, 1, 4));
  const DailyBar& last = ctd->bars.back();
  EXPECT_EQ(last.date, absl::CivilDay(2019, 6, 14));
  EXPECT_EQ(last.day_index, 857);
  EXPECT_EQ(last.open, 102500);
  EXPECT_EQ(last.high, 104300);
  EXPECT_EQ(last.low, 102000);
  EXPECT_EQ(last.close, 102300);
  EXPECT_EQ(last.volume, 468500);

  // 506599.99999999994 in the file.
  const DailyBar* noisy = FindBar(*ctd, absl::CivilDay(2019, 6, 7));
  ASSERT_NE(noisy, nullptr);
  EXPECT_EQ(noisy->volume, 506600);

  // VHM's listing day has an empty volume; TCB has 257 days.
  const SymbolHistory* vhm = Find(*data, "VHM");
  ASSERT_NE(vhm, nullptr);
  EXPECT_EQ(vhm->bars.front().date, absl::CivilDay(2018, 5, 18));
  EXPECT_EQ(vhm->bars.front().volume, 0);
  EXPECT_EQ(Find(*data, "TCB")->bars.size(), 257u);

  for (const SymbolHistory& h : data->symbols) {
    for (const DailyBar& bar : h.bars) {
      ASSERT_EQ(data->days[bar.day_index], bar.date) << h.symbol;
    }
  }
}

TEST(DailyCsvTest, AcceptsAnyColumnOrderQuotesAndCrLf) {
  absl::StatusOr<DailyData> data = ParseDailyCsv(
      "ticket,volume,name,date,open,high,low,close\r\n"
      "FPT,1000.4,\"FPT Corp, Hanoi\",2019-06-14,44600,44900,44400,44400\r\n"
      "FPT,999.6,\"Say \"\"hi\"\"\",2019-06-13,45050.0,45100,44500,44550\r\n"
      "\r\n",
      "t.csv");
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->symbols.size(), 1u);
  const SymbolHistory& fpt = data->symbols[0];
  EXPECT_EQ(fpt.name, "FPT Corp, Hanoi");  // From the newest row.
  EXPECT_EQ(fpt.index_name, "") << "no index column";
  ASSERT_EQ(fpt.bars.size(), 2u);
  EXPECT_EQ(fpt.bars[0].date, absl::CivilDay(2019, 6, 13));
  EXPECT_EQ(fpt.bars[0].open, 45050);
  EXPECT_EQ(fpt.bars[0].volume, 1000);
  EXPECT_EQ(fpt.bars[1].volume, 1000);
}

// Real adjusted prices break low <= open, close <= high by a rounding
// unit: the day is kept (dropping it would shift every indicator after
// it), high/low widened, and counted.
TEST(DailyCsvTest, KeepsBarsOffByARoundingUnitNormalised) {
  absl::StatusOr<DailyData> data = ParseDailyCsv(
      std::string(kHeader) +
          "2019-06-14,0,44310.0,44300.0,VN 30,44000.0,FPT,44100.0,FPT,10\n"
          "2019-06-13,0,44200.0,44500.0,VN 30,44000.0,FPT,43990.0,FPT,10\n"
          "2019-06-12,0,44200.0,44500.0,VN 30,44000.0,FPT,44100.0,FPT,10\n",
      "t.csv");
  ASSERT_TRUE(data.ok()) << data.status();
  const SymbolHistory& fpt = data->symbols[0];
  EXPECT_EQ(fpt.normalised, 2);
  EXPECT_EQ(fpt.first_normalised,
            "2019-06-14: open 44100 high 44300 low 44000 close 44310 -> high "
            "44310 low 44000");
  ASSERT_EQ(fpt.bars.size(), 3u);
  EXPECT_EQ(fpt.bars[0].low, 44000);
  EXPECT_EQ(fpt.bars[1].low, 43990);
  EXPECT_EQ(fpt.bars[1].open, 43990);
  EXPECT_EQ(fpt.bars[2].high, 44310);
  EXPECT_EQ(fpt.bars[2].close, 44310);
}

struct BadCase {
  std::string rows;
  std::string error;
};

TEST(DailyCsvTest, RejectsMalformedRowsNamingFileAndLine) {
  const std::string good =
      "2019-06-14,-0.34,44400.0,44900.0,VN 30,44400.0,FPT Corp,44600.0,FPT,"
      "5598000.0\n";
  const BadCase cases[] = {
      {"2019-06-13,0,1,2,VN30,1,X,1,FPT\n",
       "t.csv:3: expected 10 fields, found 9"},
      {"2019-13-01,0,100,100,VN30,100,X,100,FPT,1\n",
       "t.csv:3: date '2019-13-01'"},
      {"2019-06-13,0,100.5,101,VN30,100,X,100,FPT,1\n",
       "t.csv:3: close '100.5' is not a positive whole number of VND"},
      {"2019-06-13,0,abc,101,VN30,100,X,100,FPT,1\n", "t.csv:3: close 'abc'"},
      {"2019-06-13,0,0,0,VN30,0,X,0,FPT,1\n", "t.csv:3: open '0'"},
      {"2019-06-13,0,100000,90000,VN30,89000,X,100000,FPT,1\n",
       "t.csv:3: prices are inconsistent: low <= open, close <= high does "
       "not hold (o=100000 h=90000 l=89000 c=100000) by 10000, more than "
       "the tolerance 450"},
      {"2019-06-13,0,100,101,VN30,100,X,100,FPT,-5\n", "t.csv:3: volume '-5'"},
      {"2019-06-13,0,100,101,VN30,100,X,100,FPT,many\n",
       "t.csv:3: volume 'many'"},
      {"2019-06-13,0,100,101,VN30,100,X,100,fp,1\n", "t.csv:3: ticket 'fp'"},
      {good, "t.csv:3: second row for FPT on 2019-06-14"},
      {"2019-06-13,0,100,101,VN30,100,\"X,100,FPT,1\n",
       "t.csv:3: unterminated quoted field"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<DailyData> data =
        ParseDailyCsv(std::string(kHeader) + good + c.rows, "t.csv");
    ASSERT_FALSE(data.ok()) << c.rows;
    EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(data.status().message()), HasSubstr(c.error))
        << c.rows;
  }
}

TEST(DailyCsvTest, RejectsBadHeadersAndEmptyFiles) {
  absl::StatusOr<DailyData> no_volume =
      ParseDailyCsv("date,close,high,low,name,open,ticket\n", "h.csv");
  EXPECT_THAT(std::string(no_volume.status().message()),
              HasSubstr("h.csv:1: header has no 'volume' column"));
  absl::StatusOr<DailyData> empty = ParseDailyCsv(kHeader, "e.csv");
  EXPECT_THAT(std::string(empty.status().message()),
              HasSubstr("e.csv:1: no data rows"));
  absl::StatusOr<DailyData> missing = LoadDailyCsv("/nonexistent/x.csv");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("/nonexistent/x.csv"));
}

}  // namespace
}  // namespace vnstream::market
