// The Kafka users of vnstream's services and what each may do: one
// definition for the local launcher's SASL_SSL mode (tools/kafka) and,
// mirrored, deploy/k8s's Strimzi KafkaUser resources. Each service
// authenticates as its own SCRAM-SHA-512 user (its name); the brokers deny
// everything no ACL below allows:
//   ingest     writes and reads back (sequence recovery) its four topics
//   analytics  reads prices, intraday and history; writes its four outputs
//              in transactions (transactional ids "vnstream-analytics*")
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
  // SCRAM user name = the service's name; principal "User:<name>".
  std::string name;
  std::vector<Acl> acls;
};

std::vector<ServiceUser> ServiceUsers();

// The broker's own user: inter-broker traffic and administration (topic
// creation, ACLs). A super user.
inline constexpr char kAdminUser[] = "admin";

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_USERS_H_
