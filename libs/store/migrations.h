// Schema migrations of the history store: the SQL files of
// libs/store/migrations (NNNN_name.sql, embedded in the binary at build
// time), applied in order at start-up.
//
// Migrate() runs in one transaction holding an advisory lock, so replicas
// starting together apply each migration once; every applied migration is
// recorded in schema_migrations (version, name, checksum, time). A file
// changed after it was applied is an error (migrations are append-only:
// change the schema with a new file). A database newer than the binary is
// accepted with a warning (migrations are additive, so an older binary
// keeps working during a rollout).
#ifndef VNSTREAM_LIBS_STORE_MIGRATIONS_H_
#define VNSTREAM_LIBS_STORE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/pg/pg.h"

namespace vnstream::store {

struct MigrationFile {
  std::string name;  // "0001_init.sql"
  std::string sql;
};

// The embedded files, in version order (generated: embed_sql.sh).
const std::vector<MigrationFile>& MigrationFiles();

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
};

// The embedded migrations, parsed and checked (versions 1, 2, ... without
// gaps; the file name's number is the version).
absl::StatusOr<std::vector<Migration>> Migrations();

// Applies the migrations the database does not have yet; returns the
// schema version afterwards. `migrations` is Migrations() (or a prefix of
// it, to build an older schema in tests).
absl::StatusOr<int> Migrate(pg::Connection& conn,
                            absl::Span<const Migration> migrations,
                            absl::Time deadline);

}  // namespace vnstream::store

#endif  // VNSTREAM_LIBS_STORE_MIGRATIONS_H_
