#include "libs/base/config.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, test_brokers, "default:9092", "test flag");
ABSL_FLAG(int, test_interval, 10, "test flag");
ABSL_FLAG(std::vector<std::string>, test_symbols, {}, "test flag");

namespace vnstream {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    absl::SetFlag(&FLAGS_test_brokers, "default:9092");
    absl::SetFlag(&FLAGS_test_interval, 10);
    absl::SetFlag(&FLAGS_test_symbols, {});
    unsetenv("VNSTREAM_TEST_BROKERS");
  }
};

TEST_F(ConfigTest, EnvVarName) {
  EXPECT_EQ(EnvVarForFlag("kafka_brokers"), "VNSTREAM_KAFKA_BROKERS");
}

TEST_F(ConfigTest, YamlSetsScalarsAndLists) {
  ASSERT_TRUE(ApplyYamlConfig(R"(
# a comment
test_brokers: kafka-0:9092
test_interval: 30
test_symbols: [FPT, SSI, VCB]
)",
                              "test.yaml")
                  .ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_brokers), "kafka-0:9092");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_interval), 30);
  EXPECT_THAT(absl::GetFlag(FLAGS_test_symbols),
              ElementsAre("FPT", "SSI", "VCB"));
}

TEST_F(ConfigTest, EmptyYamlIsFine) {
  EXPECT_TRUE(ApplyYamlConfig("", "empty.yaml").ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_interval), 10);
}

TEST_F(ConfigTest, UnknownKeyIsAnError) {
  const absl::Status s = ApplyYamlConfig("test_brokres: x\n", "typo.yaml");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unknown setting 'test_brokres'"));
}

TEST_F(ConfigTest, BadValueIsAnError) {
  const absl::Status s = ApplyYamlConfig("test_interval: soon\n", "bad.yaml");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("test_interval"));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_interval), 10);
}

TEST_F(ConfigTest, NestedMapIsAnError) {
  EXPECT_FALSE(ApplyYamlConfig("test_brokers: {a: 1}\n", "map.yaml").ok());
}

// Found with the config fuzz target: a non-scalar key threw from
// as<std::string>() and terminated the service at start-up.
TEST_F(ConfigTest, NonScalarKeyIsAnErrorNotACrash) {
  const absl::Status s = ApplyYamlConfig("[1]: 2\n", "key.yaml");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("keys must be setting names (line 1)"));
  EXPECT_FALSE(ApplyYamlConfig("? {a: b}\n: c\n", "key.yaml").ok());
}

TEST_F(ConfigTest, MalformedYamlIsAnError) {
  EXPECT_FALSE(
      ApplyYamlConfig("test_brokers: [unclosed\n", "broken.yaml").ok());
}

TEST_F(ConfigTest, EnvironmentOverridesYaml) {
  ASSERT_TRUE(ApplyYamlConfig("test_brokers: from-yaml:1\n", "a.yaml").ok());
  setenv("VNSTREAM_TEST_BROKERS", "from-env:2", 1);
  ASSERT_TRUE(ApplyEnvironment({"test_brokers", "test_interval"}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_brokers), "from-env:2");
  EXPECT_EQ(absl::GetFlag(FLAGS_test_interval), 10);
}

TEST_F(ConfigTest, HelpListsSettingsWithDefaultsAndSources) {
  const std::string help = SettingsHelp("config_test", "config_test: usage");
  EXPECT_THAT(help, HasSubstr("config_test: usage\n"));
  // The test flags are defined in libs/base, beside --config.
  EXPECT_THAT(help, HasSubstr("\nConfiguration and logging (libs/base):\n"));
  EXPECT_THAT(help,
              HasSubstr("  --test_brokers=default:9092\n      test flag\n"));
  EXPECT_THAT(help, HasSubstr("  --test_interval=10\n"));
  EXPECT_THAT(help, HasSubstr("  --test_symbols=\"\"\n"));
  EXPECT_THAT(help, HasSubstr("--config=FILE.yaml"));
  EXPECT_THAT(help, HasSubstr("VNSTREAM_<NAME>"));
  EXPECT_THAT(help, HasSubstr("\nPrecedence: flag > environment > YAML file > "
                              "default (shown below).\n"));
  EXPECT_THAT(help, Not(HasSubstr("--flagfile")));  // Abseil's own.
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    if (line == "config_test: usage") continue;
    EXPECT_LE(line.size(), 80u) << line;
  }
}

TEST_F(ConfigTest, HelpFilterKeepsMatchingSettings) {
  const std::string help = SettingsHelp("config_test", "usage", "test_int");
  EXPECT_THAT(help, HasSubstr("--test_interval=10"));
  EXPECT_THAT(help, Not(HasSubstr("--test_brokers")));
  EXPECT_THAT(SettingsHelp("config_test", "usage", "no_such_setting"),
              HasSubstr("No settings match 'no_such_setting'."));
}

}  // namespace
}  // namespace vnstream
