#!/usr/bin/env bash
# The official Java driver's write throughput on this machine: runs cassandra-ref/CassandraWriteRef.java
# (the Apache Cassandra Java driver 3.x from the jars stack.sh fetched for the node) against a Cassandra
# node, writing the rows of bench/cassandra-write.bench.ts the way our store adapter does (same batches,
# same concurrency). Prints `REF <name> <value>` lines; our Node figures are compared with these, as the
# Kafka benches are with kafka-perf.sh.
#
# Usage: scripts/stack/cassandra-ref.sh KEYSPACE [WARMUP_S=20] [MEASURE_S=10]
#        The keyspace's tables must exist (our migrations); with REF_CREATE=1 the script creates the
#        keyspace with them first (through the Node adapter's migrate()) and drops it at the end.
# Env:   BENCH_CASSANDRA=host:port (default 127.0.0.1:$STACK_CASSANDRA_PORT)
#        REF_FIRST_BATCH=1000000 (number of the first call of 1000 rows: keys differ from the Node bench's)
#        REF_PROTOCOL=V4 (pin the protocol version; the driver negotiates V5 with Cassandra 5.0, our Node
#        driver uses V4)
#        REF_JAVA_OPTS (replaces the JVM flags below)
set -euo pipefail

STACK_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=${REPO_ROOT:-$(cd "$STACK_HOME/../.." && pwd)}
# shellcheck source=lib/common.sh
source "$STACK_HOME/lib/common.sh"

(($# >= 1 && $# <= 3)) || die "usage: $0 KEYSPACE [WARMUP_S=20] [MEASURE_S=10]"
keyspace=$1
warmup=${2:-20}
measure=${3:-10}
[[ $keyspace =~ ^[a-z][a-z0-9_]{0,47}$ ]] || die "invalid keyspace name: $keyspace"
contact=${BENCH_CASSANDRA:-$STACK_HOST:$STACK_CASSANDRA_PORT}

lib=$STACK_DIR/cassandra/lib
[[ -f $lib/.fetched ]] || die "Cassandra jars missing: run scripts/stack/stack.sh fetch cassandra"
pick_java
javac_bin=$(dirname "$(readlink -f "$STACK_JAVA_BIN")")/javac
[[ -x $javac_bin ]] || die "no javac next to $STACK_JAVA_BIN: install openjdk-17-jdk-headless"

# The client needs only the driver (its netty is shaded inside) and what it links against; the node's
# other 90-odd jars stay off the classpath (faster start, nothing to clash).
cp=
for j in cassandra-driver-core-*-shaded guava-* failureaccess-* metrics-core-* slf4j-api-* logback-classic-* logback-core-*; do
  f=$(compgen -G "$lib/$j.jar" | head -n1) || die "no $j.jar in $lib"
  cp+=${cp:+:}$f
done

# Compiled into .stack/ (git-ignored), only when the source (or the fetched jars) changed since.
src=$STACK_HOME/cassandra-ref/CassandraWriteRef.java
out=$STACK_DIR/cassandra-ref/classes
class=$out/CassandraWriteRef.class
if [[ ! -f $class || $src -nt $class || $lib/.fetched -nt $class ]]; then
  say "cassandra-ref: compiling $(basename "$src")"
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  "$javac_bin" -nowarn -d "$out.tmp" -cp "$cp" "$src" || die "javac failed"
  rm -rf "$out"
  mv "$out.tmp" "$out"
fi

# Rows per server CPU-second too, when the node is the local stack's.
if [[ $contact == "$STACK_HOST:$STACK_CASSANDRA_PORT" ]] && pid=$(running_pid cassandra); then
  REF_SERVER_PID=$pid REF_CLK_TCK=$(getconf CLK_TCK)
  export REF_SERVER_PID REF_CLK_TCK
fi

# Keyspace setup for a standalone run, with the project's own migrations (no second copy of the DDL).
node_ks() {
  [[ -x $NODE_BIN ]] || die "REF_CREATE=1 needs node_modules (npm ci)"
  BENCH_CASSANDRA=$contact REF_KS=$keyspace REF_OP=$1 "$NODE_BIN" --input-type=module -e "
    import { Client } from 'cassandra-driver';
    import { ConfigSchema } from '$REPO_ROOT/src/config.ts';
    import { CassandraStore } from '$REPO_ROOT/src/store/cassandra/index.ts';
    const contactPoints = [process.env.BENCH_CASSANDRA];
    const keyspace = process.env.REF_KS;
    if (process.env.REF_OP === 'create') {
      const cfg = ConfigSchema.parse({ store: { kind: 'cassandra', cassandra: { contactPoints, keyspace } } });
      const store = await CassandraStore.connect(cfg.store.cassandra);
      try { await store.migrate(); } finally { await store.close(); }
    } else {
      const c = new Client({ contactPoints, localDataCenter: 'datacenter1' });
      try { await c.execute('DROP KEYSPACE IF EXISTS ' + keyspace); } finally { await c.shutdown(); }
    }"
}
if [[ ${REF_CREATE:-0} == 1 ]]; then
  say "cassandra-ref: creating keyspace $keyspace (our migrations); dropped at the end"
  trap 'node_ks drop || warn "could not drop keyspace $keyspace"' EXIT
  node_ks create || die "could not create keyspace $keyspace at $contact"
fi

# JVM: a fixed 512 MiB heap (a call's rows and requests are a few MB; no resizing during the run) and the
# parallel collector: the least GC CPU per allocated byte and no concurrent GC threads taking cycles
# from the node on the same cores; its short young pauses do not matter to a throughput figure.
read -r -a jvm_opts <<<"${REF_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}"
say "cassandra-ref: $contact keyspace $keyspace, warm-up ${warmup}s, ${measure}s each for candles and trades"
"$STACK_JAVA_BIN" "${jvm_opts[@]}" -Dlogback.configurationFile="$STACK_HOME/cassandra-ref/logback.xml" \
  -cp "$out:$cp" CassandraWriteRef "$keyspace" "$warmup" "$measure" "$contact"
