#!/usr/bin/env bash
# Generates the VM's secrets once: one env file per consumer under ./secrets (or the folder given
# as $1), mode 600. Existing files are kept, so running it again changes nothing. Passwords and
# tokens are 32 random characters from /dev/urandom; nothing is printed.
set -euo pipefail
dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
# (No `tr </dev/urandom | head`: with pipefail, tr's SIGPIPE would fail the script.)
rand() {
  local s=""
  while [ ${#s} -lt 32 ]; do s+=$(head -c 64 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9'); done
  printf '%s' "${s:0:32}"
}
write() { # file, content: only when the file does not exist yet
  [ -f "$dir/$1" ] || printf '%s\n' "$2" >"$dir/$1"
}
if [ ! -f "$dir/postgres.env" ]; then
  pg=$(rand)
  write postgres.env "POSTGRES_PASSWORD=$pg
PGPASSWORD=$pg"
  write registry.env "APICURIO_DATASOURCE_PASSWORD=$pg"
  write pipeline-db.env "DATABASE_URL=postgres://retail:$pg@postgres:5432/retail"
fi
if [ ! -f "$dir/clickhouse-server.env" ]; then
  ch=$(rand)
  write clickhouse-server.env "CLICKHOUSE_PASSWORD=$ch"
  write clickhouse.env "CLICKHOUSE_URL=http://retail:$ch@clickhouse:8123"
fi
write api-tokens.env "RETAIL_TOKEN_INGEST=$(rand)
RETAIL_TOKEN_READ=$(rand)
RETAIL_TOKEN_CONTROL=$(rand)"
echo "secrets in $dir ($(ls "$dir" | wc -l) files, mode 600)"
