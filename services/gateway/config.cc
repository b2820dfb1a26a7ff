#include "services/gateway/config.h"

#include "absl/flags/flag.h"
#include "libs/indicators/flags.h"
#include "libs/kafka/flags.h"
#include "libs/market/flags.h"
#include "libs/store/flags.h"
#include "libs/vnstock/flags.h"

ABSL_FLAG(std::string, grpc_address, "0.0.0.0:50051", "gRPC listen address.");
ABSL_FLAG(std::string, metrics_address, "0.0.0.0:9103",
          "Prometheus /metrics address.");
ABSL_FLAG(std::string, health_address, "",
          "Plaintext listener serving only grpc.health.v1 (Kubernetes gRPC "
          "probes cannot do TLS); empty = none.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "Server certificate chain (PEM) of the gRPC port; re-read when it "
          "changes.");
ABSL_FLAG(std::string, tls_key_file, "", "Private key (PEM) of tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "Mutual TLS: clients must present a certificate signed by a CA in "
          "this PEM file. Empty = no client certificates.");
ABSL_FLAG(bool, insecure_plaintext, false,
          "Serve gRPC without TLS (API keys and data in the clear). Without "
          "a certificate the gateway refuses to start unless this is set.");
ABSL_FLAG(std::string, keys_file, "/etc/vnstream/keys/keys.yaml",
          "API keys file (vnstream-keys writes it; hashes only): every "
          "MarketDataService call needs a key from it. Re-read every "
          "keys_reload_interval. The gateway refuses to start without it "
          "unless insecure_no_auth is set.");
ABSL_FLAG(absl::Duration, keys_reload_interval, absl::Seconds(5),
          "How often keys_file is checked for added and revoked keys.");
ABSL_FLAG(bool, insecure_no_auth, false,
          "Serve MarketDataService without API keys: anyone who can connect "
          "may call everything, with no per-client quotas (demo and "
          "benchmarks only; logged as a warning).");
ABSL_FLAG(double, fallback_per_minute_total, 120,
          "VNStock fallback fetches per minute for all keys together (each "
          "key has its own fallback_per_minute too).");
ABSL_FLAG(bool, grpc_reflection, false,
          "Serve gRPC server reflection (grpcurl list/describe): the public "
          "API schema, to anyone who can connect.");
ABSL_FLAG(int, max_symbols_per_subscription, 100,
          "Symbols per Subscribe* call.");
ABSL_FLAG(int, max_symbols_per_request, 200, "Symbols per GetQuotes call.");
ABSL_FLAG(int, max_streams, 20000,
          "Open subscriptions in total (per key: its max_streams).");
ABSL_FLAG(int, stream_queue_limit, 4096,
          "Live messages pending on one stream before it is a slow consumer.");
ABSL_FLAG(int64_t, stream_max_queued_bytes, 16 << 20,
          "Serialized bytes queued on one stream, snapshot included, before "
          "it is ended as a slow consumer (quota stream_bytes).");
ABSL_FLAG(absl::Duration, stream_stall_timeout, absl::Seconds(30),
          "A stream whose write has not completed for this long while "
          "messages wait (its client stopped reading) is ended as a slow "
          "consumer; if its client still does not read this long after, the "
          "call is cancelled. 0 = never.");
ABSL_FLAG(
    absl::Duration, heartbeat_interval, absl::Seconds(15),
    "Default heartbeat period on idle streams (clients may ask 1s-120s).");
ABSL_FLAG(int, max_request_bytes, 1 << 20, "Largest request accepted, bytes.");
ABSL_FLAG(int, max_response_bytes, 16 << 20, "Largest message sent, bytes.");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Seconds(60),
          "Ping a connection idle this long (drops dead peers).");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "Ping answer timeout.");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Seconds(10),
          "Client pings more frequent than this get GOAWAY too_many_pings.");
ABSL_FLAG(int, max_concurrent_streams_per_connection, 1000,
          "HTTP/2 concurrent streams per connection (transport limit).");
ABSL_FLAG(absl::Duration, max_connection_age, absl::ZeroDuration(),
          "Close connections after this age so load balancers rebalance long "
          "streams (0 = never).");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Seconds(30),
          "Time streams get to finish after max_connection_age.");
