// The Kubernetes manifests (deploy/k8s: base, overlays local and production,
// monitoring) are consistent with the code: every file is listed by its
// kustomization, the KafkaTopic resources are exactly libs/kafka/topics.cc's
// topics on Strimzi's v1 API, every workload is hardened, the services'
// ConfigMap settings pass their binaries' --check_config, every Kafka client
// of production has its Kafka user (a client certificate), every workload
// its PodDisruptionBudget and NetworkPolicies, monitoring carries the labels
// kube-prometheus-stack selects (the alert rules: tests/alerts_test). (The
// cluster test applies the overlays to a real API server.)
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
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

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::vnstream::testing::Runfile;

const std::vector<std::string>& Kustomizations() {
  static const auto* dirs =
      new std::vector<std::string>{"base", "local", "production", "monitoring"};
  return *dirs;
}

std::vector<YAML::Node> LoadAll(const std::string& file) {
  return YAML::LoadAllFromFile(Runfile("deploy/k8s/" + file));
}

// The resources of a kustomization directory, loaded from the files it
// lists (no other kustomization's).
std::vector<YAML::Node> Resources(const std::string& dir) {
  std::vector<YAML::Node> docs;
  const YAML::Node k =
      YAML::LoadFile(Runfile("deploy/k8s/" + dir + "/kustomization.yaml"));
  for (const auto& r : k["resources"]) {
    const std::string file = r.as<std::string>();
    if (absl::StartsWith(file, "../")) continue;
    for (const YAML::Node& doc : LoadAll(dir + "/" + file)) docs.push_back(doc);
  }
  return docs;
}

std::vector<YAML::Node> AllResources() {
  std::vector<YAML::Node> all;
  for (const std::string& dir : Kustomizations()) {
    for (const YAML::Node& doc : Resources(dir)) all.push_back(doc);
  }
  return all;
}

std::string Kind(const YAML::Node& doc) {
  return doc["kind"].as<std::string>();
}
std::string Name(const YAML::Node& doc) {
  return doc["metadata"]["name"].as<std::string>();
}
bool IsWorkload(const YAML::Node& doc) {
  const std::string kind = Kind(doc);
  return kind == "Deployment" || kind == "StatefulSet" || kind == "Job";
}

// vnstream's own services: name -> gRPC (health) port.
const std::map<std::string, int>& Services() {
  static const auto* services =
      new std::map<std::string, int>{{"ingest", 50052},
                                     {"analytics", 50053},
                                     {"gateway", 50051},
                                     {"store", 50054}};
  return *services;
}

TEST(DeployTest, KustomizationsListEveryManifest) {
  for (const std::string& dir : Kustomizations()) {
    SCOPED_TRACE(dir);
    const YAML::Node k =
        YAML::LoadFile(Runfile("deploy/k8s/" + dir + "/kustomization.yaml"));
    std::set<std::string> listed;
    for (const auto& r : k["resources"]) listed.insert(r.as<std::string>());
    for (const auto& p : k["patches"]) {
      if (p["path"]) listed.insert(p["path"].as<std::string>());
    }
    std::set<std::string> present;
    for (const auto& entry :
         fs::directory_iterator(Runfile("deploy/k8s/" + dir))) {
      const std::string file = entry.path().filename().string();
      if (absl::EndsWith(file, ".yaml") && file != "kustomization.yaml") {
        present.insert(file);
      }
    }
    for (const std::string& file : present) {
      EXPECT_TRUE(listed.count(file)) << file << " is not in the kustomization";
    }
    for (const std::string& file : listed) {
      if (absl::StartsWith(file, "../")) continue;
      EXPECT_NO_THROW(LoadAll(dir + "/" + file)) << file;
    }
  }
}

