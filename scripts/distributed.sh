#!/usr/bin/env bash
# One command for distributed mode on this machine: starts the local Kafka + Cassandra (fetched from
# Maven Central on first use), then the pipeline as separate processes, one per role, with two
# analytics and two portfolio processes sharing partitions. Ctrl-C stops the processes (the stack
# keeps running; `scripts/stack/stack.sh stop` stops it).
#   scripts/distributed.sh [extra `tickstream run` options for the ingest process, e.g. --rate 20000]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x node_modules/.bin/node ]] || npm install
bash scripts/stack/stack.sh start all

export TICKSTREAM_BUS__KIND=kafka TICKSTREAM_STORE__KIND=cassandra
logs=.stack/pipeline
mkdir -p "$logs"
pids=()
role() { # name, args...
  local name=$1
  shift
  bin/tickstream run --data-dir "$logs/$name" "$@" >"$logs/$name.log" 2>&1 &
  pids+=($!)
  echo "started $name (pid $!), log $logs/$name.log"
}
trap 'echo "stopping"; kill -TERM "${pids[@]}" 2>/dev/null || true; wait' INT TERM EXIT

bin/tickstream setup --data-dir "$logs/setup"
role sinks --role sinks --source none --port 0
role analytics-1 --role analytics --source none --port 0
role analytics-2 --role analytics --source none --port 0
role portfolio-1 --role portfolio --source none --port 0
role portfolio-2 --role portfolio --source none --port 0
role serve --role serve --source none --port "${TICKSTREAM_SERVER__PORT:-8080}"
role ingest --role ingest "$@"
echo "serving http://127.0.0.1:${TICKSTREAM_SERVER__PORT:-8080}/health — Ctrl-C to stop"
wait
