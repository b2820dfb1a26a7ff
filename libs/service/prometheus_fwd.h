// Forward declarations of the prometheus-cpp types a domain class records
// into. Domain headers include this instead of prometheus-cpp's headers, so
// they carry no metrics library: only their .cc files (which build the
// series) and the adapters that expose them do.
#ifndef VNSTREAM_LIBS_SERVICE_PROMETHEUS_FWD_H_
#define VNSTREAM_LIBS_SERVICE_PROMETHEUS_FWD_H_

namespace prometheus {
class Collectable;
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

#endif  // VNSTREAM_LIBS_SERVICE_PROMETHEUS_FWD_H_
