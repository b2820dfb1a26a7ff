#include "libs/kafka/logging.h"

#include "libs/base/logging.h"

namespace vnstream::kafka {

void SpdlogEventCb::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR:
      // Transport errors repeat while a broker is down; librdkafka already
      // suppresses identical ones, and the services count them as metrics.
      spdlog::warn("kafka: {} ({})", event.str(),
                   RdKafka::err2str(event.err()));
      break;
    case RdKafka::Event::EVENT_LOG:
      if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_ERROR) {
        spdlog::warn("kafka {}: {}", event.fac(), event.str());
      } else if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_NOTICE) {
        spdlog::info("kafka {}: {}", event.fac(), event.str());
      } else {
        spdlog::debug("kafka {}: {}", event.fac(), event.str());
      }
      break;
    default:
      break;
  }
}

SpdlogEventCb* LogEvents() {
  static SpdlogEventCb* const cb = new SpdlogEventCb();
  return cb;
}

}  // namespace vnstream::kafka
