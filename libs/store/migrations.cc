#include "libs/store/migrations.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/base/logging.h"

namespace vnstream::store {
namespace {

// pg_advisory_xact_lock key of the migrations ("vnstream" in ASCII).
constexpr char kLockKey[] = "8531301451734950253";

}  // namespace

absl::StatusOr<std::vector<Migration>> Migrations() {
  std::vector<Migration> migrations;
  for (const MigrationFile& file : MigrationFiles()) {
    int version = 0;
    const size_t underscore = file.name.find('_');
    if (underscore == std::string::npos ||
        !absl::SimpleAtoi(file.name.substr(0, underscore), &version)) {
      return absl::InternalError(
          absl::StrCat("migration ", file.name, ": not NNNN_name.sql"));
    }
    if (version != static_cast<int>(migrations.size()) + 1) {
      return absl::InternalError(
          absl::StrCat("migration ", file.name, ": expected version ",
                       migrations.size() + 1, " (versions are consecutive)"));
    }
    migrations.push_back({version, file.name, file.sql});
  }
  return migrations;
}

absl::StatusOr<int> Migrate(pg::Connection& conn,
                            absl::Span<const Migration> migrations,
                            absl::Time deadline) {
  int schema_version = 0;
  const absl::Status status = conn.Transaction(deadline, [&]() -> absl::Status {
    // One migrator at a time; the lock ends with the transaction.
    if (absl::StatusOr<pg::Result> lock = conn.Exec(
            absl::StrCat("SELECT pg_advisory_xact_lock(", kLockKey, ")"),
            deadline);
        !lock.ok()) {
      return lock.status();
    }
    if (absl::Status s =
            conn.Script("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "  version integer PRIMARY KEY,"
                        "  name text NOT NULL,"
                        "  checksum text NOT NULL,"  // md5 of the file's text
                        "  applied_at timestamptz NOT NULL DEFAULT now())",
                        deadline);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<pg::Result> applied = conn.Exec(
        "SELECT version, name, checksum FROM schema_migrations ORDER BY "
        "version",
        deadline);
    if (!applied.ok()) return applied.status();
    absl::flat_hash_map<int, std::string> checksums;
    for (int row = 0; row < applied->rows(); ++row) {
      const int version = static_cast<int>(applied->Int64(row, 0));
      checksums[version] = std::string(applied->Value(row, 2));
      schema_version = std::max(schema_version, version);
    }
    for (const Migration& m : migrations) {
      auto it = checksums.find(m.version);
      if (it == checksums.end()) continue;
      absl::StatusOr<pg::Result> md5 =
          conn.Exec("SELECT md5($1)", {m.sql}, deadline);
      if (!md5.ok()) return md5.status();
      if (md5->Value(0, 0) != it->second) {
        return absl::FailedPreconditionError(absl::StrCat(
            "migration ", m.name,
            " was changed after it was applied; add a new migration instead"));
      }
    }
    const int known = migrations.empty() ? 0 : migrations.back().version;
    if (schema_version > known) {
      spdlog::warn(
          "the database schema is at version {}, newer than this binary's {}; "
          "continuing (migrations are additive)",
          schema_version, known);
      return absl::OkStatus();
    }
    for (const Migration& m : migrations) {
      if (m.version <= schema_version) continue;
      if (absl::Status s = conn.Script(m.sql, deadline); !s.ok()) {
        return absl::Status(
            s.code(), absl::StrCat("migration ", m.name, ": ", s.message()));
      }
      if (absl::StatusOr<pg::Result> r = conn.Exec(
              "INSERT INTO schema_migrations (version, name, checksum) "
              "VALUES ($1, $2, md5($3))",
              {absl::StrCat(m.version), m.name, m.sql}, deadline);
          !r.ok()) {
        return r.status();
      }
      spdlog::info("schema migration {} applied", m.name);
      schema_version = m.version;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return schema_version;
}

}  // namespace vnstream::store
