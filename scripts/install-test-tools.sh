#!/usr/bin/env bash
# Debian packages the test suite uses beside the stack itself (which installs its own servers):
# docker-compose (validates docker-compose.yml without an engine), kcat (outside Kafka client),
# chromium (headless browser for the control panel test) and openssl (the secured Kafka broker's
# certificates, test/stack/kafka-secure.int.test.ts).
# Installs only what is missing; as root only — otherwise it says what to install.
set -euo pipefail
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
[ -x /usr/bin/chromium ] || need+=(chromium) # the control panel test (test/api/panel.int.test.ts)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: DEPENDENCY_MISSING: the tests need ${need[*]} — install them (apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "• installing test tools: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
}
