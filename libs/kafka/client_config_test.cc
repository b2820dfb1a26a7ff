#include "libs/kafka/client_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vnstream::kafka {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(ClientConfigTest, MakeConfAcceptsKnownKeys) {
  auto conf = MakeConf({{"bootstrap.servers", "127.0.0.1:9092"},
                        {"enable.idempotence", "true"}});
  ASSERT_TRUE(conf.ok()) << conf.status();
  std::string value;
  ASSERT_EQ((*conf)->get("bootstrap.servers", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "127.0.0.1:9092");
}

TEST(ClientConfigTest, MakeConfRejectsUnknownKeyAndBadValue) {
  EXPECT_THAT(MakeConf({{"no.such.setting", "1"}}).status().message(),
              HasSubstr("no.such.setting"));
  EXPECT_FALSE(MakeConf({{"acks", "sometimes"}}).ok());
}

TEST(ClientConfigTest, ParseConfigList) {
  auto parsed = ParseConfigList("linger.ms=5, compression.type = lz4");
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(*parsed, UnorderedElementsAre(Pair("linger.ms", "5"),
                                            Pair("compression.type", "lz4")));
  EXPECT_TRUE(ParseConfigList("")->empty());
  EXPECT_FALSE(ParseConfigList("linger.ms").ok());
}

TEST(ClientConfigTest, MergeOverrides) {
  ConfigMap merged = Merge({{"a", "1"}, {"b", "2"}}, {{"b", "3"}});
  EXPECT_THAT(merged, UnorderedElementsAre(Pair("a", "1"), Pair("b", "3")));
}

}  // namespace
}  // namespace vnstream::kafka
