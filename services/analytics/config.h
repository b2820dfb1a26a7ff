// analytics' configuration: flags (see config.yaml for every key), the
// environment and the YAML file, validated into one struct.
#ifndef VNSTREAM_SERVICES_ANALYTICS_CONFIG_H_
#define VNSTREAM_SERVICES_ANALYTICS_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/analytics/pipeline.h"
#include "services/analytics/processor.h"

namespace vnstream::analytics {

struct AnalyticsConfig {
  PipelineOptions pipeline;
  ProcessorOptions processor;
  std::string grpc_address;
  std::string metrics_address;
};

absl::StatusOr<AnalyticsConfig> LoadConfig();

}  // namespace vnstream::analytics

#endif  // VNSTREAM_SERVICES_ANALYTICS_CONFIG_H_