TEST(DeployTest, KafkaTopicsAreTheCodesTopicsOnStrimziV1) {
  std::map<std::string, YAML::Node> declared;
  for (const YAML::Node& doc : LoadAll("production/topics.yaml")) {
    ASSERT_EQ(Kind(doc), "KafkaTopic");
    declared[Name(doc)] = doc["spec"];
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
  // Strimzi 1.0 removed v1beta2: every Strimzi resource is on v1.
  int strimzi = 0;
  for (const YAML::Node& doc : AllResources()) {
    const std::string api = doc["apiVersion"].as<std::string>();
    if (!absl::StartsWith(api, "kafka.strimzi.io/")) continue;
    ++strimzi;
    EXPECT_EQ(api, "kafka.strimzi.io/v1") << Kind(doc) << " " << Name(doc);
  }
  EXPECT_EQ(strimzi, 9 + 4 + 3);  // topics, users, Kafka + 2 node pools
}

TEST(DeployTest, WorkloadsAreHardened) {
  std::set<std::string> seen;
  for (const YAML::Node& doc : AllResources()) {
    if (!IsWorkload(doc)) continue;
    const std::string name = Name(doc);
    SCOPED_TRACE(name);
    seen.insert(name);
    const YAML::Node pod = doc["spec"]["template"]["spec"];
    EXPECT_FALSE(pod["automountServiceAccountToken"].as<bool>());
    EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
    EXPECT_EQ(pod["securityContext"]["runAsUser"].as<int>(), 65532);
    EXPECT_EQ(
        pod["securityContext"]["seccompProfile"]["type"].as<std::string>(),
        "RuntimeDefault");
    ASSERT_EQ(pod["containers"].size(), 1);
    const YAML::Node c = pod["containers"][0];
    EXPECT_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>());
    EXPECT_TRUE(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
    EXPECT_EQ(c["securityContext"]["capabilities"]["drop"][0].as<std::string>(),
              "ALL");
    EXPECT_TRUE(c["resources"]["requests"]["cpu"].IsDefined());
    EXPECT_TRUE(c["resources"]["limits"]["memory"].IsDefined());
    if (!Services().count(name)) continue;
    // A vnstream service: probed over gRPC, configured by its ConfigMap.
    EXPECT_EQ(c["readinessProbe"]["grpc"]["port"].as<int>(),
              Services().at(name));
    EXPECT_EQ(c["command"][1].as<std::string>(),
              absl::StrCat("--config=/etc/vnstream/", name, ".yaml"));
    EXPECT_EQ(pod["volumes"][0]["configMap"]["name"].as<std::string>(),
              name + "-config");
  }
  EXPECT_EQ(seen, (std::set<std::string>{
                      "ingest", "analytics", "gateway", "dashboard", "store",
                      "kafka", "kafka-topics", "postgres", "vnstock-sim"}));
}

int CheckConfig(const std::string& binary, const std::string& config) {
  auto process = Subprocess::Start(
      {.argv = {Runfile(binary), absl::StrCat("--config=", config),
                "--check_config"},
       // The store's DSN comes from the manifest's environment
       // (base/store.yaml); the others ignore it.
       .env = {{"VNSTREAM_STORE_DSN",
                "postgresql://postgres-rw:5432/vnstream"}},
       .log_path = testing::TestTempPath("check.log")});
  EXPECT_TRUE(process.ok());
  absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(30));
  EXPECT_TRUE(status.ok());
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

TEST(DeployTest, ConfigMapSettingsPassTheBinariesCheck) {
  for (const std::string service :
       {"ingest", "analytics", "gateway", "store"}) {
    SCOPED_TRACE(service);
    EXPECT_EQ(
        CheckConfig(
            absl::StrCat("services/", service, "/vnstream-", service),
            Runfile(absl::StrCat("deploy/k8s/base/config/", service, ".yaml"))),
        0);
  }
}

TEST(DeployTest, ProductionKafkaClientsHaveTheirUsers) {
  std::map<std::string, YAML::Node> users;
  for (const YAML::Node& doc : LoadAll("production/users.yaml")) {
    users[Name(doc)] = doc;
  }
  std::set<std::string> clients;
  for (const YAML::Node& patch : LoadAll("production/kafka-clients.yaml")) {
    const std::string name = Name(patch);
    SCOPED_TRACE(name);
    clients.insert(name);
    const std::string user = "vnstream-" + name;
    ASSERT_TRUE(users.count(user));
    EXPECT_EQ(users[user]["spec"]["authentication"]["type"].as<std::string>(),
              "tls");
    std::map<std::string, std::string> env;
    for (const auto& e :
         patch["spec"]["template"]["spec"]["containers"][0]["env"]) {
      ASSERT_TRUE(e["value"]) << "no secret in the environment";
      env[e["name"].as<std::string>()] = e["value"].as<std::string>();
    }
    EXPECT_THAT(env["VNSTREAM_KAFKA_CONFIG"],
                HasSubstr("security.protocol=SSL,"));
    EXPECT_THAT(env["VNSTREAM_KAFKA_CONFIG"],
                HasSubstr("ssl.certificate.location=/var/run/secrets/vnstream/"
                          "kafka-user/user.crt"));
    // The user's certificate is the user operator's Secret of that name.
    std::string user_secret;
    for (const auto& v : patch["spec"]["template"]["spec"]["volumes"]) {
      if (v["name"].as<std::string>() == "kafka-user")
        user_secret = v["secret"]["secretName"].as<std::string>();
    }
    EXPECT_EQ(user_secret, user);
    EXPECT_EQ(env["VNSTREAM_KAFKA_BROKERS"], "vnstream-kafka-bootstrap:9093");
  }
  EXPECT_EQ(clients,
            (std::set<std::string>{"ingest", "analytics", "gateway", "store"}));
  // The only listener is TLS, users logging in with client certificates.
  for (const YAML::Node& doc : LoadAll("production/kafka.yaml")) {
    if (Kind(doc) != "Kafka") continue;
    ASSERT_EQ(doc["spec"]["kafka"]["listeners"].size(), 1);
    const YAML::Node listener = doc["spec"]["kafka"]["listeners"][0];
    EXPECT_TRUE(listener["tls"].as<bool>());
    EXPECT_EQ(listener["authentication"]["type"].as<std::string>(), "tls");
    EXPECT_EQ(doc["spec"]["kafka"]["metricsConfig"]["type"].as<std::string>(),
              "jmxPrometheusExporter");
  }
}

TEST(DeployTest, ProductionWorkloadsHaveDisruptionBudgetsAndPolicies) {
  std::set<std::string> workloads, budgets, ingress, egress;
  for (const YAML::Node& doc : AllResources()) {
    if ((Kind(doc) == "Deployment" || Kind(doc) == "StatefulSet") &&
        doc["metadata"]["labels"]["app.kubernetes.io/name"]) {
      workloads.insert(Name(doc));
    }
  }
  for (const std::string local : {"kafka", "postgres", "vnstock-sim"}) {
    workloads.erase(local);
  }
  auto selected = [](const YAML::Node& selector) {
    std::set<std::string> names;
    if (const YAML::Node labels = selector["matchLabels"]; labels) {
      names.insert(labels["app.kubernetes.io/name"].as<std::string>());
    }
    if (const YAML::Node expressions = selector["matchExpressions"];
        expressions) {
      for (const auto& e : expressions) {
        for (const auto& v : e["values"]) names.insert(v.as<std::string>());
      }
    }
    return names;
  };

  for (const YAML::Node& doc : Resources("production")) {
    if (Kind(doc) == "PodDisruptionBudget") {
      for (const std::string& n : selected(doc["spec"]["selector"]))
        budgets.insert(n);
    }
    if (Kind(doc) == "NetworkPolicy") {
      for (const auto& type : doc["spec"]["policyTypes"]) {
        for (const std::string& n : selected(doc["spec"]["podSelector"])) {
          (type.as<std::string>() == "Ingress" ? ingress : egress).insert(n);
        }
      }
    }
  }
  EXPECT_EQ(workloads, (std::set<std::string>{"ingest", "analytics", "gateway",
                                              "dashboard", "store"}));
  EXPECT_EQ(budgets, workloads);
  EXPECT_EQ(ingress, workloads);
  EXPECT_EQ(egress, workloads);
}

TEST(DeployTest, MonitoringIsSelectedByKubePrometheusStack) {
  int monitors = 0;
  for (const YAML::Node& doc : AllResources()) {
    const std::string kind = Kind(doc);
    if (kind != "ServiceMonitor" && kind != "PodMonitor" &&
        kind != "PrometheusRule") {
      continue;
    }
    ++monitors;
    EXPECT_EQ(doc["metadata"]["labels"]["release"].as<std::string>(),
              "kube-prometheus-stack")
        << kind << " " << Name(doc);
  }
  EXPECT_EQ(monitors, 4);  // services, Kafka, PostgreSQL, the rules
  const YAML::Node k =
      YAML::LoadFile(Runfile("deploy/k8s/monitoring/kustomization.yaml"));
  const YAML::Node generator = k["configMapGenerator"][0];
  EXPECT_EQ(
      generator["options"]["labels"]["grafana_dashboard"].as<std::string>(),
      "1");
  const YAML::Node dashboard = YAML::LoadFile(Runfile(
      "deploy/k8s/monitoring/" + generator["files"][0].as<std::string>()));
  std::set<std::string> queried;
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel["targets"]) {
      const std::string expr = target["expr"].as<std::string>();
      for (const std::string prefix :
           {"vnstream_ingest_", "vnstream_analytics_", "vnstream_gateway_",
            "kafka_", "process_"}) {
        if (absl::StrContains(expr, prefix)) queried.insert(prefix);
      }
    }
  }
  EXPECT_EQ(queried.size(), 5u);
}

}  // namespace
}  // namespace vnstream
