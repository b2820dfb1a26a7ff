// Rebuilds the Ingestor's state (sequence numbers, last published values)
// from the tails of the three topics, and the UniverseTracker's from
// stock-instruments, at start-up (and, for a newly listed symbol, before it
// is first polled).
#ifndef VNSTREAM_SERVICES_INGEST_RECOVERY_H_
#define VNSTREAM_SERVICES_INGEST_RECOVERY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/kafka/client_config.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/universe.h"

namespace vnstream::ingest {

// Scans each topic backwards until every symbol's newest record was seen
// (intraday: and the start of that record's trading day), or the start of
// the topic. Records that do not parse are skipped and counted in the log.
absl::Status RecoverFromKafka(const std::string& bootstrap_servers,
                              const kafka::ConfigMap& overrides,
                              const std::vector<std::string>& symbols,
                              Ingestor& ingestor, absl::Duration timeout);

// Reads the whole of stock-instruments (compacted: about one record per
// symbol) into the tracker.
absl::Status RecoverInstruments(const std::string& bootstrap_servers,
                                const kafka::ConfigMap& overrides,
                                UniverseTracker& tracker,
                                absl::Duration timeout);

}  // namespace vnstream::ingest

#endif  // VNSTREAM_SERVICES_INGEST_RECOVERY_H_
