#include "libs/kafka/statistics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vnstream::kafka {
namespace {

using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(ConsumerLagByTopicTest, SumsPartitionsAndIgnoresUnconsumedOnes) {
  // The shape librdkafka 2.0 emits (trimmed): -1 for partitions this
  // consumer does not own, and the internal partition -1.
  const char* json = R"({"name": "rdkafka#consumer-1", "topics": {
    "stock-prices": {"topic": "stock-prices", "partitions": {
      "0": {"partition": 0, "consumer_lag": 12},
      "1": {"partition": 1, "consumer_lag": 30},
      "2": {"partition": 2, "consumer_lag": -1},
      "-1": {"partition": -1, "consumer_lag": -1}}},
    "stock-historical": {"topic": "stock-historical", "partitions": {
      "0": {"partition": 0, "consumer_lag": 0}}}}})";
  EXPECT_THAT(ConsumerLagByTopic(json),
              UnorderedElementsAre(Pair("stock-prices", 42),
                                   Pair("stock-historical", 0)));
}

TEST(ConsumerLagByTopicTest, MalformedStatisticsGiveNothing) {
  EXPECT_THAT(ConsumerLagByTopic(""), IsEmpty());
  EXPECT_THAT(ConsumerLagByTopic("{"), IsEmpty());
  EXPECT_THAT(ConsumerLagByTopic("[1, 2]"), IsEmpty());
  EXPECT_THAT(ConsumerLagByTopic(R"({"topics": 3})"), IsEmpty());
  // A topic without partitions is reported, with no lag.
  EXPECT_THAT(ConsumerLagByTopic(R"({"topics": {"t": {"partitions": 1}}})"),
              UnorderedElementsAre(Pair("t", 0)));
  EXPECT_THAT(
      ConsumerLagByTopic(
          R"({"topics": {"t": {"partitions": {"0": {"consumer_lag": "x"}}}}})"),
      UnorderedElementsAre(Pair("t", 0)));
}

}  // namespace
}  // namespace vnstream::kafka
