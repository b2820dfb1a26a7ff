#include "libs/store/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, store_dsn, "",
          "PostgreSQL connection URI of the history store, e.g. "
          "postgresql://user:password@127.0.0.1:5432/vnstream (prefer "
          "VNSTREAM_STORE_DSN: it holds a password).");
ABSL_FLAG(absl::Duration, store_connect_timeout, absl::Seconds(5),
          "Bound of one connection attempt to the history store.");
ABSL_FLAG(absl::Duration, store_statement_timeout, absl::Seconds(60),
          "Server-side bound of one statement (0 = none).");

namespace vnstream::store {

absl::StatusOr<pg::ConnectionOptions> ConnectionOptionsFromFlags(
    absl::string_view application_name) {
  pg::ConnectionOptions options;
  options.dsn = absl::GetFlag(FLAGS_store_dsn);
  options.connect_timeout = absl::GetFlag(FLAGS_store_connect_timeout);
  options.statement_timeout = absl::GetFlag(FLAGS_store_statement_timeout);
  options.application_name = std::string(application_name);
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.statement_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "store_connect_timeout must be positive, store_statement_timeout "
        "not negative");
  }
  return options;
}

}  // namespace vnstream::store