ABSL_FLAG(bool, fallback, true,
          "Fetch from VNStock directly when Kafka has nothing for a symbol.");
ABSL_FLAG(absl::Duration, fallback_wait, absl::Seconds(5),
          "How long a unary call without a deadline waits for the fallback.");
ABSL_FLAG(absl::Duration, fallback_poll_quotes, absl::Seconds(10),
          "Fallback refresh of subscribed symbols without Kafka quotes.");
ABSL_FLAG(absl::Duration, fallback_poll_bars, absl::Seconds(60),
          "Fallback refresh of subscribed symbols without Kafka bars.");
ABSL_FLAG(absl::Duration, fallback_poll_history, absl::Minutes(5),
          "Fallback refresh of subscribed symbols without Kafka history.");
ABSL_FLAG(absl::Duration, fallback_not_found_ttl, absl::Minutes(5),
          "A symbol VNStock does not know is not asked for again this long.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "On SIGTERM: time calls get to finish before they are cancelled.");
ABSL_FLAG(int, store_connections, 4,
          "Connections to the history store at most (GetCandles calls beyond "
          "wait for one, within their deadline).");
ABSL_FLAG(absl::Duration, candles_max_wait, absl::Seconds(30),
          "Longest time a GetCandles call may take (also without a deadline).");

namespace vnstream::gateway {

absl::StatusOr<GatewayConfig> LoadConfig() {
  GatewayConfig config;
  config.grpc.address = absl::GetFlag(FLAGS_grpc_address);
  config.grpc.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  config.grpc.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  config.grpc.min_client_ping_interval =
      absl::GetFlag(FLAGS_min_client_ping_interval);
  config.grpc.max_concurrent_streams_per_connection =
      absl::GetFlag(FLAGS_max_concurrent_streams_per_connection);
  config.grpc.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_request_bytes);
  config.grpc.max_send_message_bytes = absl::GetFlag(FLAGS_max_response_bytes);
  config.grpc.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  config.grpc.max_connection_age_grace =
      absl::GetFlag(FLAGS_max_connection_age_grace);
  config.grpc.tls = {.cert_file = absl::GetFlag(FLAGS_tls_cert_file),
                     .key_file = absl::GetFlag(FLAGS_tls_key_file),
                     .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file)};
  config.grpc.insecure_plaintext = absl::GetFlag(FLAGS_insecure_plaintext);
  config.grpc.reflection = absl::GetFlag(FLAGS_grpc_reflection);
  config.grpc.health_address = absl::GetFlag(FLAGS_health_address);
  if (config.grpc.tls.enabled() == config.grpc.insecure_plaintext) {
    return absl::InvalidArgumentError(
        config.grpc.insecure_plaintext
            ? "insecure_plaintext and tls_cert_file contradict each other"
            : "no tls_cert_file/tls_key_file: the gateway serves TLS only "
              "(insecure_plaintext serves plaintext, explicitly)");
  }
  if (config.grpc.tls.key_file.empty() != config.grpc.tls.cert_file.empty() ||
      (!config.grpc.tls.client_ca_file.empty() && !config.grpc.tls.enabled())) {
    return absl::InvalidArgumentError(
        "tls_cert_file and tls_key_file go together; tls_client_ca_file "
        "needs them");
  }
  // Authentication: the keys file is read when the gateway starts (not by
  // --check_config, which checks the settings only).
  if (!absl::GetFlag(FLAGS_insecure_no_auth)) {
    config.auth = auth::AuthOptions{
        .keys_file = absl::GetFlag(FLAGS_keys_file),
        .reload_interval = absl::GetFlag(FLAGS_keys_reload_interval),
        .fallback_per_minute_total =
            absl::GetFlag(FLAGS_fallback_per_minute_total)};
    if (config.auth->keys_file.empty()) {
      return absl::InvalidArgumentError(
          "no keys_file: every call needs an API key (insecure_no_auth "
          "serves without, explicitly)");
    }
    if (config.auth->reload_interval < absl::Seconds(1) ||
        config.auth->fallback_per_minute_total < 0) {
      return absl::InvalidArgumentError(
          "keys_reload_interval must be at least 1s, "
          "fallback_per_minute_total >= 0");
    }
  }
  config.service.max_symbols_per_subscription =
      absl::GetFlag(FLAGS_max_symbols_per_subscription);
  config.service.max_symbols_per_request =
      absl::GetFlag(FLAGS_max_symbols_per_request);
  config.service.max_streams = absl::GetFlag(FLAGS_max_streams);
  config.service.subscriber.max_queued =
      static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_stream_queue_limit)));
  config.service.subscriber.max_queued_bytes = static_cast<size_t>(
      std::max<int64_t>(1, absl::GetFlag(FLAGS_stream_max_queued_bytes)));
  config.service.subscriber.heartbeat_interval =
      absl::GetFlag(FLAGS_heartbeat_interval);
  config.service.subscriber.stall_timeout =
      absl::GetFlag(FLAGS_stream_stall_timeout);
  config.service.unary_fallback_wait = absl::GetFlag(FLAGS_fallback_wait);
  if (config.service.max_symbols_per_subscription < 1 ||
      config.service.max_symbols_per_request < 1 ||
      config.service.max_streams < 1 ||
      absl::GetFlag(FLAGS_stream_queue_limit) < 1 ||
      absl::GetFlag(FLAGS_stream_max_queued_bytes) < 1) {
    return absl::InvalidArgumentError(
        "stream and symbol limits must be positive");
  }
  if (config.service.subscriber.heartbeat_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("heartbeat_interval must be at least 1s");
  }
  // Checked once a second: below that it would end streams that are only
  // between two checks.
  if (config.service.subscriber.stall_timeout != absl::ZeroDuration() &&
      config.service.subscriber.stall_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "stream_stall_timeout must be 0 (never) or at least 1s");
  }
  config.fallback_enabled = absl::GetFlag(FLAGS_fallback);
  config.fallback.not_found_ttl = absl::GetFlag(FLAGS_fallback_not_found_ttl);
  for (const ChannelDef& def : Channels()) {
    if (def.fallback.has_value())
      config.fallback_poll[Index(def.id)] = def.fallback->poll;
  }
  config.fallback_poll[Index(v1::CHANNEL_QUOTES)] =
      absl::GetFlag(FLAGS_fallback_poll_quotes);
  config.fallback_poll[Index(v1::CHANNEL_INTRADAY_BARS)] =
      absl::GetFlag(FLAGS_fallback_poll_bars);
  config.fallback_poll[Index(v1::CHANNEL_HISTORY)] =
      absl::GetFlag(FLAGS_fallback_poll_history);
  for (const ChannelDef& def : Channels()) {
    if (def.fallback.has_value() &&
        config.fallback_poll[Index(def.id)] < absl::Seconds(1)) {
      return absl::InvalidArgumentError("fallback_poll_* must be >= 1s");
    }
  }
  absl::StatusOr<vnstock::VciClientOptions> vnstock =
      vnstock::VciClientOptionsFromFlags();
  if (!vnstock.ok()) return vnstock.status();
  config.vnstock = *std::move(vnstock);
  config.fallback.fetch_timeout = config.vnstock.request_timeout;
  absl::StatusOr<market::TradingCalendar> calendar =
      market::CalendarFromFlags();
  if (!calendar.ok()) return calendar.status();
  config.calendar = *std::move(calendar);
  absl::StatusOr<indicators::Params> params = indicators::ParamsFromFlags();
  if (!params.ok()) return params.status();
  config.indicators = *std::move(params);
  config.kafka_brokers = kafka::BrokersFromFlags();
  absl::StatusOr<kafka::ConfigMap> kafka_config =
      kafka::ClientConfigFromFlags();
  if (!kafka_config.ok()) return kafka_config.status();
  config.consumer_config = *std::move(kafka_config);
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  config.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  absl::StatusOr<pg::ConnectionOptions> store =
      store::ConnectionOptionsFromFlags("vnstream-gateway");
  if (!store.ok()) return store.status();
  config.store = *std::move(store);
  config.store_connections = absl::GetFlag(FLAGS_store_connections);
  config.candles.max_wait = absl::GetFlag(FLAGS_candles_max_wait);
  if (config.store_connections < 1 ||
      config.candles.max_wait < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "store_connections must be positive, candles_max_wait at least 1s");
  }
  return config;
}

}  // namespace vnstream::gateway
