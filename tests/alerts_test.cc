// The alert rules (deploy/monitoring/vnstream-rules.yml) against promtool
// (Prometheus from Debian): they load, their unit tests pass, every alert is
// tested (fires in some test; one gated by market hours is silent at lunch,
// on a holiday and on a weekend), and the PrometheusRule of the Kubernetes
// manifests carries exactly these rules.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"
#include "yaml-cpp/yaml.h"

namespace vnstream {
namespace {

using ::testing::HasSubstr;
using ::vnstream::testing::Runfile;

constexpr char kRules[] = "deploy/monitoring/vnstream-rules.yml";
constexpr char kRuleTests[] = "deploy/monitoring/vnstream-rules-test.yml";

struct Promtool {
  int status = -1;
  std::string output;
};

Promtool RunPromtool(std::vector<std::string> args) {
  const std::string log =
      testing::TestTempPath(absl::StrCat("promtool-", args[0], ".log"));
  args.insert(args.begin(), "promtool");
  auto promtool = Subprocess::Start({.argv = args, .log_path = log});
  EXPECT_TRUE(promtool.ok()) << promtool.status();
  if (!promtool.ok()) return {};
  absl::StatusOr<int> status = (*promtool)->Wait(absl::Seconds(120));
  EXPECT_TRUE(status.ok()) << status.status();
  std::stringstream out;
  out << std::ifstream(log).rdbuf();
  return {status.ok() ? *status : -1, out.str()};
}

TEST(AlertsTest, RulesPassPromtoolCheck) {
  Promtool result = RunPromtool({"check", "rules", Runfile(kRules)});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("SUCCESS: 21 rules found"));
}

TEST(AlertsTest, RuleUnitTestsPass) {
  // promtool resolves rule_files relative to the test file.
  Promtool result = RunPromtool({"test", "rules", Runfile(kRuleTests)});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("SUCCESS"));
}

TEST(AlertsTest, EveryAlertIsTested) {
  std::map<std::string, bool> gated;  // Alert -> uses vnstream:market_open.
  for (const YAML::Node& group : YAML::LoadFile(Runfile(kRules))["groups"]) {
    for (const YAML::Node& rule : group["rules"]) {
      if (!rule["alert"]) continue;
      gated[rule["alert"].as<std::string>()] = absl::StrContains(
          rule["expr"].as<std::string>(), "vnstream:market_open");
    }
  }
  ASSERT_EQ(gated.size(), 20u);
  std::map<std::string, std::set<std::string>> silent_at;
  std::set<std::string> fires;
  for (const YAML::Node& test : YAML::LoadFile(Runfile(kRuleTests))["tests"]) {
    for (const YAML::Node& t : test["alert_rule_test"]) {
      const std::string name = t["alertname"].as<std::string>();
      EXPECT_TRUE(gated.count(name)) << "test of an unknown alert " << name;
      if (t["exp_alerts"].size() > 0) {
        fires.insert(name);
      } else {
        silent_at[name].insert(t["eval_time"].as<std::string>());
      }
    }
  }
  for (const auto& [name, market_hours] : gated) {
    EXPECT_TRUE(fires.count(name)) << name << " never fires in a test";
    if (!market_hours) continue;
    for (const char* when : {"300m", "1625m", "3065m"}) {
      EXPECT_TRUE(silent_at[name].count(when))
          << name << " is not tested silent at " << when
          << " (lunch, holiday, weekend)";
    }
  }
}

TEST(AlertsTest, PrometheusRuleIsTheRulesFile) {
  const std::string rules = YAML::Dump(YAML::LoadFile(Runfile(kRules)));
  int found = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(Runfile("deploy/k8s"))) {
    if (entry.path().extension() != ".yaml") continue;
    for (const YAML::Node& doc : YAML::LoadAllFromFile(entry.path())) {
      if (!doc.IsMap() || !doc["kind"] ||
          doc["kind"].as<std::string>() != "PrometheusRule") {
        continue;
      }
      ++found;
      EXPECT_EQ(YAML::Dump(doc["spec"]), rules)
          << entry.path() << ": its spec must be " << kRules
          << " (indented under spec:)";
    }
  }
  EXPECT_EQ(found, 1);
}

}  // namespace
}  // namespace vnstream
