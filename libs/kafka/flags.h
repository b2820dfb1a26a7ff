// Kafka connection flags shared by every service: kafka_brokers,
// kafka_config (extra librdkafka settings for every client), and the
// SASL_SSL login:
//   kafka_ca_file             TLS to the brokers, verified against this CA
//   kafka_sasl_username       SASL user (the service's own; see users.h)
//   kafka_sasl_password_file  a file holding its password, or else the
//                             environment variable VNSTREAM_KAFKA_SASL_PASSWORD
//                             (never a flag: command lines are visible to
//                             every local user)
//   kafka_sasl_mechanism      PLAIN (see kSaslMechanism in users.h)
// Passwords are never logged (see IsSensitive).
#ifndef VNSTREAM_LIBS_KAFKA_FLAGS_H_
#define VNSTREAM_LIBS_KAFKA_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "libs/kafka/client_config.h"

namespace vnstream::kafka {

// The environment variable a password may come from.
inline constexpr char kPasswordEnv[] = "VNSTREAM_KAFKA_SASL_PASSWORD";

std::string BrokersFromFlags();
// kafka_config plus the TLS and SASL settings; InvalidArgument when
// malformed, when a password cannot be read, or for SASL without TLS.
absl::StatusOr<ConfigMap> ClientConfigFromFlags();

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_FLAGS_H_
