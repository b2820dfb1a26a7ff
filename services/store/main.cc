// vnstream-store: Kafka (stock-historical, stock-intraday, stock-analytics,
// stock-instruments) -> PostgreSQL, exactly once. See config.yaml for every
// setting.
//
//   vnstream-store            migrate the schema, then consume until SIGTERM
//                             (and backfill in the background)
//   vnstream-store backfill   migrate, backfill, exit (1 if symbols failed)
//   vnstream-store migrate    migrate the schema and exit
#include <memory>
#include <thread>

#include "libs/base/logging.h"
#include "libs/pg/pg.h"
#include "libs/service/service_main.h"
#include "libs/store/migrations.h"
#include "libs/store/writer.h"
#include "libs/vnstock/client.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/store/backfill.h"
#include "services/store/config.h"
#include "services/store/consumer.h"
#include "services/store/maintenance.h"
#include "services/store/sink.h"

namespace vnstream::store {
namespace {

constexpr char kUsage[] =
    "vnstream-store [backfill|migrate]: Kafka -> PostgreSQL history store.\n"
    "Settings: flags, VNSTREAM_<FLAG> or --config=FILE.yaml";

// Applies the migrations, retrying while the database is unreachable.
absl::StatusOr<int> MigrateWithRetry(const pg::ConnectionOptions& database,
                                     const absl::Notification& stop) {
  absl::StatusOr<std::vector<Migration>> migrations = Migrations();
  if (!migrations.ok()) return migrations.status();
  while (true) {
    const absl::Time deadline = absl::Now() + absl::Minutes(5);
    absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
        pg::Connection::Open(database, deadline);
    absl::StatusOr<int> version =
        conn.ok() ? Migrate(**conn, *migrations, deadline) : conn.status();
    if (version.ok()) return version;
    if (version.status().code() != absl::StatusCode::kUnavailable &&
        version.status().code() != absl::StatusCode::kDeadlineExceeded) {
      return version.status();  // A bad migration or credentials: fatal.
    }
    spdlog::warn("database {} not reachable, retrying in 2s: {}",
                 pg::DescribeDsn(database.dsn), version.status());
    if (stop.WaitForNotificationWithTimeout(absl::Seconds(2))) {
      return absl::CancelledError("stopped");
    }
  }
}

int Main(int argc, char** argv) {
  std::vector<char*> args = InitService(argc, argv, "vnstream-store", kUsage);
  absl::StatusOr<StoreConfig> config = LoadConfig();
  if (std::optional<int> code = ConfigExit(config.status())) return *code;
  const std::string mode = args.size() > 1 ? args[1] : "";
  if (args.size() > 2 ||
      (!mode.empty() && mode != "migrate" && mode != "backfill")) {
    spdlog::error("unknown command line: {}\n{}", mode, kUsage);
    return 2;
  }
  absl::StatusOr<std::unique_ptr<ServiceRuntime>> runtime =
      ServiceRuntime::Create(config->metrics_address);
  if (!runtime.ok()) {
    spdlog::error("{}", runtime.status());
    return 1;
  }
  if (absl::Status s =
          (*runtime)->StartGrpc({.address = config->grpc_address}, {});
      !s.ok()) {
    spdlog::error("{}", s);
    return 1;
  }
  prometheus::Registry& registry = (*runtime)->registry();
  GrpcServer& grpc = (*runtime)->grpc();
  const absl::Notification& stop = (*runtime)->stop();

  absl::StatusOr<int> version = MigrateWithRetry(config->database, stop);
  if (!version.ok()) {
    if (stop.HasBeenNotified()) return 0;
    spdlog::error("schema migration failed: {}", version.status());
    return 1;
  }
  prometheus::BuildGauge()
      .Name("vnstream_store_schema_version")
      .Help("Schema version of the history store (schema_migrations).")
      .Register(registry)
      .Add({})
      .Set(*version);
  spdlog::info("schema at version {} in {}", *version,
               pg::DescribeDsn(config->database.dsn));
  if (mode == "migrate") return 0;

  // The backfill: its own connection and VNStock client, on this thread
  // (backfill mode) or in the background.
  vnstock::VciClient client(config->vnstock, &config->calendar, &registry);
  PgWriter backfill_writer(config->database, config->consumer_name);
  backfill_writer.set_minute_retention_months(
      config->maintenance.retention_months);
  PgBackfillStore backfill_store(backfill_writer);
  Backfill backfill(config->backfill, client, config->calendar, backfill_store,
                    registry);
  if (mode == "backfill") {
    grpc.SetServing(true);
    absl::StatusOr<BackfillResult> result = backfill.Run(stop);
    grpc.Shutdown(absl::Seconds(2));
    if (!result.ok()) {
      spdlog::error("backfill: {}", result.status());
      return 1;
    }
    return result->failed > 0 ? 1 : 0;
  }
  std::thread backfill_thread;
  if (config->backfill_on_start) {
    backfill_thread = std::thread([&] {
      absl::StatusOr<BackfillResult> result = backfill.Run(stop);
      if (!result.ok()) spdlog::error("backfill: {}", result.status());
    });
  }

  PgWriter writer(config->database, config->consumer_name);
  Maintenance maintenance(config->maintenance, writer, registry);
  Sink sink(config->sink, writer, registry);
  Consumer consumer(
      config->consumer, sink,
      [&] { return writer.Offsets(absl::Now() + absl::Seconds(30)); },
      [&] { maintenance.RunIfDue(absl::Now()); }, registry);
  spdlog::info("storing Kafka {} into {}; metrics :{}; gRPC :{}",
               config->consumer.bootstrap_servers,
               pg::DescribeDsn(config->database.dsn),
               (*runtime)->metrics().port(), grpc.port());
  grpc.SetServing(true);
  const absl::Status status = consumer.Run(stop);
  grpc.SetServing(false);
  if (backfill_thread.joinable()) backfill_thread.join();
  grpc.Shutdown(absl::Seconds(2));
  if (!status.ok()) {
    spdlog::error("stopping: {}", status);
    return 1;
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace vnstream::store

int main(int argc, char** argv) { return vnstream::store::Main(argc, argv); }
