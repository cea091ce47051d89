#!/usr/bin/env bash
# One command for distributed mode on this machine: starts the local Kafka + Cassandra (fetched from
# Maven Central on first use), then the pipeline as separate processes, one per role, with two
# analytics and two portfolio processes sharing partitions. Ctrl-C stops the processes (the stack
# keeps running; `scripts/stack/stack.sh stop` stops it).
#   scripts/distributed.sh [extra `tickstream run` options for the ingest process, e.g. --rate 20000]
# Every role but serve takes a free port for its /health and /metrics (logged in its log); serve takes
# TICKSTREAM_SERVER__PORT (8080). A role that exits is reported with its log; the others keep running
# (a processor killed on purpose hands its partitions to the other). Logs: $PIPELINE_LOGS (.stack/pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x node_modules/.bin/node ]] || npm install
bash scripts/stack/stack.sh start all

export TICKSTREAM_BUS__KIND=kafka TICKSTREAM_STORE__KIND=cassandra
logs=${PIPELINE_LOGS:-.stack/pipeline}
mkdir -p "$logs"
pids=()
declare -A names
role() { # name, args...
  local name=$1
  shift
  bin/tickstream run --data-dir "$logs/$name" "$@" >"$logs/$name.log" 2>&1 &
  pids+=($!)
  names[$!]=$name
  echo "started $name (pid $!), log $logs/$name.log"
}
stop() {
  trap - INT TERM EXIT
  echo "stopping"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

bin/tickstream setup --data-dir "$logs/setup"
role sinks --role sinks --source none --port 0
role analytics-1 --role analytics --source none --port 0
role analytics-2 --role analytics --source none --port 0
role portfolio-1 --role portfolio --source none --port 0
role portfolio-2 --role portfolio --source none --port 0
role serve --role serve --source none --port "${TICKSTREAM_SERVER__PORT:-8080}"
role ingest --role ingest --port 0 "$@"
echo "serving http://127.0.0.1:${TICKSTREAM_SERVER__PORT:-8080}/health — Ctrl-C to stop"
while ((${#names[@]} > 0)); do
  gone=
  status=0
  wait -n -p gone "${!names[@]}" || status=$?
  [[ -n $gone ]] || break
  echo "${names[$gone]} exited (status $status); its log: $logs/${names[$gone]}.log"
  unset "names[$gone]"
done
