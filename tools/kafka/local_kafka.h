// A real single-node Apache Kafka (KRaft: broker + controller in one JVM) on
// 127.0.0.1, run from the jars fetch-kafka.sh caches. Used by the local
// stack (vnstream-kafka start/stop), cross-service tests and benchmarks.
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
  // Required. Holds server.properties, data/, broker.log, broker.pid. An
  // already formatted directory is reused (data survives a restart).
  std::string work_dir;
  // PLAINTEXT listener port on 127.0.0.1; 0 picks a free one.
  int port = 0;
  // KRaft controller listener port; 0 picks a free one.
  int controller_port = 0;
  // Topics created once the broker is up (existing ones are kept).
  std::vector<TopicSpec> topics = DefaultTopics();
  // How long start-up may take, JVM start to a consumed probe record.
  absl::Duration startup_timeout = absl::Seconds(120);
  // Kill the broker if the starting thread dies (tests). Off for daemons.
  bool kill_with_parent = true;
  // JVM maximum heap, e.g. "768m" (the OS page cache does the real caching).
  std::string max_heap = "768m";
  // SASL_SSL instead of PLAINTEXT. Passwords are made on the first start
  // (random) and kept in work_dir/users/<user>.password (0600); the broker
  // reads them at every start (edit one and restart to change it).
  std::optional<KafkaSecurity> security;
};

class LocalKafka {
 public:
  // Formats storage (first time), starts the JVM, waits until a probe
  // record can be produced and consumed, creates `topics`.
  static absl::StatusOr<std::unique_ptr<LocalKafka>> Start(
      LocalKafkaOptions options);

  // Stops the broker (controlled shutdown, SIGKILL after 30 s) unless
  // Release()d.
  ~LocalKafka();

  // "127.0.0.1:<port>".
  const std::string& bootstrap_servers() const { return bootstrap_; }
  int port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  const std::string& log_path() const { return log_path_; }

  // SASL_SSL mode (else these are empty): the CA, the file with `user`'s
  // password (kAdminUser or a name of ServiceUsers()), and the librdkafka
  // settings that log in as `user`.
  bool secure() const { return security_.has_value(); }
  std::string ca_file() const { return secure() ? security_->ca_file : ""; }
  std::string PasswordFile(const std::string& user) const;
  ConfigMap ClientConfig(const std::string& user) const;

  // Controlled shutdown: SIGTERM, wait up to `grace`, then SIGKILL.
  absl::Status Stop(absl::Duration grace = absl::Seconds(30));

  // Leaves the broker running after this object is gone (daemon mode);
  // stop it later with StopDetached(work_dir).
  void Release() {
    released_ = true;
    process_->Release();
  }

  // Stops a broker started (and Release()d) with `work_dir`, by its pid
  // file. OK if it is not running.
  static absl::Status StopDetached(const std::string& work_dir,
                                   absl::Duration grace = absl::Seconds(30));

  // The kafka home that Start() would use with an empty kafka_home.
  static std::string DefaultKafkaHome();

 private:
  LocalKafka() = default;

  std::unique_ptr<Subprocess> process_;
  std::string bootstrap_;
  std::string log_path_;
  std::string work_dir_;
  int port_ = 0;
  bool released_ = false;
  std::optional<KafkaSecurity> security_;
};

}  // namespace vnstream::kafka

#endif  // VNSTREAM_TOOLS_KAFKA_LOCAL_KAFKA_H_
