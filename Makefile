# stream-retail-etl — the two commands that matter: `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CLI := node dist/cli/main.js

.PHONY: help install build up down status test lint typecheck test-unit test-integration bench chaos demo walkthrough load clean helm-lint deploy-vm

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# `npm install`, not `npm ci`: chdb lists optional per-platform engines (darwin, linux-arm64) that
# the registry does not serve, so `npm ci` refuses the lock file as "out of sync" on every machine.
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

install: node_modules/.installed ## install the npm dependencies from package-lock.json

build: install ## compile TypeScript to dist/
	npm run --silent build

up: build ## start the stack (Docker if an engine answers, else native) and the pipeline; prints every URL
	$(CLI) stack up

down: ## stop what `make up` started
	@if [ -f dist/cli/main.js ]; then $(CLI) stack down; else echo "nothing is running"; fi

status: build ## show each component healthy or not
	$(CLI) stack status

lint: install ## eslint (warnings fail) and prettier --check
	npm run --silent lint

typecheck: install ## tsc --noEmit over sources, tests and benchmarks
	npm run --silent typecheck

test-unit: install ## unit tests: no servers, seconds
	npx vitest run --project unit

test-integration: build ## integration tests against real servers (starts the stack if it is not running, stops it after)
	./scripts/install-test-tools.sh
	npx vitest run --project integration

test: lint typecheck build test-unit test-integration ## everything: lint, typecheck, unit and integration tests

bench: build ## run the benchmarks under bench/ (BENCH=a,b to pick; BENCH_QUICK=1 for a smoke run); writes BENCHMARKS.md
	node dist/bench/run.js

chaos: build ## kill -9 a random process every CHAOS_KILL_EVERY_S under load for CHAOS_DURATION_S (default 600) at CHAOS_RATE, then reconcile every store (needs `make up`)
	node dist/bench/chaos.js

demo: build ## narrated 5-minute tour on a pipeline of its own beside the stack: rate up, kill -9, poison/late/duplicate events, then the proof (DEMO_*; needs `make up`)
	node dist/bench/demo.js $(DEMO_ARGS)

walkthrough: build ## record make demo's tour as a terminal session anyone can replay: .stack/walkthrough/walkthrough.{cast,typescript,timing} (DEMO_ARGS; needs `make up`)
	./scripts/record-walkthrough.sh $(DEMO_ARGS)

load: ## run a k6 profile against the running stack: make load PROFILE=ingest-1x|ingest-5x|soak|read-heavy
	PROFILE=$(PROFILE) ./scripts/load.sh

helm-lint: ## lint and render the Helm chart with each values file (builds helm into .stack/tools on first use)
	@helm="$$(./scripts/install-helm.sh)" && for f in values.yaml values-small.yaml values-large.yaml; do \
	  $$helm lint --strict deploy/helm/stream-retail-etl -f deploy/helm/stream-retail-etl/$$f || exit 1; done

deploy-vm: ## deploy to one VM over ssh with Docker Compose: make deploy-vm HOST=user@host [SITE=…] [TLS=…] (docs/deploy.md)
	HOST=$(HOST) SITE=$(SITE) TLS=$(TLS) PROFILES="$(PROFILES)" ./scripts/deploy-vm.sh

docs: build ## regenerate docs/configuration.md and docs/cli.md from the code
	$(CLI) config write-docs

clean: ## remove build output (keeps the .stack/ cache)
	rm -rf dist
