#include "libs/vnstock/vci.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/market/decimal.h"

namespace vnstream::vnstock {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vnstream::market::DecimalToString;

const absl::Time kFetched =
    absl::FromUnixSeconds(1763605800);  // 2025-11-20 09:30 +07

// The price-board record of the VNStock reference (FPT), with the quirks
// the real API shows: integers, floats, and strings for numbers.
constexpr char kFpt[] = R"({
  "listingInfo": {"code": "VN000000FPT1", "symbol": "FPT", "ceiling": 124200,
    "floor": 108000, "refPrice": 116100, "stockType": "STOCK", "board": "HSX",
    "listedShare": 1471069207, "organName": "Công ty Cổ phần FPT",
    "priorClosePrice": 116100, "tradingStatus": "TRADING_ACTIVATED",
    "securityStatus": "N"},
  "bidAsk": {"symbol": "FPT", "session": "LO",
    "bidPrices": [{"price": 116900, "volume": 12300}, {"price": "116800.0", "volume": 4500},
                  {"price": 116700, "volume": 9000}],
    "askPrices": [{"price": 117000, "volume": 8100}, {"price": 117100, "volume": 2000},
                  {"price": 117200, "volume": 15000}]},
  "matchPrice": {"symbol": "FPT", "matchPrice": 117000, "matchVol": 100,
    "accumulatedVolume": 2447800, "accumulatedValue": 285678.08,
    "avgMatchPrice": 116950.5, "highest": 117500, "lowest": 116200,
    "time": "2025-11-20T02:30:01.123Z", "session": "LO",
    "foreignSellVolume": 24900, "foreignBuyVolume": 5000, "referencePrice": 116100}
})";

market::TradingCalendar& Calendar() {
  static market::TradingCalendar calendar;
  return calendar;
}

QuoteContext Context() {
  return {.source = v1::SOURCE_VCI,
          .fetched_at = kFetched,
          .calendar = &Calendar()};
}

std::vector<v1::Quote> Board(const std::string& body, Rejections* rejected) {
  absl::StatusOr<std::vector<v1::Quote>> quotes =
      ParsePriceBoard(body, Context(), rejected);
  EXPECT_TRUE(quotes.ok()) << quotes.status();
  return quotes.value_or(std::vector<v1::Quote>{});
}

TEST(PriceBoardTest, ParsesEveryFieldExactly) {
  Rejections rejected;
  std::vector<v1::Quote> quotes =
      Board(absl::StrCat("[", kFpt, "]"), &rejected);
  ASSERT_EQ(quotes.size(), 1u);
  EXPECT_THAT(rejected, IsEmpty());
  const v1::Quote& q = quotes[0];
  EXPECT_EQ(q.meta().symbol(), "FPT");
  EXPECT_EQ(q.meta().source(), v1::SOURCE_VCI);
  EXPECT_EQ(q.meta().instrument_type(), v1::INSTRUMENT_TYPE_STOCK)
      << "from stockType";
  EXPECT_EQ(q.meta().fetched_at().seconds(), 1763605800);
  EXPECT_EQ(q.meta().trading_date().day(), 20);
  EXPECT_EQ(q.exchange(), v1::EXCHANGE_HOSE);
  EXPECT_EQ(q.trading_status(), "TRADING_ACTIVATED");
  // 02:30:01 UTC = 09:30:01 in Hanoi: continuous matching.
  EXPECT_EQ(q.session(), v1::TRADING_SESSION_CONTINUOUS);
  EXPECT_EQ(q.exchange_time().seconds(), 1763605801);
  EXPECT_EQ(q.exchange_time().nanos(), 123000000);
  EXPECT_EQ(DecimalToString(q.reference_price()), "116100");
  EXPECT_EQ(DecimalToString(q.ceiling_price()), "124200");
  EXPECT_EQ(DecimalToString(q.floor_price()), "108000");
  EXPECT_EQ(DecimalToString(q.last_price()), "117000");
  EXPECT_EQ(q.last_volume(), 100);
  EXPECT_EQ(DecimalToString(q.high_price()), "117500");
  EXPECT_EQ(DecimalToString(q.low_price()), "116200");
  EXPECT_EQ(DecimalToString(q.average_price()), "116950.5");
  EXPECT_EQ(q.total_volume(), 2447800);
  // accumulatedValue is in million VND.
  EXPECT_EQ(DecimalToString(q.total_value()), "285678080000");
  EXPECT_EQ(DecimalToString(q.change()), "900");
  EXPECT_EQ(DecimalToString(q.percent_change()), "0.7752");
  ASSERT_EQ(q.bids_size(), 3);
  EXPECT_EQ(DecimalToString(q.bids(0).price()), "116900");
  EXPECT_EQ(q.bids(0).volume(), 12300);
  EXPECT_EQ(DecimalToString(q.bids(1).price()), "116800");
  ASSERT_EQ(q.asks_size(), 3);
  EXPECT_EQ(DecimalToString(q.asks(2).price()), "117200");
  EXPECT_EQ(q.asks(2).volume(), 15000);
  EXPECT_EQ(q.foreign_buy_volume(), 5000);
  EXPECT_EQ(q.foreign_sell_volume(), 24900);
}

