#!/usr/bin/env bash
# Local Kafka (KRaft) + Cassandra from Maven Central jars: no Docker, no archives.
# Usage: scripts/stack/stack.sh fetch|start|stop|restart|status|logs|reset [kafka|cassandra|all]
# See scripts/stack/README.md for ports, environment variables and layout.
set -euo pipefail

STACK_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=${REPO_ROOT:-$(cd "$STACK_HOME/../.." && pwd)}
# shellcheck source=lib/common.sh
source "$STACK_HOME/lib/common.sh"
# shellcheck source=lib/kafka.sh
source "$STACK_HOME/lib/kafka.sh"
# shellcheck source=lib/cassandra.sh
source "$STACK_HOME/lib/cassandra.sh"

usage() {
  cat <<USAGE
usage: $0 COMMAND [kafka|cassandra|all]
  fetch    download the jars with Maven into $STACK_DIR/<service>/lib (skipped when present)
  start    start and wait until ready (no-op when already running)
  stop     stop (no-op when stopped)
  restart  stop then start
  status   show what runs, with pids and ports
  logs     print the last lines of the logs (N lines: STACK_LOG_LINES=200 $0 logs kafka)
  reset    stop and wipe the data (jars are kept)
USAGE
}

# Expands the service argument; Kafka first on start, Cassandra first on stop (reverse order).
services() {
  case ${1:-all} in
    kafka) echo kafka ;;
    cassandra) echo cassandra ;;
    all) echo kafka cassandra ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

status_line() {
  local svc=$1 port=$2 pid state
  if pid=$(running_pid "$svc"); then
    state="running (pid $pid)"
  else
    state="stopped"
  fi
  if port_open "$port"; then
    printf '%-10s %-22s %s:%s answering\n' "$svc" "$state" "$STACK_HOST" "$port"
  else
    printf '%-10s %-22s %s:%s closed\n' "$svc" "$state" "$STACK_HOST" "$port"
  fi
}

cmd=${1:-}
target=${2:-all}
case $cmd in
  fetch)
    for s in $(services "$target"); do fetch_service "$s"; done
    ;;
  start)
    for s in $(services "$target"); do "${s}_start"; done
    ;;
  stop)
    for s in $(services "$target" | tr ' ' '\n' | tac); do stop_service "$s"; done
    ;;
  restart)
    for s in $(services "$target" | tr ' ' '\n' | tac); do stop_service "$s"; done
    for s in $(services "$target"); do "${s}_start"; done
    ;;
  status)
    for s in $(services "$target"); do
      case $s in
        kafka) status_line kafka "$STACK_KAFKA_PORT" ;;
        cassandra) status_line cassandra "$STACK_CASSANDRA_PORT" ;;
      esac
    done
    ;;
  logs)
    for s in $(services "$target"); do show_logs "$s" "${STACK_LOG_LINES:-50}"; done
    ;;
  reset)
    for s in $(services "$target"); do
      stop_service "$s"
      "${s}_reset"
    done
    ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
