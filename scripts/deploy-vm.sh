#!/usr/bin/env bash
# `make deploy-vm HOST=user@host [SITE=name-or-ip] [TLS=internal|email|"/certs/tls.crt /certs/tls.key"]
# [PROFILES="clickhouse demo"]`: copies the committed tree (git archive of HEAD) to ~/stream-retail-etl
# on HOST over ssh, generates the secrets there once (deploy/vm/init-secrets.sh, kept on later
# deploys), writes deploy/vm/.env with the site settings and runs `docker compose up -d --build`.
# The VM needs Docker with the compose plugin and ports 80/443 open; nothing secret leaves it.
# docs/deploy.md#path-a-one-vm-with-docker-compose describes the steps it takes.
set -euo pipefail
host="${HOST:?usage: make deploy-vm HOST=user@host [SITE=…] [TLS=…] [PROFILES=…]}"
site="${SITE:-${host#*@}}"
tls="${TLS:-internal}"
profiles="${PROFILES:-}"
dir='~/stream-retail-etl'
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "$(git -C "$root" status --porcelain)" ]; then
  echo "warning: uncommitted changes are not deployed (git archive HEAD)" >&2
fi
echo "• copying $(git -C "$root" rev-parse --short HEAD) to $host:$dir" >&2
git -C "$root" archive --format=tar HEAD | ssh "$host" "mkdir -p $dir && tar -x -C $dir"
profile_args=""
for p in $profiles; do profile_args+=" --profile $p"; done
# printf %q quotes the values for the remote shell; the .env file holds no secret.
ssh "$host" "set -e; cd $dir/deploy/vm && ./init-secrets.sh >&2 \
  && printf 'RETAIL_SITE_ADDRESS=%s\nRETAIL_TLS=%s\nRETAIL_VERSION=%s\n' $(printf '%q' "$site") $(printf '%q' "$tls") $(git -C "$root" rev-parse --short HEAD) > .env \
  && docker compose -f compose.yml$profile_args up -d --build --remove-orphans \
  && docker compose -f compose.yml$profile_args ps"
echo "• deployed: https://$site/v1/openapi.json" >&2
