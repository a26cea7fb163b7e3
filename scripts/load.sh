#!/usr/bin/env bash
# `make load PROFILE=<name>`: run a k6 profile from k6/ against the running stack.
# Installs k6 into .stack/cache/bin with `go install` the first time (pinned version).
set -euo pipefail
cd "$(dirname "$0")/.."
K6_VERSION=${K6_VERSION:-v1.8.1}
PROFILE=${PROFILE:-}
profiles=$(ls k6/*.js | xargs -n1 basename | sed 's/\.js$//' | grep -v '^ingest$' | tr '\n' ' ')
if [ -z "$PROFILE" ] || [ ! -f "k6/$PROFILE.js" ] || [ "$PROFILE" = ingest ]; then
  echo "error: INVALID_ARGUMENT: unknown or missing PROFILE '${PROFILE}' — use one of: ${profiles}(make load PROFILE=ingest-1x)" >&2
  exit 2
fi
if [ ! -f .stack/env ]; then
  echo "error: STACK_NOT_RUNNING: no running stack (.stack/env missing) — run \`make up\` first" >&2
  exit 1
fi
bin=.stack/cache/bin
k6="$bin/k6"
if [ ! -x "$k6" ] || ! "$k6" version 2>/dev/null | grep -q "${K6_VERSION#v}"; then
  command -v go >/dev/null || { echo "error: DEPENDENCY_MISSING: Go is needed to install k6 — install it (apt-get install -y golang) or put k6 ${K6_VERSION} in $bin" >&2; exit 1; }
  echo "• installing k6 ${K6_VERSION} with go install (first run only, a few minutes)…" >&2
  mkdir -p "$bin"
  GOBIN="$PWD/$bin" GOMODCACHE="$PWD/.stack/cache/gomod" GOFLAGS=-modcacherw go install "go.k6.io/k6@${K6_VERSION}"
fi
# The stack's addresses, unless the caller set them (the query benchmark points at its own server).
while IFS='=' read -r key value; do
  case "$key" in ''|'#'*) continue ;; esac
  [ -n "${!key:-}" ] || export "$key=${value//\'/}"
done < .stack/env
export_args=()
[ -n "${K6_SUMMARY_EXPORT:-}" ] && export_args=(--summary-export "$K6_SUMMARY_EXPORT")
exec "$k6" run --quiet --summary-trend-stats "avg,med,p(95),p(99),max" "${export_args[@]}" "k6/$PROFILE.js"
