// The history store's connection flags, shared by the store service
// (writes: the owner role) and the gateway (GetCandles: the read-only
// role): store_dsn, store_connect_timeout, store_statement_timeout.
#ifndef VNSTREAM_LIBS_STORE_FLAGS_H_
#define VNSTREAM_LIBS_STORE_FLAGS_H_

#include "absl/status/statusor.h"
#include "libs/pg/pg.h"

namespace vnstream::store {

// The store_* flags. An empty store_dsn gives an empty dsn (the caller
// decides whether that is an error); bad timeouts are InvalidArgument.
absl::StatusOr<pg::ConnectionOptions> ConnectionOptionsFromFlags(
    absl::string_view application_name);

}  // namespace vnstream::store

#endif  // VNSTREAM_LIBS_STORE_FLAGS_H_
