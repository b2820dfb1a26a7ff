// The VNStock client's settings as flags (vnstock_*), shared by every
// binary that talks to VNStock (ingest, the gateway's fallback).
#ifndef VNSTREAM_LIBS_VNSTOCK_FLAGS_H_
#define VNSTREAM_LIBS_VNSTOCK_FLAGS_H_

#include "absl/status/statusor.h"
#include "libs/vnstock/client.h"

namespace vnstream::vnstock {

// Reads the vnstock_* flags; InvalidArgument for out-of-range values.
absl::StatusOr<VciClientOptions> VciClientOptionsFromFlags();

}  // namespace vnstream::vnstock

#endif  // VNSTREAM_LIBS_VNSTOCK_FLAGS_H_
