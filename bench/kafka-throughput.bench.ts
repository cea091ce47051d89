// Trades/s sustained through real Kafka into the analytics processor, on this machine, next to Kafka's
// own perf tools as the ceiling.
//
//   1. 1,000,000 simulated trades (TradeGenerator, encodeTrade; ~34-byte values, symbol keys) are
//      pre-produced into `<ns>.trades` (8 partitions) through KafkaBus in sends of 5000 records, each send
//      awaited before the next: `kafka-produce`.
//   2. One ProcessorRuntime with analyticsProcessor (SqliteStore in a temp dir for checkpoints; candles
//      and alerts go to their Kafka topics as in production) consumes them from the earliest offset.
//      `kafka-throughput` is trades/s from the first record processed until every record is (lag 0);
//      `kafka-throughput-e2e` also counts the group join, the first fetch and the final flush.
//   2b. Scale-out, as the issue asks of "the analytics processors": BENCH_PROCESSES (2) `tickstream run
//      --role analytics --source none` children in one consumer group over a second copy of the tape (its own
//      namespace), sharing one SQLite data dir for checkpoints (WAL; a partition that moves between them
//      restores from it). `kafka-throughput-<n>proc` is records/s summed over the children's
//      tickstream_records_in_total (polled from their /metrics every 100 ms), from the last partition
//      assignment (both members own partitions, no rebalance after) until every record is in.
//   3. scripts/stack/kafka-perf.sh with the same record count, 8 partitions and 40-byte records (value +
//      key of ours): `kafka-perf-producer`, `kafka-perf-consumer` (ConsumerPerformance's nMsg.sec, which
//      includes its group join; `-fetch` without it).
//
// Both processes share the 2 cores with the broker (and with whatever else runs): the bench prints the
// cores used by itself, by the broker and by everything else during the consume phase, and the vCPU time
// the hypervisor gave to other VMs meanwhile (/proc/stat's steal: when it is high, so is the variance).
// The tape is timed as a live market at the target rate (BENCH_NOMINAL_RATE, 500,000 trades per second of
// event time): how fast event time moves decides how many candles a trade closes, so a backlog of a slow
// tape replayed fast is a different workload. `BENCH_NOMINAL_RATE=1000` (the S&P 500's share of a busy US
// tape: 1M trades are ~17 min of market, replayed at ~100× real time) measures that one: every second of
// event time closes a 1 s candle for nearly every symbol, ~0.3–0.4 candle updates per trade to produce back.
// Env: BENCH_TRADES (3000000), BENCH_PROCESSES (2; 1 skips step 2b), BENCH_NOMINAL_RATE (500000), BENCH_PROFILE=1 (CPU profile of
// the consume phase, summary printed, .cpuprofile written to the temp dir), BENCH_PERF=0 (skip step 3),
// BENCH_THROUGHPUT_LINGER_MS (bus.kafka.lingerMs of every producer here and in the children; default the
// product's).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyticsConfigOf, openBus } from '../src/app/adapters.ts';
import { analyticsProcessor } from '../src/app/analytics-processor.ts';
import type { ProduceRecord } from '../src/bus/port.ts';
import { parseConfig } from '../src/config.ts';
import { encodeTrade } from '../src/domain/codec.ts';
import { TOPICS } from '../src/domain/topics.ts';
import { Universe } from '../src/domain/universe.ts';
import { EngineMetrics } from '../src/engine/metrics.ts';
import { ProcessorRuntime } from '../src/engine/runtime.ts';
import { TradeGenerator } from '../src/sources/simulator.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { Timings, timedBus, timedSpec, timedStore } from './kafka-instrument.ts';
import { PhaseProfiler } from './kafka-profile.ts';
import {
  analyticsProcessorArgs,
  CpuMeter,
  deleteNamespaceTopics,
  freshId,
  NODE,
  procCpuSeconds,
  ROOT,
  sleep,
  startStack,
  stopChild,
  waitUntil,
} from './kafka-stack.ts';
import { report } from './lib.ts';

