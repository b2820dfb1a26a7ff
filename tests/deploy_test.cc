// The Kubernetes manifests (deploy/k8s) are consistent with the code: the
// KafkaTopic resources are exactly libs/kafka/topics.cc's topics, every
// workload is hardened and probed over gRPC on its service's port, and the
// alert rules pass `promtool check rules` (Prometheus from Debian).
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/topics.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"
#include "yaml-cpp/yaml.h"

namespace vnstream {
namespace {

using ::vnstream::testing::Runfile;

std::vector<YAML::Node> LoadAll(const std::string& file) {
  return YAML::LoadAllFromFile(Runfile("deploy/k8s/" + file));
}

TEST(DeployTest, KustomizationListsEveryManifest) {
  const YAML::Node k = YAML::LoadFile(Runfile("deploy/k8s/kustomization.yaml"));
  std::set<std::string> listed;
  for (const auto& r : k["resources"]) listed.insert(r.as<std::string>());
  EXPECT_EQ(listed, (std::set<std::string>{
                        "namespace.yaml", "kafka.yaml", "topics.yaml",
                        "ingest.yaml", "analytics.yaml", "gateway.yaml",
                        "network-policy.yaml", "monitoring.yaml"}));
  for (const std::string& file : listed) {
    EXPECT_NO_THROW(LoadAll(file)) << file;
  }
}

TEST(DeployTest, KafkaTopicsAreTheCodesTopics) {
  std::map<std::string, YAML::Node> declared;
  for (const YAML::Node& doc : LoadAll("topics.yaml")) {
    ASSERT_EQ(doc["kind"].as<std::string>(), "KafkaTopic");
    declared[doc["metadata"]["name"].as<std::string>()] = doc["spec"];
  }
  const std::vector<kafka::TopicSpec> topics = kafka::DefaultTopics(3);
  ASSERT_EQ(declared.size(), topics.size());
  for (const kafka::TopicSpec& topic : topics) {
    SCOPED_TRACE(topic.name);
    ASSERT_TRUE(declared.count(topic.name));
    const YAML::Node& spec = declared[topic.name];
    EXPECT_EQ(spec["partitions"].as<int>(), topic.partitions);
    EXPECT_EQ(spec["replicas"].as<int>(), 3);
    EXPECT_EQ(spec["config"].size(), topic.configs.size());
    for (const auto& [key, value] : topic.configs) {
      EXPECT_EQ(spec["config"][key].as<std::string>(), value) << key;
    }
  }
}

TEST(DeployTest, WorkloadsAreHardenedAndProbedOverGrpc) {
  const std::map<std::string, int> grpc_port = {
      {"ingest", 50052}, {"analytics", 50053}, {"gateway", 50051}};
  int workloads = 0;
  for (const std::string file :
       {"ingest.yaml", "analytics.yaml", "gateway.yaml"}) {
    for (const YAML::Node& doc : LoadAll(file)) {
      const std::string kind = doc["kind"].as<std::string>();
      if (kind != "Deployment" && kind != "StatefulSet") continue;
      ++workloads;
      const std::string name = doc["metadata"]["name"].as<std::string>();
      SCOPED_TRACE(name);
      const YAML::Node pod = doc["spec"]["template"]["spec"];
      EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
      EXPECT_EQ(
          pod["securityContext"]["seccompProfile"]["type"].as<std::string>(),
          "RuntimeDefault");
      const YAML::Node c = pod["containers"][0];
      EXPECT_EQ(c["readinessProbe"]["grpc"]["port"].as<int>(),
                grpc_port.at(name));
      EXPECT_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>());
      EXPECT_TRUE(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
      EXPECT_EQ(
          c["securityContext"]["capabilities"]["drop"][0].as<std::string>(),
          "ALL");
      EXPECT_TRUE(c["resources"]["requests"]["cpu"].IsDefined());
      EXPECT_TRUE(c["resources"]["limits"]["memory"].IsDefined());
      EXPECT_EQ(c["command"][1].as<std::string>(),
                absl::StrCat("--config=/etc/vnstream/", name, ".yaml"));
    }
  }
  EXPECT_EQ(workloads, 3);
}

TEST(DeployTest, AlertRulesPassPromtool) {
  YAML::Node rule;
  for (const YAML::Node& doc : LoadAll("monitoring.yaml")) {
    if (doc["kind"].as<std::string>() == "PrometheusRule") rule = doc;
  }
  ASSERT_TRUE(rule.IsDefined());
  // promtool checks a plain rules file: the CR's spec is one.
  const std::string path = testing::TestTempPath("rules.yml");
  std::ofstream(path) << YAML::Dump(rule["spec"]);
  const std::string log = testing::TestTempPath("promtool.log");
  auto promtool = Subprocess::Start(
      {.argv = {"promtool", "check", "rules", path}, .log_path = log});
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  absl::StatusOr<int> status = (*promtool)->Wait(absl::Seconds(60));
  std::stringstream out;
  out << std::ifstream(log).rdbuf();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 0) << out.str();
  EXPECT_THAT(out.str(), ::testing::HasSubstr("SUCCESS: 8 rules found"));
}

}  // namespace
}  // namespace vnstream
