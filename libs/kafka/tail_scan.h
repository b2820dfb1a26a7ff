// Reads the end of a topic backwards, window by window: how services
// recover their state (e.g. ingest's last sequence number per symbol) from
// Kafka at start-up, without local disk and without reading whole topics.
#ifndef VNSTREAM_LIBS_KAFKA_TAIL_SCAN_H_
#define VNSTREAM_LIBS_KAFKA_TAIL_SCAN_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/kafka/client_config.h"

namespace vnstream::kafka {

struct TailScanOptions {
  std::string bootstrap_servers;
  std::string topic;
  // Records per partition in the first window; each further window is
  // twice as large.
  int64_t initial_window = 2000;
  // For the whole scan.
  absl::Duration timeout = absl::Seconds(60);
  // Extra librdkafka settings (TLS, SASL, ...).
  ConfigMap overrides;
};

// Calls `visit` for the records of the last window of every partition,
// then (if `enough()` is false) of the window before it, and so on until
// `enough()` or the start of every partition. Within a window records come
// in offset order; windows go backwards, so a visitor keeping "the latest
// per key" must compare offsets or sequence numbers. Records appended
// after the scan started are not visited.
absl::Status ScanTopicBackwards(
    const TailScanOptions& options,
    const std::function<void(RdKafka::Message&)>& visit,
    const std::function<bool()>& enough);

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_TAIL_SCAN_H_