const N = Number(process.env.BENCH_TRADES ?? 3_000_000);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 2);
const NOMINAL_RATE = Number(process.env.BENCH_NOMINAL_RATE ?? 500_000);
const SEND_BATCH = 5000;
const PARTITIONS = 8;
const PROFILE = process.env.BENCH_PROFILE === '1';
const PERF = process.env.BENCH_PERF !== '0';
const CONSUME_DEADLINE_MS = 10 * 60_000;
const LINGER_MS = process.env.BENCH_THROUGHPUT_LINGER_MS;
const kafka = LINGER_MS === undefined ? {} : { lingerMs: Number(LINGER_MS) };

startStack('kafka');
const namespace = freshId('benchtp');
const config = parseConfig({ bus: { kind: 'kafka', namespace, partitions: PARTITIONS, kafka } });
const dir = mkdtempSync(join(tmpdir(), 'ts-kafka-tp-'));
const universe = Universe.default();
console.log(
  `# namespace ${namespace}, ${N} trades timed at ${NOMINAL_RATE} trades per second of event time, ${PARTITIONS} partitions, lingerMs ${config.bus.kafka.lingerMs}, temp ${dir}`,
);

// 1. Records built and encoded before timing: the figure is the bus's produce rate, not the encoder's.
const gen = new TradeGenerator({
  universe,
  seed: 7,
  startTime: Date.now() - Math.ceil(N / NOMINAL_RATE) * 1000,
  nominalRate: NOMINAL_RATE,
});
let records: ProduceRecord[] | undefined = new Array<ProduceRecord>(N);
let valueBytes = 0;
for (let i = 0; i < N; i++) {
  const t = gen.next();
  const value = encodeTrade(t);
  valueBytes += value.length;
  records[i] = { key: t.symbol, value };
}
console.log(`# mean value ${(valueBytes / N).toFixed(1)} bytes`);

const bus = await openBus(config);
{
  const t0 = performance.now();
  for (let i = 0; i < N; i += SEND_BATCH) await bus.send(TOPICS.trades, records.slice(i, i + SEND_BATCH));
  const s = (performance.now() - t0) / 1000;
  report('kafka-produce', Math.round(N / s), 'records/s');
}
// The same tape in a second namespace for the scale-out step (a consumer group starts from the earliest).
const namespace2 = freshId('benchtp');
if (PROCESSES > 1) {
  const bus2 = await openBus(
    parseConfig({ bus: { kind: 'kafka', namespace: namespace2, partitions: PARTITIONS, kafka } }),
  );
  for (let i = 0; i < N; i += SEND_BATCH) await bus2.send(TOPICS.trades, records.slice(i, i + SEND_BATCH));
  await bus2.close();
}
records = undefined;
(globalThis as { gc?: () => void }).gc?.();
const ends = await bus.endOffsets(TOPICS.trades);
const stored = ends.reduce((a, b) => a + b, 0);
if (stored !== N) console.log(`# WARNING: ${stored} records in the topic, ${N} sent`);

