#!/bin/sh
# Docker Compose only (the native stack does the same in stack/postgres-roles.ts): the owner of
# the `retail` database, which migrates, and one login role per process, none a member of the
# owner. Passwords come from the container's environment, which compose fills from the generated
# .env; the official image runs this once, on an empty data directory.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app="$POSTGRES_APP_PASSWORD" -v sink="$POSTGRES_SINK_PASSWORD" \
  -v agg="$POSTGRES_AGG_SINK_PASSWORD" -v reader="$POSTGRES_READER_PASSWORD" \
  -v connect="$POSTGRES_CONNECT_PASSWORD" -v monitor="$POSTGRES_MONITOR_PASSWORD" <<'SQL'
CREATE ROLE retail LOGIN CREATEROLE PASSWORD :'app';
CREATE DATABASE retail OWNER retail;
CREATE ROLE retail_sink LOGIN PASSWORD :'sink';
CREATE ROLE retail_agg_sink LOGIN PASSWORD :'agg';
CREATE ROLE retail_reader LOGIN PASSWORD :'reader';
CREATE ROLE retail_connect LOGIN PASSWORD :'connect';
-- postgres-exporter's login: the statistics views and settings (pg_monitor), nothing else.
CREATE ROLE retail_monitor LOGIN CONNECTION LIMIT 3 PASSWORD :'monitor';
GRANT pg_monitor TO retail_monitor;
SQL