TEST(PriceBoardTest, NullBookAndNoMatchYet) {
  // Before the open: bidAsk null, match fields 0, no time.
  const std::string body = R"([{"listingInfo": {"symbol": "VCB", "board": "HSX",
      "ceiling": 61900, "floor": 53900, "refPrice": 57900},
    "bidAsk": null,
    "matchPrice": {"matchPrice": 0, "matchVol": 0, "accumulatedVolume": 0,
      "accumulatedValue": 0, "highest": 0, "lowest": 0, "avgMatchPrice": 0}}])";
  Rejections rejected;
  std::vector<v1::Quote> quotes = Board(body, &rejected);
  ASSERT_EQ(quotes.size(), 1u) << ::testing::PrintToString(rejected);
  const v1::Quote& q = quotes[0];
  EXPECT_FALSE(q.has_last_price());
  EXPECT_FALSE(q.has_high_price());
  EXPECT_FALSE(q.has_change());
  EXPECT_FALSE(q.has_exchange_time());
  EXPECT_EQ(q.bids_size(), 0);
  EXPECT_EQ(q.total_volume(), 0);
  // No exchange time: the session comes from the fetch time (09:30 local).
  EXPECT_EQ(q.session(), v1::TRADING_SESSION_CONTINUOUS);
}

// vnstock-sim's board at virtual 09:05 on 2019-06-14, before the ATO match:
// match fields 0, no match time; every part stamped with receivedTime.
constexpr char kBeforeFirstMatch[] = R"([{
  "listingInfo": {"symbol": "FPT", "board": "HSX", "ceiling": 47650,
    "floor": 41450, "refPrice": 44550, "receivedTime": "2019-06-14T02:05:00.000Z"},
  "bidAsk": {"session": "ATO", "bidPrices": [{"price": 44550, "volume": 100}],
    "askPrices": [], "receivedTime": "2019-06-14T02:05:00.000Z",
    "time": "2019-06-14T02:05:00.000000Z"},
  "matchPrice": {"matchPrice": 0, "matchVol": 0, "highest": 0, "lowest": 0,
    "time": "", "session": "ATO", "receivedTime": "2019-06-14T02:05:00.000Z"}}])";

TEST(PriceBoardTest, SessionAndDateFollowTheUpstreamClock) {
  // Fetched 2025-11-20 09:30 (continuous) by our clock; the upstream's clock
  // says 2019-06-14 09:05: the ATO, on that day.
  Rejections rejected;
  std::vector<v1::Quote> quotes = Board(kBeforeFirstMatch, &rejected);
  ASSERT_EQ(quotes.size(), 1u) << ::testing::PrintToString(rejected);
  EXPECT_EQ(quotes[0].session(), v1::TRADING_SESSION_ATO);
  EXPECT_FALSE(quotes[0].has_exchange_time());
  EXPECT_EQ(quotes[0].meta().trading_date().year(), 2019);
  EXPECT_EQ(quotes[0].meta().trading_date().month(), 6);
  EXPECT_EQ(quotes[0].meta().trading_date().day(), 14);
  EXPECT_EQ(quotes[0].meta().fetched_at().seconds(), 1763605800);
}