// 2. The processor, in this process, on its own bus connection (as a separate deployment would be).
// Bus, store and task calls are timed (delegating wrappers, negligible cost at these call counts).
const timings = new Timings();
const rawBus = await openBus(config);
const pbus = timedBus(rawBus, timings);
const rawStore = SqliteStore.open(dir);
await rawStore.migrate();
const store = timedStore(rawStore, timings);
const metrics = new EngineMetrics();
const runtime = new ProcessorRuntime(
  timedSpec(
    analyticsProcessor({
      bus: pbus,
      universe,
      analytics: analyticsConfigOf(config),
      allowedLatenessMs: config.engine.allowedLatenessMs,
    }),
    timings,
  ),
  {
    bus: pbus,
    store,
    metrics,
    maxBatch: config.engine.maxBatch,
    checkpointIntervalMs: config.engine.checkpointIntervalMs,
    emitIntervalMs: config.engine.emitIntervalMs,
    log: (m) => console.log(`# ${m}`),
  },
);
const labels = { processor: 'analytics' };
const profiler = PROFILE ? new PhaseProfiler() : undefined;
await profiler?.start();
const cpu = new CpuMeter().start();
const tStart = performance.now();
runtime.start();
let firstAt = 0;
let firstCount = 0;
await waitUntil(
  'the first records',
  () => {
    if (runtime.error !== undefined) throw runtime.error;
    firstCount = metrics.recordsIn.sum(labels);
    firstAt = performance.now();
    return firstCount > 0;
  },
  60_000,
  5,
);
await waitUntil(
  'lag 0',
  () => {
    if (runtime.error !== undefined) throw runtime.error;
    return metrics.recordsIn.sum(labels) >= stored;
  },
  CONSUME_DEADLINE_MS,
  5,
);
const tDone = performance.now();
const use = cpu.read();
await runtime.flush();
const tFlushed = performance.now();
const profile = await profiler?.stop(join(dir, 'consume.cpuprofile'));
const processed = metrics.recordsIn.sum(labels);
report('kafka-throughput', Math.round((processed - firstCount) / ((tDone - firstAt) / 1000)), 'trades/s');
report('kafka-throughput-e2e', Math.round(processed / ((tFlushed - tStart) / 1000)), 'trades/s');
console.log(
  `# join+first fetch ${(firstAt - tStart).toFixed(0)} ms (${firstCount} records in first poll), consume ${(
    (tDone - firstAt) / 1000
  ).toFixed(2)} s, final flush ${(tFlushed - tDone).toFixed(0)} ms`,
);
console.log(
  `# cores used while consuming: bench ${use.selfCores.toFixed(2)}, broker ${use.brokerCores?.toFixed(2) ?? '?'}, ` +
    `everything else ${use.otherCores?.toFixed(2) ?? '?'} (of 2); stolen by the hypervisor ${use.stealCores?.toFixed(2) ?? '?'}`,
);
const lag = await runtime.lag();
const committed = (await pbus.committedOffsets('analytics', TOPICS.trades)).reduce((a, b) => a + b, 0);
const candleEnds = (await pbus.endOffsets(TOPICS.candles)).reduce((a, b) => a + b, 0);
const dl = metrics.recordsDeadlettered.sum(labels);
console.log(
  `# records in ${processed} (of ${stored}), deadlettered ${dl}, lag ${lag}, committed ${committed}, candle updates out ${candleEnds}, checkpoints ${metrics.checkpoints.sum()}`,
);
if (processed !== stored || dl !== 0 || lag !== 0 || committed !== stored)
  console.log('# WARNING: counts disagree (see the line above)');
console.log('# where the consume phase spent its wall time (calls overlap: pulls wait while the loop runs):');
for (const l of timings.lines()) console.log(`#   ${l}`);
if (profile !== undefined) for (const l of profile) console.log(`# ${l}`);
await runtime.stop();
await store.close();
await pbus.close();
await bus.close();
await deleteNamespaceTopics(namespace);

