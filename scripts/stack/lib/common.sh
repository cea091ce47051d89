# Shared helpers for stack.sh: settings, Java selection, process and readiness checks.
# Sourced, not executed. Expects STACK_HOME (this folder) and REPO_ROOT to be set.

# Everything runtime lives under .stack/ (git-ignored): jars, config, data, logs, pid files.
STACK_DIR=${STACK_DIR:-$REPO_ROOT/.stack}
# Loopback only: nothing here is meant to be reachable from another machine.
STACK_HOST=127.0.0.1
STACK_KAFKA_PORT=${STACK_KAFKA_PORT:-9092}
STACK_KAFKA_CONTROLLER_PORT=${STACK_KAFKA_CONTROLLER_PORT:-9093}
STACK_KAFKA_HEAP=${STACK_KAFKA_HEAP:-512m}
STACK_KAFKA_GC=${STACK_KAFKA_GC:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35}
STACK_CASSANDRA_PORT=${STACK_CASSANDRA_PORT:-9042}
STACK_CASSANDRA_STORAGE_PORT=${STACK_CASSANDRA_STORAGE_PORT:-7000}
STACK_CASSANDRA_JMX_PORT=${STACK_CASSANDRA_JMX_PORT:-7199}
STACK_CASSANDRA_HEAP=${STACK_CASSANDRA_HEAP:-1g}
STACK_CASSANDRA_MEMTABLE_HEAP=${STACK_CASSANDRA_MEMTABLE_HEAP:-128MiB}
STACK_CASSANDRA_MEMTABLE_OFFHEAP=${STACK_CASSANDRA_MEMTABLE_OFFHEAP:-128MiB}
# Seconds to wait for a service to become ready before giving up.
STACK_START_TIMEOUT=${STACK_START_TIMEOUT:-180}
STACK_STOP_TIMEOUT=${STACK_STOP_TIMEOUT:-60}
NODE_BIN=${NODE_BIN:-$REPO_ROOT/node_modules/.bin/node}

say() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARN: %s\n' "$*" >&2; }
die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }

# Major version of a java binary ("17", "25", ...), empty if it does not run.
java_major() {
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  printf '%s' "${v#1.}"
}

