#include "services/analytics/processor.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/decimal.h"
#include "prometheus/text_serializer.h"

namespace vnstream::analytics {
namespace {

using ::testing::HasSubstr;

v1::DailyHistory History(int bars) {
  v1::DailyHistory h;
  h.mutable_meta()->set_symbol("VCB");
  h.mutable_meta()->set_seq(12);
  h.mutable_meta()->set_source(v1::SOURCE_SIMULATOR);
  absl::CivilDay day(2019, 3, 1);
  for (int i = 0; i < bars; ++i) {
    v1::DailyBar* bar = h.add_bars();
    *bar->mutable_date() = market::ToDate(day++);
    const int64_t close = 60'000 + 100 * (i % 11);
    *bar->mutable_open() = market::MakeDecimal(close);
    *bar->mutable_high() = market::MakeDecimal(close + 200);
    *bar->mutable_low() = market::MakeDecimal(close - 200);
    *bar->mutable_close() = market::MakeDecimal(close);
    bar->set_volume(100'000 + i);
  }
  return h;
}

TEST(ProcessorTest, EnrichesWithTheInputsMetaAndTheSharedLibrary) {
  prometheus::Registry registry;
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  AnalyticsProcessor processor(indicators::Params(), registry,
                               [&] { return now; });
  const v1::DailyHistory input = History(60);
  absl::StatusOr<kafka::OutgoingRecord> out = processor.Process(input);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->topic, kafka::kAnalyticsTopic);
  EXPECT_EQ(out->key, "VCB");
  v1::EnrichedHistory enriched;
  ASSERT_TRUE(enriched.ParseFromString(out->value));
  EXPECT_EQ(enriched.meta().seq(), 12u) << "same seq as the input";
  EXPECT_EQ(enriched.computed_at().seconds(), 1'800'000'000);
  v1::EnrichedHistory expected;
  ASSERT_TRUE(indicators::Enrich(input, indicators::Params(), &expected).ok());
  ASSERT_EQ(enriched.bars_size(), 60);
  EXPECT_EQ(enriched.bars(59).indicators().SerializeAsString(),
            expected.bars(59).indicators().SerializeAsString());
  EXPECT_TRUE(enriched.bars(59).indicators().has_rsi());
}

TEST(ProcessorTest, CountsInvalidAndMalformedRecords) {
  prometheus::Registry registry;
  AnalyticsProcessor processor(indicators::Params(), registry);
  v1::DailyHistory bad = History(3);
  *bad.mutable_bars(1)->mutable_close() = market::MakeDecimal(-5);
  EXPECT_THAT(processor.Process(bad).status().message(),
              HasSubstr("non-positive price"));
  processor.CountMalformed();
  ASSERT_TRUE(processor.Process(History(3)).ok());
  const std::string text =
      prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(
      text,
      HasSubstr(R"(vnstream_analytics_records_in_total{result="invalid"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(vnstream_analytics_records_in_total{result="malformed"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(vnstream_analytics_records_in_total{result="enriched"} 1)"));
}

}  // namespace
}  // namespace vnstream::analytics