TEST(PriceBoardTest, SessionAfterTheCloseIsClosedNotTheLastMatchs) {
  // The last match was the 14:45 ATC; the board was sent at 15:05.
  const std::string body = R"([{
    "listingInfo": {"symbol": "FPT", "board": "HSX", "ceiling": 47650,
      "floor": 41450, "refPrice": 44550, "receivedTime": "2019-06-14T08:05:00.000Z"},
    "matchPrice": {"matchPrice": 44400, "matchVol": 28000, "highest": 44900,
      "lowest": 44400, "time": "2019-06-14T07:45:00.000Z",
      "receivedTime": "2019-06-14T08:05:00.000Z"}}])";
  Rejections rejected;
  std::vector<v1::Quote> quotes = Board(body, &rejected);
  ASSERT_EQ(quotes.size(), 1u) << ::testing::PrintToString(rejected);
  EXPECT_EQ(quotes[0].session(), v1::TRADING_SESSION_CLOSED);
  // 07:45 UTC = 14:45 in Hanoi.
  EXPECT_EQ(quotes[0].exchange_time().seconds(), 1560498300);
}

TEST(PriceBoardTest, UnreadableUpstreamTimesFallBackToTheFetch) {
  const std::string body = R"([{
    "listingInfo": {"symbol": "VCB", "board": "HSX", "ceiling": 61900,
      "floor": 53900, "refPrice": 57900, "receivedTime": "yesterday"},
    "matchPrice": {"matchPrice": 0, "time": "", "receivedTime": 0}}])";
  Rejections rejected;
  std::vector<v1::Quote> quotes = Board(body, &rejected);
  ASSERT_EQ(quotes.size(), 1u) << ::testing::PrintToString(rejected);
  EXPECT_EQ(quotes[0].session(), v1::TRADING_SESSION_CONTINUOUS);
  EXPECT_EQ(quotes[0].meta().trading_date().day(), 20);
}

TEST(PriceBoardTest, DropsInvalidRecordsAndKeepsTheRest) {
  const std::string body = absl::StrCat(
      "[", kFpt, ",",
      // Last price above the ceiling.
      R"({"listingInfo": {"symbol": "SSI", "board": "HSX", "ceiling": 35000, "floor": 30500,
          "refPrice": 32750}, "matchPrice": {"matchPrice": 36000, "highest": 36000,
          "lowest": 32000}},)",
      // No reference price.
      R"({"listingInfo": {"symbol": "HPG", "ceiling": 0, "floor": 0, "refPrice": 0}},)",
      // Garbage symbol.
      R"({"listingInfo": {"symbol": "X;Y", "ceiling": 1, "floor": 1, "refPrice": 1}},)",
      // A number that is not one.
      R"({"listingInfo": {"symbol": "GAS", "ceiling": 70000, "floor": 61000,
          "refPrice": "sixty-five"}},)",
      // Low above last.
      R"({"listingInfo": {"symbol": "MSN", "ceiling": 80000, "floor": 70000,
          "refPrice": 75000}, "matchPrice": {"matchPrice": 74000, "highest": 76000,
          "lowest": 74500}}])");
  Rejections rejected;
  std::vector<v1::Quote> quotes = Board(body, &rejected);
  ASSERT_EQ(quotes.size(), 1u);
  EXPECT_EQ(quotes[0].meta().symbol(), "FPT");
  ASSERT_EQ(rejected.size(), 5u);
  EXPECT_THAT(rejected[0], HasSubstr("SSI: last price outside the daily band"));
  EXPECT_THAT(rejected[1], HasSubstr("HPG: no reference price"));
  EXPECT_THAT(rejected[2], HasSubstr("bad symbol"));
  EXPECT_THAT(rejected[3], HasSubstr("GAS: bad refPrice"));
  EXPECT_THAT(rejected[4], HasSubstr("MSN: low <= last <= high"));
}