# Cassandra 5.0 runs on Java 11 or 17 only, Kafka 4.x on 17+: one Java 17 serves both. A newer
# default `java` (e.g. a Temurin 25 first on PATH) must not be picked up by accident.
pick_java() {
  [[ -n ${STACK_JAVA_BIN:-} ]] && return 0
  local c candidates=()
  [[ -n ${STACK_JAVA:-} ]] && candidates+=("$STACK_JAVA")
  [[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for c in /usr/lib/jvm/java-17-openjdk*/bin/java /usr/lib/jvm/*17*/bin/java /usr/lib/jvm/*11*/bin/java; do
    [[ -x $c ]] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [[ -x $c ]] || continue
    case $(java_major "$c") in
      17 | 11)
        STACK_JAVA_BIN=$c
        return 0
        ;;
    esac
  done
  die "no Java 17 (or 11) found; Cassandra 5.0 needs one. Install openjdk-17-jdk-headless or set STACK_JAVA=/path/to/java"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$STACK_HOST/$1" 2>/dev/null
}

pid_file() { printf '%s/%s/%s.pid' "$STACK_DIR" "$1" "$1"; }

# Prints the pid of service $1 if it runs. The pid file alone is not trusted (pids are reused):
# the process must also carry the -Dtickstream.stack=<service> marker we put on its command line.
running_pid() {
  local f pid
  f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-Dtickstream.stack=$1 " || return 1
  printf '%s' "$pid"
}

# Launches a command in its own session, detached from this shell and its stdin, so that it
# outlives stack.sh (and a CI step) and is not hit by signals sent to our process group.
# Sets LAUNCHED_PID. (setsid does not fork here, as a background job of a non-interactive shell
# is no group leader, so $! is the JVM's pid once setsid has exec'd it.)
# Usage: launch SERVICE OUTFILE cmd args...
launch() {
  local svc=$1 out=$2
  shift 2
  setsid "$@" </dev/null >"$out" 2>&1 &
  LAUNCHED_PID=$!
  printf '%s\n' "$LAUNCHED_PID" >"$(pid_file "$svc")"
}

# Class-data sharing: the first run of a service records the classes it loaded into an archive
# when the JVM exits (on stop); later starts map that archive instead of loading and verifying
# thousands of classes from the jars. The archive lives in lib/, so a new fetch discards it; a
# stale or unusable archive only makes the JVM print a warning and start without it.
# STACK_CDS=0 turns this off. Used for Kafka only: Cassandra runs with the jamm agent, and the JVM
# dumps an archive under an agent only with a diagnostic flag meant for testing.
# Measured: Kafka ready in 4-6 s with the archive, 10-13 s without (same busy machine).
cds_flags() {
  local jsa=$STACK_DIR/$1/lib/.classes.jsa
  [[ ${STACK_CDS:-1} == 1 ]] || return 0
  if [[ -s $jsa ]]; then
    printf '%s\n' "-XX:SharedArchiveFile=$jsa"
  else
    printf '%s\n' "-XX:ArchiveClassesAtExit=$jsa"
  fi
}

# Stops service $1: SIGTERM (both Kafka and Cassandra shut down cleanly on it), then SIGKILL after
# STACK_STOP_TIMEOUT seconds.
stop_service() {
  local svc=$1 pid i
  if ! pid=$(running_pid "$svc"); then
    say "$svc: not running"
    rm -f "$(pid_file "$svc")"
    return 0
  fi
  say "$svc: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STACK_STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$svc: still alive after ${STACK_STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$(pid_file "$svc")"
  say "$svc: stopped"
}

# Runs the Node readiness probe (probe.ts) once: exit 0 when the service answers a real request.
probe() {
  if [[ ! -x $NODE_BIN ]]; then
    # Without node_modules the open port is the best evidence we have.
    return 0
  fi
  "$NODE_BIN" "$STACK_HOME/probe.ts" "$@" >/dev/null 2>&1
}

# Prints the last lines of the logs of service $1: the JVM's stdout/stderr (<service>.out) and
# the server log.
show_logs() {
  local svc=$1 lines=${2:-40} f
  for f in "$STACK_DIR/$svc/logs/$svc.out" "$STACK_DIR/$svc/logs/server.log" "$STACK_DIR/$svc/logs/system.log"; do
    [[ -f $f ]] || continue
    printf -- '----- %s (last %s lines) -----\n' "$f" "$lines"
    tail -n "$lines" "$f"
  done
}

# Waits until service $1 (pid $2) listens on port $3 and its probe succeeds. On timeout or if
# the process dies, prints the reason and the last log lines, and returns 1.
wait_ready() {
  local svc=$1 pid=$2 port=$3 start elapsed
  start=$(now_ms)
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      printf '[stack] ERROR: %s exited during startup\n' "$svc" >&2
      show_logs "$svc" 60 >&2
      return 1
    fi
    if port_open "$port" && probe "$svc" "$STACK_HOST:$port"; then
      elapsed=$(($(now_ms) - start))
      say "$svc: ready on $STACK_HOST:$port (pid $pid) after $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)))s"
      return 0
    fi
    if (($(now_ms) - start > STACK_START_TIMEOUT * 1000)); then
      printf '[stack] ERROR: %s not ready on %s:%s after %ss\n' "$svc" "$STACK_HOST" "$port" "$STACK_START_TIMEOUT" >&2
      show_logs "$svc" 60 >&2
      return 1
    fi
    sleep 0.5
  done
}

# Fetches the jars of service $1 into $STACK_DIR/$1/lib with Maven, unless that was already done
# for the same pom (a stamp holds the pom's hash). Copies into a temp folder first, so an
# interrupted fetch never leaves a half-filled lib/ that looks complete.
fetch_service() {
  local svc=$1 pom="$STACK_HOME/$1/pom.xml" lib="$STACK_DIR/$1/lib" hash start
  hash=$(sha256sum "$pom" | cut -d' ' -f1)
  if [[ -f $lib/.fetched && $(<"$lib/.fetched") == "$hash" ]]; then
    say "$svc: jars already fetched ($(find "$lib" -name '*.jar' | wc -l) jars)"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install maven (apt-get install -y maven)"
  say "$svc: fetching jars with Maven from $pom"
  start=$(now_ms)
  rm -rf "$lib.tmp"
  mkdir -p "$lib.tmp"
  # -B: batch mode (no colours, no prompts, fine under CI). outputDirectory must be absolute:
  # a relative one resolves against the pom's folder, not the current directory.
  # Maven 3.8 prints colour resets even in batch mode: strip escape codes from what it says.
  if ! mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$lib.tmp" -DincludeScope=runtime </dev/null 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; then
    rm -rf "$lib.tmp"
    die "$svc: Maven could not fetch the jars (see above)"
  fi
  rm -rf "$lib"
  mv "$lib.tmp" "$lib"
  printf '%s\n' "$hash" >"$lib/.fetched"
  say "$svc: fetched $(find "$lib" -name '*.jar' | wc -l) jars in $((($(now_ms) - start) / 1000))s"
}
