// Routes librdkafka's log and error events to spdlog, so Kafka problems
// (broker down, authentication, ...) appear in the service log with the
// service's format instead of librdkafka's raw stderr lines.
#ifndef VNSTREAM_LIBS_KAFKA_LOGGING_H_
#define VNSTREAM_LIBS_KAFKA_LOGGING_H_

#include "librdkafka/rdkafkacpp.h"

namespace vnstream::kafka {

// Stateless and thread-safe; one instance may serve many clients.
class SpdlogEventCb : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override;
};

// The process-wide instance to pass as "event_cb".
SpdlogEventCb* LogEvents();

}  // namespace vnstream::kafka

#endif  // VNSTREAM_LIBS_KAFKA_LOGGING_H_