TEST(PriceBoardTest, WrapperEmptyAndMalformed) {
  Rejections rejected;
  EXPECT_EQ(Board(absl::StrCat(R"({"data": [)", kFpt, "]}"), &rejected).size(),
            1u);
  EXPECT_THAT(Board("[]", &rejected), IsEmpty());
  EXPECT_THAT(Board(R"({"data": null})", &rejected), IsEmpty());
  const std::string full = absl::StrCat("[", kFpt, "]");
  // Truncated JSON (a cut-off response) is an error, not an empty board.
  absl::StatusOr<std::vector<v1::Quote>> truncated =
      ParsePriceBoard(full.substr(0, full.size() / 2), Context(), &rejected);
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(truncated.status().message(), HasSubstr("malformed JSON"));
  // A Cloudflare HTML page with status 200.
  EXPECT_FALSE(
      ParsePriceBoard("<html>blocked</html>", Context(), &rejected).ok());
  EXPECT_FALSE(
      ParsePriceBoard(R"({"status": "error"})", Context(), &rejected).ok());
}

// A hostile or broken upstream cannot drive the parser into deep
// recursion: nesting beyond 16 levels is refused before parsing, brackets
// inside strings do not count, and the parse itself is iterative.
TEST(PriceBoardTest, NestingDepthIsLimited) {
  Rejections rejected;
  const std::string deep(1'000'000, '[');
  for (const std::string& body :
       {deep, absl::StrCat(R"({"data": [)", std::string(20, '['))}) {
    absl::StatusOr<std::vector<v1::Quote>> quotes =
        ParsePriceBoard(body, Context(), &rejected);
    EXPECT_EQ(quotes.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(quotes.status().message(),
                HasSubstr("nested deeper than 16 levels"));
  }
  EXPECT_FALSE(ParseGapChart(deep, &rejected).ok());
  EXPECT_FALSE(ParseTicks(deep, &rejected).ok());
  // 16 levels are fine (not a board, but valid JSON); brackets in strings
  // are text.
  const std::string sixteen =
      absl::StrCat(std::string(16, '['), std::string(16, ']'));
  EXPECT_THAT(ParseTicks(sixteen, &rejected).status().message(),
              Not(HasSubstr("nested")));
  EXPECT_THAT(
      Board(absl::StrCat(R"([{"x": ")", std::string(100, '['), R"(\"["}])"),
            &rejected),
      IsEmpty());
}

TEST(GapChartTest, ParsesColumnArraysWithStringTimes) {
  const std::string body = R"([{"symbol": "TCB",
    "o": [32400, 32400, 31850], "h": [32550, 32550, 32100],
    "l": [31850, 31850, 31800], "c": [32050, 31850, 31900],
    "v": [9838400, 12297700, 8572900],
    "t": ["1776124800", "1776211200", "1776297600"]}])";
  Rejections rejected;
  absl::StatusOr<std::vector<SymbolBars>> series =
      ParseGapChart(body, &rejected);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->size(), 1u);
  const SymbolBars& tcb = (*series)[0];
  EXPECT_EQ(tcb.symbol, "TCB");
  ASSERT_EQ(tcb.bars.size(), 3u);
  EXPECT_EQ(tcb.bars[0].time, absl::FromUnixSeconds(1776124800));
  EXPECT_EQ(DecimalToString(tcb.bars[1].open), "32400");
  EXPECT_EQ(DecimalToString(tcb.bars[1].high), "32550");
  EXPECT_EQ(DecimalToString(tcb.bars[1].low), "31850");
  EXPECT_EQ(DecimalToString(tcb.bars[2].close), "31900");
  EXPECT_EQ(tcb.bars[2].volume, 8572900);
  EXPECT_THAT(rejected, IsEmpty());
}

