// The indicator parameters as flags (indicator_*), shared by analytics and
// the gateway: both must compute with the same parameters to give the same
// numbers.
#ifndef VNSTREAM_LIBS_INDICATORS_FLAGS_H_
#define VNSTREAM_LIBS_INDICATORS_FLAGS_H_

#include "absl/status/statusor.h"
#include "libs/indicators/indicators.h"

namespace vnstream::indicators {

// Reads the indicator_* flags; InvalidArgument when out of range.
absl::StatusOr<Params> ParamsFromFlags();

}  // namespace vnstream::indicators

#endif  // VNSTREAM_LIBS_INDICATORS_FLAGS_H_
