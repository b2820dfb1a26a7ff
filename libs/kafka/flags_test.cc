// The Kafka login flags: what they turn into, where passwords may come from,
// and that no password reaches a log, ours or librdkafka's.
#include "libs/kafka/flags.h"

#include <cstdlib>
#include <fstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "librdkafka/rdkafkacpp.h"

ABSL_DECLARE_FLAG(std::string, kafka_ca_file);
ABSL_DECLARE_FLAG(std::string, kafka_sasl_username);
ABSL_DECLARE_FLAG(std::string, kafka_sasl_password_file);

namespace vnstream::kafka {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "s3cret-p4ssw0rd-never-logged";

class FlagsTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv(kPasswordEnv); }
  std::string PasswordFile() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string path = std::string(tmp ? tmp : "/tmp") + "/password";
    std::ofstream(path) << kPassword << "\n";
    return path;
  }
  absl::FlagSaver saver_;
};

TEST_F(FlagsTest, NoTlsNoSaslByDefault) {
  absl::StatusOr<ConfigMap> config = ClientConfigFromFlags();
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->empty());
}

TEST_F(FlagsTest, SaslSslFromAPasswordFile) {
  absl::SetFlag(&FLAGS_kafka_ca_file, "/certs/ca.pem");
  absl::SetFlag(&FLAGS_kafka_sasl_username, "ingest");
  absl::SetFlag(&FLAGS_kafka_sasl_password_file, PasswordFile());
  absl::StatusOr<ConfigMap> config = ClientConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config->at("ssl.ca.location"), "/certs/ca.pem");
  EXPECT_EQ(config->at("sasl.mechanisms"), "PLAIN");
  EXPECT_EQ(config->at("sasl.username"), "ingest");
  EXPECT_EQ(config->at("sasl.password"), kPassword) << "newline trimmed";
}

TEST_F(FlagsTest, PasswordFromTheEnvironmentAndTlsAlone) {
  absl::SetFlag(&FLAGS_kafka_ca_file, "/certs/ca.pem");
  absl::StatusOr<ConfigMap> tls = ClientConfigFromFlags();
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->at("security.protocol"), "SSL");
  EXPECT_FALSE(tls->contains("sasl.password"));
  absl::SetFlag(&FLAGS_kafka_sasl_username, "gateway");
  ::setenv(kPasswordEnv, kPassword, 1);
  absl::StatusOr<ConfigMap> config = ClientConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->at("sasl.password"), kPassword);
}

TEST_F(FlagsTest, MistakesAreErrorsWithoutThePassword) {
  absl::SetFlag(&FLAGS_kafka_sasl_username, "ingest");
  ::setenv(kPasswordEnv, kPassword, 1);
  absl::StatusOr<ConfigMap> no_tls = ClientConfigFromFlags();
  EXPECT_EQ(no_tls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_tls.status().message(), HasSubstr("only used over TLS"));
  ::unsetenv(kPasswordEnv);
  absl::SetFlag(&FLAGS_kafka_ca_file, "/certs/ca.pem");
  EXPECT_THAT(ClientConfigFromFlags().status().message(),
              HasSubstr("has no password"));
  absl::SetFlag(&FLAGS_kafka_sasl_password_file, "/no/such/file");
  EXPECT_THAT(ClientConfigFromFlags().status().message(),
              HasSubstr("cannot read /no/such/file"));
  // A value librdkafka refuses is named without its (secret) value.
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> bad =
      MakeConf({{"sasl.password", kPassword},
                {"ssl.key.password", kPassword},
                {"no.such.setting.password", kPassword}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), Not(HasSubstr(kPassword)));
}

// librdkafka's own logs, with every debug context on, while it tries to log
// in: the password never appears.
class Collect : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    absl::MutexLock lock(&mu_);
    text_ += event.str() + "\n";
  }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }

 private:
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
};

TEST_F(FlagsTest, LibrdkafkaDebugLogsDoNotShowThePassword) {
  absl::SetFlag(&FLAGS_kafka_ca_file, "/certs/ca.pem");
  absl::SetFlag(&FLAGS_kafka_sasl_username, "ingest");
  absl::SetFlag(&FLAGS_kafka_sasl_password_file, PasswordFile());
  absl::StatusOr<ConfigMap> config = ClientConfigFromFlags();
  ASSERT_TRUE(config.ok());
  // No TLS here (no certificate to load): the configuration is the point.
  config->erase("ssl.ca.location");
  (*config)["security.protocol"] = "SASL_PLAINTEXT";
  (*config)["bootstrap.servers"] = "127.0.0.1:1";
  (*config)["debug"] = "all";
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = MakeConf(*config);
  ASSERT_TRUE(conf.ok()) << conf.status();
  Collect logs;
  std::string error;
  (*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(&logs), error);
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf->get(), error));
  if (producer != nullptr) {
    const absl::Time end = absl::Now() + absl::Seconds(2);
    while (absl::Now() < end) producer->poll(100);
  }
  const std::string text = logs.text() + error;
  EXPECT_THAT(text, HasSubstr("sasl.username")) << "the config was logged";
  EXPECT_THAT(text, Not(HasSubstr(kPassword)));
}

}  // namespace
}  // namespace vnstream::kafka
