#!/usr/bin/env bash
# The chart's tools for test/deploy/helm.int.test.ts and `make helm-lint`, built with the machine's
# Go toolchain into the ignored .stack/tools/bin cache on the first run only (later runs return at
# once): helm from its Go module (~5 CPU-minutes), and k8s-validate from deploy/helm/validate (the
# strict offline check of the rendered manifests; ~2 more CPU-minutes, rebuilt when its source
# changes). Prints helm's path. HELM_VERSION overrides the pinned version; the Go module proxy
# comes from `go env`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${HELM_VERSION:-v3.22.0}"
bin="$root/.stack/tools/bin"
helm="$bin/helm"
# The stamp names the version and this script's build recipe (bump `recipe` when the flags change).
recipe=2
stamp="$bin/.helm-$version-r$recipe"
validator_src="$root/deploy/helm/validate"
validator_sum="$(cat "$validator_src/go.mod" "$validator_src/go.sum" "$validator_src"/*.go | sha256sum | cut -c1-16)"
validator_stamp="$bin/.k8s-validate-$validator_sum"
if [ -x "$helm" ] && [ -f "$stamp" ] && [ -x "$bin/k8s-validate" ] && [ -f "$validator_stamp" ]; then
  echo "$helm"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: DEPENDENCY_MISSING: building helm needs the Go toolchain (go) on PATH" >&2
  exit 1
fi
mkdir -p "$bin"
if [ ! -x "$bin/k8s-validate" ] || [ ! -f "$validator_stamp" ]; then
  echo "• building k8s-validate into $bin" >&2
  (cd "$validator_src" && CGO_ENABLED=0 go build -ldflags "-w -s" -o "$bin/k8s-validate" .) >&2
  rm -f "$bin"/.k8s-validate-*
  touch "$validator_stamp"
fi
if [ -x "$helm" ] && [ -f "$stamp" ]; then
  echo "$helm"
  exit 0
fi
echo "• building helm $version into $bin (first run only)" >&2
# As helm's own release build (its Makefile's LDFLAGS): the version it prints, and the Kubernetes
# version `helm template` and `helm lint` assume — that of the k8s.io modules it is built with
# (without it they assume 1.20 and refuse charts needing a newer cluster).
k8s_minor="$(go mod download -json "helm.sh/helm/v3@$version" >/dev/null 2>&1 &&
  grep -m1 -E '^\s+k8s.io/client-go v0\.' "$(go env GOMODCACHE)/helm.sh/helm/v3@$version/go.mod" |
  sed -E 's/.* v0\.([0-9]+)\..*/\1/')"
ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=$version"
if [ -n "$k8s_minor" ]; then
  for pkg in pkg/lint/rules pkg/chartutil; do
    ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$k8s_minor"
  done
fi
GOBIN="$bin" CGO_ENABLED=0 go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version" >&2
rm -f "$bin"/.helm-*
touch "$stamp"
echo "$helm"
