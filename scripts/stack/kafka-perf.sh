#!/usr/bin/env bash
# Kafka's own throughput ceiling on this machine: runs org.apache.kafka.tools.ProducerPerformance
# and ConsumerPerformance (from the kafka-tools jar fetched by stack.sh) against the local broker
# and prints their summary lines. Our Node producer/consumer figures are compared with these.
#
# Usage: scripts/stack/kafka-perf.sh            (broker must be running: stack.sh start kafka)
# Env:   PERF_RECORDS=1000000 PERF_RECORD_SIZE=100 PERF_PARTITIONS=6
#        PERF_PRODUCER_PROPS="acks=1 linger.ms=5"  (extra producer properties, space separated)
set -euo pipefail

STACK_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=${REPO_ROOT:-$(cd "$STACK_HOME/../.." && pwd)}
# shellcheck source=lib/common.sh
source "$STACK_HOME/lib/common.sh"

PERF_RECORDS=${PERF_RECORDS:-1000000}
PERF_RECORD_SIZE=${PERF_RECORD_SIZE:-100}
PERF_PARTITIONS=${PERF_PARTITIONS:-6}
read -r -a extra_props <<<"${PERF_PRODUCER_PROPS:-}"

lib=$STACK_DIR/kafka/lib
[[ -f $lib/.fetched ]] || die "Kafka jars missing: run scripts/stack/stack.sh fetch kafka"
running_pid kafka >/dev/null || die "Kafka is not running: run scripts/stack/stack.sh start kafka"
pick_java

bootstrap=$STACK_HOST:$STACK_KAFKA_PORT
# A fresh topic per run, so the consumer reads exactly this run's records; deleted at the end.
topic=perf-$(date +%s)
out=$STACK_DIR/kafka/perf/$topic.log
mkdir -p "$STACK_DIR/kafka/perf"
tool() {
  "$STACK_JAVA_BIN" -Xmx512m -Dlog4j2.configurationFile="$STACK_HOME/kafka/log4j2-tools.xml" \
    -cp "$lib/*" "$@"
}
cleanup() { tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --delete --topic "$topic" >/dev/null 2>&1 || true; }
trap cleanup EXIT

tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create --if-not-exists \
  --topic "$topic" --partitions "$PERF_PARTITIONS" --replication-factor 1 >/dev/null

say "producer: $PERF_RECORDS records of $PERF_RECORD_SIZE bytes to $topic ($PERF_PARTITIONS partitions)"
tool org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$bootstrap" --topic "$topic" \
  --num-records "$PERF_RECORDS" --record-size "$PERF_RECORD_SIZE" --throughput -1 \
  ${extra_props[@]+--command-property "${extra_props[@]}"} >"$out" 2>&1 ||
  {
    cat "$out" >&2
    die "ProducerPerformance failed"
  }
# The last line is the summary of the whole run; the others are 5-second progress reports.
printf 'producer: %s\n' "$(grep 'records sent' "$out" | tail -n1)"

say "consumer: reading them back"
tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bootstrap" --topic "$topic" \
  --num-records "$PERF_RECORDS" --timeout 60000 >>"$out" 2>&1 ||
  {
    cat "$out" >&2
    die "ConsumerPerformance failed"
  }
# ConsumerPerformance prints a CSV header and one line of figures.
grep -A1 '^start.time' "$out" | tail -n2 | sed 's/^/consumer: /'
say "full output: $out"