TEST(GapChartTest, DropsBadBarsAndBadSeries) {
  const std::string body = R"([
    {"symbol": "FPT", "t": [100, 200, 300, 100],
     "o": [10000, 10000, 10000, 10000], "h": [11000, 9000, 11000, 11000],
     "l": [9000, 9000, 0, 9000], "c": [10000, 10000, 10000, 10000],
     "v": [1, 1, 1, 1]},
    {"symbol": "SSI", "t": [100, 200], "o": [10], "h": [11], "l": [9], "c": [10], "v": [1]},
    {"symbol": "VNALL", "t": [], "o": [], "h": [], "l": [], "c": [], "v": []},
    {"symbol": "MWG"}])";
  Rejections rejected;
  absl::StatusOr<std::vector<SymbolBars>> series =
      ParseGapChart(body, &rejected);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->size(), 3u);
  EXPECT_EQ((*series)[0].symbol, "FPT");
  ASSERT_EQ((*series)[0].bars.size(), 1u)
      << "high < open, low 0, duplicate time";
  EXPECT_EQ((*series)[0].bars[0].time, absl::FromUnixSeconds(100));
  EXPECT_THAT((*series)[1].bars, IsEmpty());
  EXPECT_EQ((*series)[2].symbol, "MWG");
  ASSERT_EQ(rejected.size(), 4u);
  EXPECT_THAT(rejected[0], HasSubstr("FPT bar 1"));
  EXPECT_THAT(rejected[1], HasSubstr("FPT bar 2: low <= 0"));
  EXPECT_THAT(rejected[2], HasSubstr("FPT bar 3: time not after"));
  EXPECT_THAT(rejected[3], HasSubstr("SSI: column arrays differ"));
}

// Real adjusted prices break low <= open, close <= high by a rounding
// unit: such bars are kept, normalised and noted; gross ones rejected.
TEST(GapChartTest, OneRoundingUnitOffIsNormalisedGrossIsRejected) {
  const std::string body = R"([
    {"symbol": "FPT", "t": [100, 200, 300],
     "o": [104000, 104000, 100000], "h": [104300, 104300, 100000],
     "l": [102000, 102000, 95000], "c": [104300, 104310, 110000],
     "v": [1, 2, 3]},
    {"symbol": "VNINDEX", "t": [100], "o": [1250.1], "h": [1261.75],
     "l": [1249], "c": [1261.76], "v": [9]}])";
  Rejections rejected;
  absl::StatusOr<std::vector<SymbolBars>> series =
      ParseGapChart(body, &rejected);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->size(), 2u);
  const SymbolBars& fpt = (*series)[0];
  ASSERT_EQ(fpt.bars.size(), 2u);
  EXPECT_EQ(fpt.bars[0].high.units(), 104'300);
  EXPECT_EQ(fpt.bars[1].high.units(), 104'310) << "raised to the close";
  EXPECT_EQ(fpt.bars[1].close.units(), 104'310);
  EXPECT_EQ(fpt.bars[1].low.units(), 102'000);
  EXPECT_EQ(fpt.bars[1].volume, 2);
  ASSERT_EQ(fpt.normalised.size(), 1u);
  EXPECT_THAT(fpt.normalised[0],
              HasSubstr("bar 1 at 1970-01-01T00:03:20+00:00: o=104000 "
                        "h=104300 l=102000 c=104310 -> h=104310 l=102000"));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0],
              HasSubstr("FPT bar 2: low <= open, close <= high does not hold "
                        "(o=100000 h=100000 l=95000 c=110000) by 10000"));
  const SymbolBars& index = (*series)[1];
  ASSERT_EQ(index.bars.size(), 1u);
  EXPECT_EQ(DecimalToString(index.bars[0].high), "1261.76");
  EXPECT_EQ(index.normalised.size(), 1u);
}

TEST(TicksTest, StringNumbersSortedByTime) {
  const std::string body = R"([
    {"id": 465501878, "symbol": "TCB", "truncTime": "1776652840", "matchType": "b",
     "matchVol": "200.0", "matchPrice": "32650.0", "accumulatedVolume": "2448000.0"},
    {"id": 465501877, "symbol": "TCB", "truncTime": "1776652834", "matchType": "s",
     "matchVol": "100.0", "matchPrice": "32600.0", "accumulatedValue": "79678.08"},
    {"id": 1, "truncTime": "x", "matchPrice": "1"}])";
  Rejections rejected;
  absl::StatusOr<std::vector<Tick>> ticks = ParseTicks(body, &rejected);
  ASSERT_TRUE(ticks.ok()) << ticks.status();
  ASSERT_EQ(ticks->size(), 2u);
  EXPECT_EQ((*ticks)[0].id, "465501877");
  EXPECT_EQ((*ticks)[0].match_type, "s");
  EXPECT_EQ(DecimalToString((*ticks)[0].price), "32600");
  EXPECT_EQ((*ticks)[0].volume, 100);
  EXPECT_EQ((*ticks)[1].time, absl::FromUnixSeconds(1776652840));
  EXPECT_EQ(rejected.size(), 1u);
}

