#include "libs/kafka/flags.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/kafka/users.h"

ABSL_FLAG(std::string, kafka_brokers, "127.0.0.1:9092",
          "Kafka bootstrap servers, host:port[,host:port...].");
ABSL_FLAG(std::string, kafka_config, "",
          "Extra librdkafka settings for every Kafka client of the service, "
          "key=value[,key=value...].");
ABSL_FLAG(std::string, kafka_ca_file, "",
          "TLS to Kafka: the CA certificate (PEM) the brokers' certificates "
          "chain to. Empty = no TLS.");
ABSL_FLAG(std::string, kafka_sasl_username, "",
          "SASL user of this service; needs kafka_ca_file (SASL_SSL). "
          "Empty = no authentication.");
ABSL_FLAG(std::string, kafka_sasl_password_file, "",
          "File holding the SASL password (else the environment variable "
          "VNSTREAM_KAFKA_SASL_PASSWORD).");
ABSL_FLAG(std::string, kafka_sasl_mechanism, vnstream::kafka::kSaslMechanism,
          "SASL mechanism: PLAIN (inside TLS), or SCRAM-SHA-512 with "
          "brokers before Kafka 4 (see libs/kafka/users.h).");

namespace vnstream::kafka {

std::string BrokersFromFlags() { return absl::GetFlag(FLAGS_kafka_brokers); }

absl::StatusOr<ConfigMap> ClientConfigFromFlags() {
  absl::StatusOr<ConfigMap> config =
      ParseConfigList(absl::GetFlag(FLAGS_kafka_config));
  if (!config.ok()) return config;
  const std::string ca = absl::GetFlag(FLAGS_kafka_ca_file);
  const std::string user = absl::GetFlag(FLAGS_kafka_sasl_username);
  if (!user.empty() && ca.empty()) {
    return absl::InvalidArgumentError(
        "kafka_sasl_username needs kafka_ca_file: SASL is only used over TLS");
  }
  if (!ca.empty()) {
    (*config)["security.protocol"] = user.empty() ? "SSL" : "SASL_SSL";
    (*config)["ssl.ca.location"] = ca;
    // Brokers are verified by name (or IP) as well as by CA.
    (*config)["ssl.endpoint.identification.algorithm"] = "https";
  }
  if (user.empty()) return config;
  std::string password;
  if (const std::string file = absl::GetFlag(FLAGS_kafka_sasl_password_file);
      !file.empty()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka_sasl_password_file: cannot read ", file));
    }
    password = std::string(absl::StripAsciiWhitespace(text.str()));
  } else if (const char* env = std::getenv(kPasswordEnv); env != nullptr) {
    password = env;
  }
  if (password.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka_sasl_username ", user,
        " has no password: set kafka_sasl_password_file or ", kPasswordEnv));
  }
  (*config)["sasl.mechanisms"] = absl::GetFlag(FLAGS_kafka_sasl_mechanism);
  (*config)["sasl.username"] = user;
  (*config)["sasl.password"] = password;
  return config;
}

}  // namespace vnstream::kafka