// 2b. The scale-out: PROCESSES analytics processes of the CLI in one group.
interface Child {
  proc: ChildProcess;
  log: string;
  port: number;
}
const metricSum = async (port: number): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^tickstream_records_in_total\{[^}]*processor="analytics"[^}]*\} (\d+)/gm))
    sum += Number(m[1]);
  return sum;
};
const lastAssignment = (c: Child): number => {
  let at = 0;
  for (const m of c.log.matchAll(/^\[([^\]]+)\] analytics: assigned /gm))
    at = Math.max(at, Date.parse(m[1]!));
  return at;
};
if (PROCESSES > 1) {
  const shared = mkdtempSync(join(tmpdir(), 'ts-kafka-tp-procs-'));
  const children: Child[] = [];
  try {
    for (let i = 0; i < PROCESSES; i++) {
      const proc = spawn(NODE, analyticsProcessorArgs(shared), {
        env: {
          ...process.env,
          TICKSTREAM_BUS__KIND: 'kafka',
          TICKSTREAM_BUS__NAMESPACE: namespace2,
          TICKSTREAM_BUS__PARTITIONS: String(PARTITIONS),
          TICKSTREAM_BUS__KAFKA__LINGER_MS: String(config.bus.kafka.lingerMs),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const c: Child = { proc, log: '', port: 0 };
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (d: string) => {
        c.log += d;
        const m = /serving http:\/\/[^:]+:(\d+)\//.exec(c.log);
        if (m !== null) c.port = Number(m[1]);
      });
      children.push(c);
    }
    const alive = (): void => {
      for (const c of children)
        if (c.proc.exitCode !== null) throw new Error(`a child exited ${c.proc.exitCode}:\n${c.log}`);
    };
    await waitUntil(
      'every child serving',
      () => {
        alive();
        return children.every((c) => c.port > 0);
      },
      60_000,
    );
    const samples: { at: number; sum: number }[] = [];
    const cpu0 = children.map((c) => procCpuSeconds(c.proc.pid!) ?? 0);
    const host = new CpuMeter().start();
    const wall0 = performance.now();
    await waitUntil(
      `${N} records in across ${PROCESSES} processes`,
      async () => {
        alive();
        const sums = await Promise.all(children.map((c) => metricSum(c.port)));
        const sum = sums.reduce((a, b) => a + b, 0);
        samples.push({ at: Date.now(), sum });
        return sum >= N && children.every((c) => lastAssignment(c) > 0);
      },
      CONSUME_DEADLINE_MS,
      100,
    );
    const wall = (performance.now() - wall0) / 1000;
    const stolen = host.read().stealCores;
    const cores = children.map((c, i) => ((procCpuSeconds(c.proc.pid!) ?? 0) - cpu0[i]!) / wall);
    const stableAt = Math.max(...children.map(lastAssignment));
    const from = samples.find((x) => x.at >= stableAt);
    const end = samples.find((x) => x.sum >= N)!;
    if (from === undefined || end.at <= from.at) {
      console.log('# scale-out: the last assignment came too late to measure a window');
    } else {
      const rate = (end.sum - from.sum) / ((end.at - from.at) / 1000);
      report(`kafka-throughput-${PROCESSES}proc`, Math.round(rate), 'trades/s');
      console.log(
        `# ${PROCESSES} processes: window ${((end.at - from.at) / 1000).toFixed(2)} s after the last assignment, ` +
          `${end.sum - from.sum} records in it (${from.sum} before it, ${end.sum} in all: re-reads after a ` +
          `rebalance count twice); cores used per process ${cores.map((x) => x.toFixed(2)).join(', ')}, ` +
          `stolen by the hypervisor ${stolen?.toFixed(2) ?? '?'}`,
      );
    }
  } finally {
    await Promise.all(children.map((c) => stopChild(c.proc)));
    rmSync(shared, { recursive: true, force: true });
  }
}
await deleteNamespaceTopics(namespace2);

// 3. Kafka's own tools: the ceiling for this broker on this machine.
if (PERF) {
  await sleep(500);
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'stack', 'kafka-perf.sh')], {
    env: {
      ...process.env,
      PERF_RECORDS: String(N),
      PERF_RECORD_SIZE: '40',
      PERF_PARTITIONS: String(PARTITIONS),
    },
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  const prod = /producer: \d+ records sent, ([\d.]+) records\/sec/.exec(out);
  // ConsumerPerformance: header line, then "start, end, MB, MB.sec, nMsg, nMsg.sec, rebalance.ms,
  // fetch.ms, fetch.MB.sec, fetch.nMsg.sec".
  const cons = /consumer: ([^\n]*\d{2}:\d{2}:\d{2}:\d{3}, [^\n]*)/.exec(out)?.[1]?.split(',');
  if (prod === null || cons === undefined || r.status !== 0) {
    console.log(`# kafka-perf.sh failed (exit ${r.status}):\n${out}`);
  } else {
    report('kafka-perf-producer', Math.round(Number(prod[1])), 'records/s');
    report('kafka-perf-consumer', Math.round(Number(cons[5])), 'records/s');
    report('kafka-perf-consumer-fetch', Math.round(Number(cons[9])), 'records/s');
  }
}
if (!PROFILE) rmSync(dir, { recursive: true, force: true });
