// The Kafka users of vnstream's services and what each may do: one
// definition for the local launcher's SASL_SSL mode (tools/kafka) and,
// mirrored, deploy/k8s's Strimzi KafkaUser resources. Each service
// authenticates as its own user (its name; SASL over TLS); the brokers deny
// everything no ACL below allows:
//   ingest     writes and reads back (sequence recovery) its four topics
//   analytics  reads prices, intraday, history and instruments; writes its
//              four outputs and its state changelog in transactions
//              (transactional ids "vnstream-analytics*") and reads the
//              changelog back
//   gateway    reads every topic
//   store      reads every topic
// Consumers also need their group: services that only assign partitions
// still name one, and librdkafka looks its coordinator up.
#ifndef VNSTREAM_LIBS_KAFKA_USERS_H_
#define VNSTREAM_LIBS_KAFKA_USERS_H_

#include <string>
#include <vector>

namespace vnstream::kafka {

// Kafka's names (AclBinding): resource TOPIC, GROUP, TRANSACTIONAL_ID;
// pattern LITERAL or PREFIXED; operation READ, WRITE, DESCRIBE.
struct Acl {
  std::string resource;
  std::string pattern;
  std::string name;
  std::string operation;
};

struct ServiceUser {
  // SASL user name = the service's name; principal "User:<name>".
  std::string name;
  std::vector<Acl> acls;
};

std::vector<ServiceUser> ServiceUsers();

// The broker's own user: inter-broker traffic and administration (topic
// creation, ACLs). A super user.
inline constexpr char kAdminUser[] = "admin";

// The SASL mechanism of the local launcher and the services' default:
// PLAIN, always inside TLS. Not SCRAM-SHA-512: librdkafka before 2.6.1
// (Debian 12 ships 2.0.2) computes a SCRAM client-final nonce that Kafka 4
// rejects as invalid credentials (librdkafka#4895), while the Java client
// logs in. Switch back once the services link librdkafka >= 2.6.1.
inline constexpr char kSaslMechanism[] = "PLAIN";

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_USERS_H_
