// vnstream-kafka: runs a real Apache Kafka on 127.0.0.1, one node or a
// KRaft cluster of N broker+controller nodes.
//
//   vnstream-kafka start --dir=.run/kafka --port=9092  # daemon; prints the
//                                                      # bootstrap servers
//   vnstream-kafka start --dir=/tmp/k3 --brokers=3     # 3 nodes, free ports
//   vnstream-kafka stop  --dir=.run/kafka              # every node
//   vnstream-kafka run   --dir=/tmp/k                  # until Ctrl-C
//
// Jars come from tools/kafka/fetch-kafka.sh (run it first). The vnstream
// topics are created with their partition counts and cleanup policies,
// replicated 3 times with min.insync.replicas=2 on 3 or more nodes.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/base/config.h"
#include "libs/base/logging.h"
#include "libs/base/signals.h"
#include "tools/kafka/local_kafka.h"

ABSL_FLAG(std::string, dir, "", "Work directory: data, config, broker.log.");
ABSL_FLAG(int, brokers, 1,
          "Nodes (each a broker and a KRaft controller); 3 replicates the "
          "topics 3 times with min.insync.replicas=2.");
ABSL_FLAG(int, port, 0,
          "Broker port of node 1 on 127.0.0.1 (0 = a free one); other nodes "
          "pick free ports.");
ABSL_FLAG(int, controller_port, 0,
          "KRaft controller port of node 1 (0 = a free one).");
ABSL_FLAG(std::string, max_heap, "768m", "JVM maximum heap per node.");
ABSL_FLAG(std::string, kafka_home, "",
          "Directory with lib/*.jar (default: the fetch-kafka.sh cache).");
ABSL_FLAG(std::string, sasl_ssl_certs, "",
          "SASL_SSL mode: the scripts/make-certs.sh directory (its "
          "kafka-keystore.pem and ca.pem); users' passwords go to "
          "<dir>/users/<user>.password. Empty = PLAINTEXT.");

namespace vnstream::kafka {
namespace {

constexpr char kUsage[] =
    "vnstream-kafka start|stop|run --dir=DIR [--brokers=N] [--port=N] "
    "[--controller_port=N] [--sasl_ssl_certs=CERTS_DIR]";

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  std::vector<char*> args = ParseConfig(argc, argv, kUsage);
  InitLogging("vnstream-kafka");
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (args.size() != 2 || dir.empty()) {
    std::fprintf(stderr, "usage: %s\n", kUsage);
    return 2;
  }
  const std::string command = args[1];
  if (command == "stop") {
    absl::Status s = LocalKafka::StopDetached(dir);
    if (!s.ok()) spdlog::error("stop: {}", s);
    return s.ok() ? 0 : 1;
  }
  if (command != "start" && command != "run") {
    std::fprintf(stderr, "usage: %s\n", kUsage);
    return 2;
  }
  LocalKafkaOptions options{
      .kafka_home = absl::GetFlag(FLAGS_kafka_home),
      .work_dir = dir,
      .brokers = absl::GetFlag(FLAGS_brokers),
      .port = absl::GetFlag(FLAGS_port),
      .controller_port = absl::GetFlag(FLAGS_controller_port),
      .kill_with_parent = command == "run",
      .max_heap = absl::GetFlag(FLAGS_max_heap),
  };
  if (const std::string certs = absl::GetFlag(FLAGS_sasl_ssl_certs);
      !certs.empty()) {
    options.security = KafkaSecurity{
        .keystore_file = certs + "/kafka-keystore.pem",
        .ca_file = certs + "/ca.pem",
    };
  }
  absl::StatusOr<std::unique_ptr<LocalKafka>> kafka =
      LocalKafka::Start(std::move(options));
  if (!kafka.ok()) {
    spdlog::error("{}", kafka.status());
    return 1;
  }
  spdlog::info("Kafka ready at {} ({} node(s); node 1: pid {}, log {}){}",
               (*kafka)->bootstrap_servers(), (*kafka)->broker_count(),
               (*kafka)->pid(), (*kafka)->log_path(),
               (*kafka)->secure()
                   ? absl::StrCat("; SASL_SSL, passwords in ", dir, "/users")
                   : "");
  std::printf("%s\n", (*kafka)->bootstrap_servers().c_str());
  std::fflush(stdout);
  if (command == "start") {
    (*kafka)->Release();
    return 0;
  }
  WaitForShutdownSignal();
  return (*kafka)->Stop().ok() ? 0 : 1;
}

}  // namespace
}  // namespace vnstream::kafka

int main(int argc, char** argv) { return vnstream::kafka::Main(argc, argv); }