// Found by ticks_fuzzer: a time of 1.5e132 overflowed the conversion to
// int64 (undefined behaviour). Times that are no time reject their tick.
TEST(TicksTest, TimesOutOfRangeRejectTheirTick) {
  const std::string body = R"([
    {"id": 1, "symbol": "FPT", "truncTime": "1560482997777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777", "matchPrice": "1"},
    {"id": 2, "symbol": "FPT", "truncTime": "nan", "matchPrice": "1"},
    {"id": 3, "symbol": "FPT", "truncTime": "-inf", "matchPrice": "1"},
    {"id": 4, "symbol": "FPT", "truncTime": "1776652840000", "matchPrice": "1"}])";
  Rejections rejected;
  absl::StatusOr<std::vector<Tick>> ticks = ParseTicks(body, &rejected);
  ASSERT_TRUE(ticks.ok()) << ticks.status();
  ASSERT_EQ(ticks->size(), 1u);
  EXPECT_EQ((*ticks)[0].time, absl::FromUnixMillis(1776652840000));
  EXPECT_EQ(rejected.size(), 3u);
}

TEST(RequestTest, BodiesMatchTheApi) {
  const std::vector<std::string> symbols = {"FPT", "SSI"};
  EXPECT_EQ(PriceBoardRequest(symbols), R"({"symbols":["FPT","SSI"]})");
  EXPECT_EQ(
      GapChartRequest(symbols, TimeFrame::kOneDay,
                      absl::FromUnixSeconds(1763683200), 253),
      R"({"timeFrame":"ONE_DAY","symbols":["FPT","SSI"],"to":1763683200,"countBack":253})");
  EXPECT_EQ(TicksRequest("FPT", 100),
            R"({"symbol":"FPT","limit":100,"truncTime":null})");
  // Indices go out as VCI's codes.
  const std::vector<std::string> indices = {"VNINDEX", "UPCOMINDEX",
                                            "HNXINDEX"};
  EXPECT_EQ(
      GapChartRequest(indices, TimeFrame::kOneMinute, absl::FromUnixSeconds(1),
                      5),
      R"({"timeFrame":"ONE_MINUTE","symbols":["VNINDEX","HNXUpcomIndex","HNXIndex"],"to":1,"countBack":5})");
  EXPECT_EQ(VciChartCode("FPT"), "FPT");
}

TEST(GapChartTest, IndexCodesMapBackAndKeepFractionalPoints) {
  const std::string body = R"([{"symbol": "HNXUpcomIndex",
    "o": [101.25], "h": [101.9], "l": [100.87], "c": ["101.5"], "v": [51234000],
    "t": ["1776124800"]},
    {"symbol": "HNXIndex", "o": [230.01], "h": [231], "l": [229.5],
     "c": [230.12], "v": [1], "t": [1776124800]}])";
  Rejections rejected;
  absl::StatusOr<std::vector<SymbolBars>> series =
      ParseGapChart(body, &rejected);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_THAT(rejected, IsEmpty());
  EXPECT_EQ((*series)[0].symbol, "UPCOMINDEX");
  ASSERT_EQ((*series)[0].bars.size(), 1u);
  EXPECT_EQ((*series)[0].bars[0].open.units(), 101);
  EXPECT_EQ((*series)[0].bars[0].open.nanos(), 250'000'000);
  EXPECT_EQ(DecimalToString((*series)[0].bars[0].low), "100.87");
  EXPECT_EQ(DecimalToString((*series)[0].bars[0].close), "101.5");
  EXPECT_EQ((*series)[1].symbol, "HNXINDEX");
}

