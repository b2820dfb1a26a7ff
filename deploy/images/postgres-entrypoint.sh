#!/bin/sh
# Runs PostgreSQL 15 in the foreground (the `local` overlay's database; the
# production overlay uses CloudNativePG). On an empty $PGDATA it initialises
# the cluster once:
#   POSTGRES_SUPERUSER_PASSWORD_FILE  password of the `postgres` superuser
#   POSTGRES_USER, POSTGRES_PASSWORD_FILE, POSTGRES_DB
#                                     the application role and its database
#   POSTGRES_READER_USER, POSTGRES_READER_PASSWORD_FILE
#                                     optional login role for readers (the
#                                     store's migrations grant it SELECT)
# Connections from the network need a password (scram-sha-256); the Unix
# socket lives in /tmp. Extra server settings: arguments, e.g. -c key=value.
set -eu
: "${PGDATA:?PGDATA must name the data directory (a volume)}"
socket_dir=${TMPDIR:-/tmp}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_SUPERUSER_PASSWORD_FILE:?required to initialise $PGDATA}"
  echo "postgres-entrypoint: initialising $PGDATA" >&2
  initdb --pgdata="$PGDATA" --username=postgres --pwfile="$POSTGRES_SUPERUSER_PASSWORD_FILE" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >&2
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' \
    >> "$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_USER:-}" ]; then
    : "${POSTGRES_PASSWORD_FILE:?required with POSTGRES_USER}"
    pg_ctl --pgdata="$PGDATA" --wait --silent \
      -o "-c listen_addresses='' -c unix_socket_directories=$socket_dir" start
    PGPASSWORD=$(cat "$POSTGRES_SUPERUSER_PASSWORD_FILE") psql --quiet -v ON_ERROR_STOP=1 \
      --host="$socket_dir" --username=postgres --dbname=postgres \
      --set=user="$POSTGRES_USER" --set=db="${POSTGRES_DB:-$POSTGRES_USER}" \
      --set=password="$(cat "$POSTGRES_PASSWORD_FILE")" \
      --set=reader="${POSTGRES_READER_USER:-}" \
      --set=reader_password="$(cat "${POSTGRES_READER_PASSWORD_FILE:-/dev/null}")" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SELECT :'reader' <> '' AS has_reader \gset
\if :has_reader
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password';
GRANT CONNECT ON DATABASE :"db" TO :"reader";
\endif
SQL
    pg_ctl --pgdata="$PGDATA" --wait --silent stop
  fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c "unix_socket_directories=$socket_dir" "$@"
