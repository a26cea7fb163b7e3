#!/usr/bin/env bash
# `make walkthrough`: record `make demo`'s narrated tour as a terminal session anyone can replay or
# publish (docs/demo.md#a-recorded-walkthrough). Writes into <dir> (default .stack/walkthrough):
#   walkthrough.typescript + walkthrough.timing  util-linux `script`; replay with
#                                                `scriptreplay -t walkthrough.timing walkthrough.typescript`
#   walkthrough.cast                             asciicast v2: `asciinema play`, or asciinema's web player
#   walkthrough.log                              the demo's supervisor chatter (stderr), kept out of the recording
# Needs `make up` and a build (`make walkthrough` builds). Usage:
#   scripts/record-walkthrough.sh [-o <dir>] [demo arguments, e.g. --fast]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${RETAIL_ETL_STACK_DIR:-.stack}/walkthrough"
if [ "${1:-}" = -o ]; then
  out=${2:?-o needs a directory}
  shift 2
fi
command -v script >/dev/null || {
  echo "error: DEPENDENCY_MISSING: util-linux script is needed to record — apt-get install -y bsdutils" >&2
  exit 1
}
[ -f dist/bench/demo.js ] || {
  echo "error: NOT_BUILT: dist/bench/demo.js is missing — run make build (or make walkthrough)" >&2
  exit 1
}
mkdir -p "$out"
# One terminal size for the recorded command and the cast's header, whatever terminal records.
export COLUMNS=${COLUMNS:-120} LINES=${LINES:-40}
cmd="node dist/bench/demo.js"
for a in "$@"; do cmd+=" $(printf %q "$a")"; done
echo "• recording \`$cmd\` (${COLUMNS}x${LINES}) into $out" >&2
rc=0
script -q -e -T "$out/walkthrough.timing" \
  -c "stty cols $COLUMNS rows $LINES 2>/dev/null; exec $cmd 2>$(printf %q "$out/walkthrough.log")" \
  "$out/walkthrough.typescript" || rc=$?
node dist/bench/walkthrough-cast.js "$out/walkthrough.typescript" "$out/walkthrough.timing" \
  "$out/walkthrough.cast" "$COLUMNS" "$LINES" "retail-etl: make demo"
echo "• recorded (demo exit code $rc): $out/walkthrough.cast — play it with \`asciinema play $out/walkthrough.cast\`," >&2
echo "  or replay the typescript: scriptreplay -t $out/walkthrough.timing $out/walkthrough.typescript" >&2
exit "$rc"
