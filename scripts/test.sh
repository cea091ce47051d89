#!/usr/bin/env bash
# The whole test suite: type check, lint, unit and embedded end-to-end tests, then the production
# adapters' tests against a real Kafka and Cassandra that this script fetches (Maven Central),
# starts on 127.0.0.1 and stops again. Runs on Node 24 from node_modules (npm puts it on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
echo "node $(node --version)"

step() { printf '\n=== %s\n' "$*"; }

step "type check (tsc --noEmit, strict)"
tsc -p tsconfig.json

step "lint and format (biome)"
biome ci .

step "unit and embedded tests"
node --test --test-reporter=spec \
  'src/**/*.test.ts' 'test/*.test.ts'

if [[ -d test/stack && "${SKIP_STACK_TESTS:-}" != 1 ]]; then
  step "production adapters against real Kafka and Cassandra"
  # Stop afterwards only what this run started (a developer's running stack is left as it was).
  was_running=$(bash scripts/stack/stack.sh status | awk '$2 == "running" {print $1}' | tr '\n' ' ')
  cleanup() {
    for svc in kafka cassandra; do
      [[ " $was_running " == *" $svc "* ]] || bash scripts/stack/stack.sh stop "$svc" || true
    done
  }
  trap cleanup EXIT
  bash scripts/stack/stack.sh start all
  STACK_TESTS=1 node --test --test-reporter=spec --test-concurrency=1 'test/stack/*.test.ts'
fi