// getAll as vnstock reads it (vnstock-api.md §1.1(d)), with the quirks the
// rest of the API shows: a wrapper, numbers for ids, missing fields.
TEST(ListingTest, ParsesSecuritiesBoardsAndTypes) {
  const std::string body = R"json({"data": [
    {"id": 1234, "symbol": "FPT", "type": "STOCK", "board": "HSX",
     "organName": "Công ty Cổ phần FPT", "organShortName": "FPT",
     "enOrganName": "FPT Corporation", "enOrganShortName": "FPT Corp"},
    {"id": 77, "symbol": "e1vfvn30", "type": "ETF", "board": "HOSE",
     "organName": "Quỹ ETF DCVFMVN30"},
    {"id": 78, "symbol": "SHS", "type": "STOCK", "board": "HNX"},
    {"id": 79, "symbol": "CFPT2401", "type": "CW", "board": "HSX"},
    {"id": 80, "symbol": "ACV", "stockType": "STOCK", "board": "UPCOM"},
    {"id": 81, "symbol": "XYZ", "type": "SOMETHING_NEW", "board": "OTC"},
    {"id": 82, "symbol": "FPT", "type": "STOCK", "board": "HSX"},
    {"id": 83, "symbol": "bad symbol!", "type": "STOCK"},
    {"id": 84, "type": "STOCK"},
    {"id": 85, "symbol": "HNXUpcomIndex", "type": "INDEX", "board": "UPCOM",
     "organName": "UPCoM-Index (simulated)"}]})json";
  Rejections rejected;
  absl::StatusOr<std::vector<ListedSecurity>> listing =
      ParseListing(body, &rejected);
  ASSERT_TRUE(listing.ok()) << listing.status();
  ASSERT_EQ(listing->size(), 7u);
  const ListedSecurity& fpt = (*listing)[0];
  EXPECT_EQ(fpt.symbol, "FPT");
  EXPECT_EQ(fpt.exchange, v1::EXCHANGE_HOSE);
  EXPECT_EQ(fpt.type, v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_EQ(fpt.name, "Công ty Cổ phần FPT");
  EXPECT_EQ(fpt.en_name, "FPT Corporation");
  EXPECT_EQ((*listing)[1].symbol, "E1VFVN30");
  EXPECT_EQ((*listing)[1].exchange, v1::EXCHANGE_HOSE);
  EXPECT_EQ((*listing)[1].type, v1::INSTRUMENT_TYPE_ETF);
  EXPECT_EQ((*listing)[1].en_name, "");
  EXPECT_EQ((*listing)[2].exchange, v1::EXCHANGE_HNX);
  EXPECT_EQ((*listing)[3].type, v1::INSTRUMENT_TYPE_COVERED_WARRANT);
  EXPECT_EQ((*listing)[4].exchange, v1::EXCHANGE_UPCOM);
  EXPECT_EQ((*listing)[4].type, v1::INSTRUMENT_TYPE_STOCK) << "stockType";
  EXPECT_EQ((*listing)[5].exchange, v1::EXCHANGE_UNSPECIFIED);
  EXPECT_EQ((*listing)[5].type, v1::INSTRUMENT_TYPE_UNSPECIFIED);
  EXPECT_EQ((*listing)[6].symbol, "UPCOMINDEX");
  EXPECT_EQ((*listing)[6].type, v1::INSTRUMENT_TYPE_INDEX);
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_THAT(rejected[0], HasSubstr("FPT listed twice"));
  EXPECT_THAT(rejected[1], HasSubstr("bad symbol 'bad symbol!'"));
  EXPECT_THAT(rejected[2], HasSubstr("bad symbol ''"));

  EXPECT_THAT(*ParseListing("[]", &rejected), IsEmpty());
  EXPECT_FALSE(ParseListing(R"({"status": 403})", &rejected).ok());
  EXPECT_FALSE(ParseListing(R"([{"symbol": "FP)", &rejected).ok());
}

TEST(GroupTest, ObjectsOrStringsWithoutDuplicates) {
  Rejections rejected;
  absl::StatusOr<std::vector<std::string>> group = ParseGroup(
      R"([{"symbol": "VCB", "id": 1}, {"symbol": "fpt"}, "HPG",
          {"symbol": "VCB"}, {"name": "no symbol"}, 42])",
      &rejected);
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_THAT(*group, ElementsAre("VCB", "FPT", "HPG"));
  EXPECT_EQ(rejected.size(), 2u);
  EXPECT_THAT(*ParseGroup(R"({"data": null})", &rejected), IsEmpty());
  EXPECT_FALSE(ParseGroup("<html></html>", &rejected).ok());
}

}  // namespace
}  // namespace vnstream::vnstock
