#!/bin/sh
# Runs one Apache Kafka node in KRaft mode (the `local` overlay's broker +
# controller). Read-only root filesystem friendly: reads its configuration
# from $KAFKA_CONFIG_DIR (a ConfigMap: server.properties, log4j2.properties),
# writes only to the data volume and /tmp.
#   KAFKA_CLUSTER_ID            required on first start (formats the storage)
#   KAFKA_ADVERTISED_LISTENERS  e.g. PLAINTEXT://$(POD_IP):9092 (appended)
#   KAFKA_HEAP                  JVM maximum heap (default 512m)
# Other settings: server.properties (log.dirs must be on the data volume).
set -eu
config_dir=${KAFKA_CONFIG_DIR:-/etc/kafka}
tmp=${TMPDIR:-/tmp}
properties="$tmp/server.properties"
cp "$config_dir/server.properties" "$properties"
if [ -n "${KAFKA_ADVERTISED_LISTENERS:-}" ]; then
  printf '\nadvertised.listeners=%s\n' "$KAFKA_ADVERTISED_LISTENERS" >> "$properties"
fi
log_dirs=$(sed -n 's/^log\.dirs=//p' "$properties" | tail -n 1)
[ -n "$log_dirs" ] || { echo "kafka-entrypoint: log.dirs missing in server.properties" >&2; exit 2; }
set -- -Xms128m "-Xmx${KAFKA_HEAP:-512m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -XX:-UsePerfData -Djava.awt.headless=true "-Djava.io.tmpdir=$tmp" \
  "-Dkafka.logs.dir=$tmp" -cp '/opt/kafka/libs/*'
if [ -f "$config_dir/log4j2.properties" ]; then
  set -- "$@" "-Dlog4j2.configurationFile=file:$config_dir/log4j2.properties"
fi
if [ ! -f "$log_dirs/meta.properties" ]; then
  [ -n "${KAFKA_CLUSTER_ID:-}" ] || { echo "kafka-entrypoint: KAFKA_CLUSTER_ID is required to format $log_dirs" >&2; exit 2; }
  echo "kafka-entrypoint: formatting $log_dirs (cluster $KAFKA_CLUSTER_ID)" >&2
  java "$@" kafka.tools.StorageTool format "--cluster-id=$KAFKA_CLUSTER_ID" \
    -c "$properties" --ignore-formatted
fi
exec java "$@" kafka.Kafka "$properties"
