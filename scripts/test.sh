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

if [[ -d test/stack && "${TICKSTREAM_SKIP_STACK:-}" != 1 ]]; then
  step "production adapters against real Kafka and Cassandra"
  started=0
  cleanup() { if [[ $started == 1 ]]; then bash scripts/stack/stack.sh stop all || true; fi; }
  trap cleanup EXIT
  bash scripts/stack/stack.sh fetch
  if ! bash scripts/stack/stack.sh status >/dev/null 2>&1; then started=1; fi
  bash scripts/stack/stack.sh start all
  TICKSTREAM_STACK=1 node --test --test-reporter=spec --test-concurrency=1 'test/stack/*.test.ts'
fi
