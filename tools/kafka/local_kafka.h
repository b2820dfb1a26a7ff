// A real Apache Kafka on 127.0.0.1, run from the jars fetch-kafka.sh
// caches: one node, or a cluster of N nodes (KRaft; every node is broker and
// controller in one JVM). Used by the local stack (vnstream-kafka
// start/stop), cross-service tests, the chaos tests (kill, restart, pause
// single brokers) and benchmarks.
#ifndef VNSTREAM_TOOLS_KAFKA_LOCAL_KAFKA_H_
#define VNSTREAM_TOOLS_KAFKA_LOCAL_KAFKA_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/topics.h"

namespace vnstream::kafka {

// The SASL_SSL mode: one SASL_SSL listener (TLS with these certificates,
// password logins: kSaslMechanism of libs/kafka/users.h) instead of
// PLAINTEXT, the users of libs/kafka/users.h with their ACLs, and every
// other principal denied. The KRaft controller listener stays PLAINTEXT on
// 127.0.0.1 (the broker and controller share the JVM).
struct KafkaSecurity {
  // The broker's private key and certificate in one PEM file, and the CA
  // (scripts/make-certs.sh: kafka-keystore.pem and ca.pem).
  std::string keystore_file;
  std::string ca_file;
};

struct LocalKafkaOptions {
  // Directory holding lib/*.jar. Empty: $VNSTREAM_KAFKA_HOME, else the
  // fetch-kafka.sh cache (~/.cache/vnstream/kafka-<version>).
  std::string kafka_home;
  // Required. One node: holds server.properties, data/, broker.log,
  // broker.pid. N nodes: one such directory per node, node-1 ... node-N.
  // An already formatted directory is reused (data survives a restart).
  std::string work_dir;
  // Nodes (node ids 1..brokers). With 3 or more, topics are replicated 3
  // times with min.insync.replicas=2, so an acks=all producer survives the
  // loss of any one broker.
  int brokers = 1;
  // PLAINTEXT listener port of node 1 on 127.0.0.1; 0 picks a free one.
  // Other nodes always pick free ports.
  int port = 0;
  // KRaft controller listener port of node 1; 0 picks a free one.
  int controller_port = 0;
  // Topics created once the cluster is up (existing ones are kept).
  // Default: DefaultTopics(ReplicationFactorFor(brokers)).
  std::optional<std::vector<TopicSpec>> topics;
  // How long start-up may take, JVM start to a consumed probe record.
  absl::Duration startup_timeout = absl::Seconds(120);
  // Kill the brokers if the thread that started them dies (tests). Off for
  // daemons.
  bool kill_with_parent = true;
  // JVM maximum heap per node, e.g. "768m" (the OS page cache does the
  // real caching).
  std::string max_heap = "768m";
  // SASL_SSL instead of PLAINTEXT. Passwords are made on the first start
  // (random) and kept in work_dir/users/<user>.password (0600); the broker
  // reads them at every start (edit one and restart to change it).
  std::optional<KafkaSecurity> security;
};

// Thread-safety: not thread-safe; one owner. A broker (re)started by this
// object is killed when the thread that (re)started it exits, unless
// kill_with_parent is off.
class LocalKafka {
 public:
  // Formats storage (first time), starts every node's JVM, waits until a
  // probe record can be produced (acks=all) and consumed, creates the
  // topics.
  static absl::StatusOr<std::unique_ptr<LocalKafka>> Start(
      LocalKafkaOptions options);

  // Stops every broker (controlled shutdown, SIGKILL after 30 s) unless
  // Release()d.
  ~LocalKafka();

  // "127.0.0.1:<port>[,127.0.0.1:<port>...]": every node.
  const std::string& bootstrap_servers() const { return bootstrap_; }
  int broker_count() const { return static_cast<int>(nodes_.size()); }
  // Node 1's listener port and pid; its broker.log.
  int port() const { return port(1); }
  pid_t pid() const { return pid(1); }
  const std::string& log_path() const { return log_path(1); }
  // Node `node_id` (1..broker_count()).
  int port(int node_id) const;
  pid_t pid(int node_id) const;
  const std::string& log_path(int node_id) const;

  // SASL_SSL mode (else these are empty): the CA, the file with `user`'s
  // password (kAdminUser or a name of ServiceUsers()), and the librdkafka
  // settings that log in as `user`.
  bool secure() const { return security_.has_value(); }
  std::string ca_file() const { return secure() ? security_->ca_file : ""; }
  std::string PasswordFile(const std::string& user) const;
  ConfigMap ClientConfig(const std::string& user) const;

  // Controlled shutdown of every node: SIGTERM, wait up to `grace`, then
  // SIGKILL.
  absl::Status Stop(absl::Duration grace = absl::Seconds(30));

  // Faults for chaos tests. Kill: SIGKILL, waits for the exit. Pause and
  // Resume: SIGSTOP and SIGCONT (a hung broker: its connections stay open).
  // Restart: starts a stopped or killed node again on its data and ports
  // and waits until it is registered with the controller again.
  absl::Status KillBroker(int node_id);
  absl::Status PauseBroker(int node_id);
  absl::Status ResumeBroker(int node_id);
  absl::Status RestartBroker(int node_id,
                             absl::Duration timeout = absl::Seconds(120));
  bool BrokerRunning(int node_id);

  // Waits until every partition of every topic has all its replicas in
  // sync (e.g. after RestartBroker, before the next fault).
  absl::Status WaitUntilFullyReplicated(absl::Duration timeout);

  // Leaves the brokers running after this object is gone (daemon mode);
  // stop them later with StopDetached(work_dir).
  void Release();

  // Stops the brokers started (and Release()d) with `work_dir`, by their
  // pid files. OK if none is running.
  static absl::Status StopDetached(const std::string& work_dir,
                                   absl::Duration grace = absl::Seconds(30));

  // The kafka home that Start() would use with an empty kafka_home.
  static std::string DefaultKafkaHome();

 private:
  struct Node;

  LocalKafka();
  absl::Status StartNode(Node& node);
  absl::StatusOr<Node*> FindNode(int node_id) const;

  std::vector<std::unique_ptr<Node>> nodes_;
  std::string lib_dir_;
  std::string work_dir_;
  std::string bootstrap_;
  std::string max_heap_;
  bool kill_with_parent_ = true;
  bool released_ = false;
  std::optional<KafkaSecurity> security_;
};

}  // namespace vnstream::kafka

#endif  // VNSTREAM_TOOLS_KAFKA_LOCAL_KAFKA_H_
