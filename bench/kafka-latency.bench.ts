// Trade produced → candle update out of the analytics processor, through real Kafka, at a steady
// 20,000 trades/s for 40 s, of which the last 30 are measured.
//
//   - The processor is a child `tickstream run --role analytics --source none` on Kafka (fresh bus
//     namespace, SQLite checkpoints in a temp dir) with the default engine config: once caught up, a
//     partition's outputs go out after each batch (conflated while a write is in flight), over
//     engine.emitIntervalMs only while it works through a backlog. BENCH_LATENCY_EMIT_MS sets
//     engine.emitIntervalMs, BENCH_LATENCY_CAUGHT_UP=0 turns engine.emitWhenCaughtUp off.
//   - This process produces simulated trades (event time = wall time, nominal rate = the send rate) in
//     small batches every TICK_MS through KafkaBus (its 5 ms linger included, as the ingest role has it),
//     recording the send time of every trade (typed arrays: the bookkeeping makes no garbage, so it adds
//     no GC pauses to the receive times this process takes).
//   - A consumer here reads the candles topic. A 1 s candle with `trades = k` answers every trade of its
//     bucket up to the k-th that no earlier update covered (the processor folds the trades of one batch
//     into one update): each of them is measured, receive time − its send time. Every trade is counted.
//   - `kafka-latency-p50/p99`: to this downstream consumer (decode included). `kafka-latency-out-p50/p99`:
//     the candle record's Kafka timestamp (set by the processor's producer when it hands the record over,
//     before its linger) − send time: the processor-only figure, free of the downstream fetch.
// A warm-up is not counted: at least WARMUP_S seconds (group joins, our JIT), and then until the
// broker's JIT compiler used under 3 % of its CPU over the last 30 s (at most WARMUP_MAX_S). A broker
// the bench just started spent 0.95 cores where a warm one spends 0.4-0.5, and its first run after a
// start measured a p99 2-3x the next runs'. With a 10 s window the JIT came back after the warm-up (6-13 %
// of the broker's CPU while measured, p99 79-94 ms, in three runs on a just-started broker); with 30 s
// it stayed at 2-4 %; a just-started broker took 160 s and more to get there. The measured phase then
// lasts SECONDS - WARMUP_S. All three processes and the broker share the machine's 2 cores.
// Env: BENCH_LATENCY_RATE (20000), BENCH_LATENCY_SECONDS (40), BENCH_LATENCY_WARMUP_S (10),
// BENCH_LATENCY_WARMUP_MAX_S (300),
// BENCH_LATENCY_NODE_ARGS (flags for the child processor's node), BENCH_LATENCY_TICK_MS (5), BENCH_LATENCY_EMIT_MS, BENCH_LATENCY_CAUGHT_UP, BENCH_LATENCY_LINGER_MS
// (bus.kafka.lingerMs of this producer and the processor's) (defaults: the product's).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyticsConfigOf, openBus } from '../src/app/adapters.ts';
import { analyticsProcessor } from '../src/app/analytics-processor.ts';
import type { ProduceRecord } from '../src/bus/port.ts';
import { parseConfig } from '../src/config.ts';
import { decodeCandle, encodeTrade } from '../src/domain/codec.ts';
import { TOPICS } from '../src/domain/topics.ts';
import { Universe } from '../src/domain/universe.ts';
import { EngineMetrics } from '../src/engine/metrics.ts';
import { ProcessorRuntime } from '../src/engine/runtime.ts';
import { TradeGenerator } from '../src/sources/simulator.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { Timings, timedBus, timedSpec } from './kafka-instrument.ts';
import {
  analyticsProcessorArgs,
  CpuMeter,
  deleteNamespaceTopics,
  freshId,
  JIT_THREADS,
  JitWatch,
  machineCpuSeconds,
  NODE,
  percentile,
  procCpuSeconds,
  sleep,
  stackPid,
  startStack,
  stopChild,
  ThreadGroupMeter,
  waitUntil,
} from './kafka-stack.ts';
import { report } from './lib.ts';

const RATE = Number(process.env.BENCH_LATENCY_RATE ?? 20_000);
const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 40);
const TICK_MS = Number(process.env.BENCH_LATENCY_TICK_MS ?? 5);
const INPROC = process.env.BENCH_LATENCY_INPROC === '1';
const EMIT_MS = process.env.BENCH_LATENCY_EMIT_MS;
const CAUGHT_UP = process.env.BENCH_LATENCY_CAUGHT_UP;
const LINGER_MS = process.env.BENCH_LATENCY_LINGER_MS;
const WARMUP_S = Number(process.env.BENCH_LATENCY_WARMUP_S ?? 10);
/** Extra node flags for the child processor (a diagnostic, e.g. `--cpu-prof --cpu-prof-dir=DIR`). */
const NODE_ARGS = (process.env.BENCH_LATENCY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
const WARMUP_MAX_S = Number(process.env.BENCH_LATENCY_WARMUP_MAX_S ?? 300);
const MEASURE_S = SECONDS - WARMUP_S;
if (!(MEASURE_S > 0))
  throw new Error(`BENCH_LATENCY_SECONDS (${SECONDS}) must exceed BENCH_LATENCY_WARMUP_S (${WARMUP_S})`);
const JIT_QUIET = 0.03;
/** The p99 target: trades slower than this are attributed to the seconds they were sent in. */
const TARGET_MS = 50;
const JIT_WINDOW_MS = 30_000;

const grown = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
  const g = new Float64Array(a.length * 2);
  g.set(a);
  return g;
};
const PARTITIONS = 8;
const BUCKET_MS = 1000;

startStack('kafka');
const namespace = freshId('benchlat');
const dataDir = mkdtempSync(join(tmpdir(), 'ts-kafka-lat-'));
const engine: Record<string, unknown> = {};
if (EMIT_MS !== undefined) engine.emitIntervalMs = Number(EMIT_MS);
if (CAUGHT_UP !== undefined) engine.emitWhenCaughtUp = CAUGHT_UP !== '0';
const kafka = LINGER_MS === undefined ? {} : { lingerMs: Number(LINGER_MS) };
const config = parseConfig({ bus: { kind: 'kafka', namespace, partitions: PARTITIONS, kafka }, engine });
const universe = Universe.default();
console.log(
  `# namespace ${namespace}, ${RATE} trades/s for ${SECONDS} s in batches every ${TICK_MS} ms, emitIntervalMs ${config.engine.emitIntervalMs}, emitWhenCaughtUp ${config.engine.emitWhenCaughtUp}, lingerMs ${config.bus.kafka.lingerMs}`,
);

// High-resolution wall clock (ms, fractional), and its offset to Date.now() (the child stamps records
// with Date.now()).
const now = (): number => performance.timeOrigin + performance.now();
const dateOffset = Date.now() - now();

const bus = await openBus(config); // creates the namespace's topics once, before the child starts

// The processor: a child process (default), or in this process with its calls timed
// (BENCH_LATENCY_INPROC=1, a diagnostic: it then shares this event loop with the producer and reader).
let childLog = '';
let child: ChildProcess | undefined;
let inproc: ProcessorRuntime | undefined;
const timings = new Timings();
/** In-process mode: age of each batch's oldest record when the task gets it (producer → processor). */
const batchAge: number[] = [];
if (INPROC) {
  const pbus = timedBus(await openBus(config), timings);
  const store = SqliteStore.open(dataDir);
  await store.migrate();
  const spec = timedSpec(
    analyticsProcessor({
      bus: pbus,
      universe,
      analytics: analyticsConfigOf(config),
      allowedLatenessMs: config.engine.allowedLatenessMs,
    }),
    timings,
  );
  inproc = new ProcessorRuntime(
    {
      ...spec,
      createTask: (partition, restored) => {
        const task = spec.createTask(partition, restored);
        const process = task.process.bind(task);
        task.process = (records, ctx) => {
          const first = records[0];
          if (first !== undefined) batchAge.push(Date.now() - first.timestamp);
          process(records, ctx);
        };
        return task;
      },
    },
    {
      bus: pbus,
      store,
      metrics: new EngineMetrics(),
      maxBatch: config.engine.maxBatch,
      checkpointIntervalMs: config.engine.checkpointIntervalMs,
      emitIntervalMs: config.engine.emitIntervalMs,
      emitWhenCaughtUp: config.engine.emitWhenCaughtUp,
      log: (m) => {
        childLog += `${m}\n`;
      },
    },
  );
  inproc.start();
} else {
  child = spawn(NODE, [...NODE_ARGS, ...analyticsProcessorArgs(dataDir)], {
    env: {
      ...process.env,
      TICKSTREAM_BUS__KIND: 'kafka',
      TICKSTREAM_BUS__NAMESPACE: namespace,
      TICKSTREAM_BUS__PARTITIONS: String(PARTITIONS),
      TICKSTREAM_ENGINE__EMIT_INTERVAL_MS: String(config.engine.emitIntervalMs),
      TICKSTREAM_ENGINE__EMIT_WHEN_CAUGHT_UP: String(config.engine.emitWhenCaughtUp),
      TICKSTREAM_BUS__KAFKA__LINGER_MS: String(config.bus.kafka.lingerMs),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    childLog += d;
  });
}
const cleanup = async (): Promise<void> => {
  if (child !== undefined) await stopChild(child);
  await inproc?.stop();
  rmSync(dataDir, { recursive: true, force: true });
};

try {
  await waitUntil(
    'the processor to own all partitions',
    () => {
      if (child !== undefined && child.exitCode !== null)
        throw new Error(`processor exited ${child.exitCode}:\n${childLog}`);
      return (childLog.match(/assigned trades\[/g) ?? []).length >= PARTITIONS;
    },
    60_000,
  );

  // Bookkeeping in typed arrays, so that it adds no garbage (and no GC pauses) to the process whose
  // reader takes the receive times. A trade is (symbol, seq): its send time is sendAt[symbol][seq]; a
  // 1 s bucket (symbol, start) is slot symbol × BUCKETS + bucket number, holding the seq of its first
  // trade and how many of its trades a candle update has covered so far.
  // Event time starts when producing does (set after the reader's group join below): the generator
  // would otherwise send every trade due during the join in its first tick, and a join longer than
  // ~9 s would push slots past BUCKETS. No candle arrives before then (a fresh namespace).
  let start = 0;
  let firstBucket = 0;
  const BUCKETS = SECONDS + WARMUP_MAX_S + 10;
  const slot = (symbol: number, bucketStart: number): number =>
    symbol * BUCKETS + (bucketStart - firstBucket) / BUCKET_MS;
  const sendAt = Array.from(
    { length: universe.size },
    () => new Float64Array(Math.ceil((RATE * SECONDS) / universe.size) + 64),
  );
  const bucketFirstSeq = new Float64Array(universe.size * BUCKETS).fill(-1);
  const bucketCovered = new Int32Array(universe.size * BUCKETS);
  let e2e = new Float64Array(RATE * SECONDS);
  let out = new Float64Array(RATE * SECONDS);
  // The hypervisor's steal per second of the measured phase (ms of vCPU time, both vCPUs), and per
  // second the trades sent in it and those of them later than TARGET_MS: whether the slow trades are
  // the ones that met a stolen second.
  const stealMs = new Float64Array(MEASURE_S + 2);
  const sentIn = new Float64Array(MEASURE_S + 2);
  const slowIn = new Float64Array(MEASURE_S + 2);
  const secondOf = (sentAt: number): number =>
    Math.min(MEASURE_S + 1, Math.floor((sentAt - measureFrom) / 1000));
  let stealSeconds = 0;
  let nextStealAt = Number.POSITIVE_INFINITY;
  let stealBefore = 0;
  let measured = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  let candles1s = 0;
  let unmatched = 0;

  let assigned = false;
  const consumer = bus.consumer({
    group: freshId('lat-reader'),
    topics: [TOPICS.candles],
    reset: 'earliest',
    onAssign: () => {
      assigned = true;
      return undefined;
    },
  });
  let reading = true;
  // A 1 s candle with `trades = k` is the first answer to every trade of its bucket not yet covered by
  // an earlier update, up to the k-th: each of those trades is measured (the processor may fold several
  // trades into one update; each of them waited for it).
  const reader = (async () => {
    for await (const b of consumer.batches()) {
      const at = now();
      for (const r of b.records) {
        const d = decodeCandle(r.value);
        if (!d.ok || d.value.intervalMs !== BUCKET_MS) continue;
        const c = d.value;
        candles1s++;
        const sym = universe.index(c.symbol);
        const i = slot(sym, c.start);
        const first = bucketFirstSeq[i];
        if (first === undefined || first < 0 || first + c.trades > sendAt[sym]!.length) {
          unmatched++;
          continue;
        }
        const times = sendAt[sym]!;
        for (let k = bucketCovered[i]! + 1; k <= c.trades; k++) {
          const sentAt = times[first + k - 1]!;
          if (sentAt < measureFrom) continue;
          if (measured === e2e.length) {
            e2e = grown(e2e);
            out = grown(out);
          }
          e2e[measured] = at - sentAt;
          const sec = secondOf(sentAt);
          sentIn[sec]!++;
          if (at - sentAt > TARGET_MS) slowIn[sec]!++;
          out[measured] = r.timestamp - (sentAt + dateOffset);
          measured++;
        }
        if (c.trades > bucketCovered[i]!) bucketCovered[i] = c.trades;
      }
      if (!reading) break;
    }
  })();
  await waitUntil('the candle reader to be assigned', () => assigned, 60_000);
  start = Date.now();
  firstBucket = start - (start % BUCKET_MS);

  // The paced producer: every tick, every trade whose event time has come is sent in one batch.
  const gen = new TradeGenerator({ universe, seed: 11, startTime: start, nominalRate: RATE });
  const broker = stackPid('kafka');
  const jitWatch = broker === undefined ? undefined : new JitWatch(broker, JIT_WINDOW_MS);
  let cpu = new CpuMeter().start();
  let childCpu0 = 0;
  let brokerJit: ThreadGroupMeter | undefined;
  const t0 = now();
  let tEnd = Number.POSITIVE_INFINITY;
  let produced = 0;
  let late = 0;
  let lateWarm = 0;
  const inflight = new Set<Promise<void>>();
  let nextTick = now();
  while (now() < tEnd) {
    const batch: ProduceRecord[] = [];
    const t = now();
    const until = t + dateOffset;
    while (gen.peekTime() <= until) {
      const tr = gen.next();
      batch.push({ key: tr.symbol, value: encodeTrade(tr) });
      const sym = universe.index(tr.symbol);
      if (tr.seq >= sendAt[sym]!.length) sendAt[sym] = grown(sendAt[sym]!);
      sendAt[sym]![tr.seq] = t;
      const i = slot(sym, tr.time - (tr.time % BUCKET_MS));
      if (bucketFirstSeq[i]! < 0) bucketFirstSeq[i] = tr.seq;
    }
    if (batch.length > 0) {
      produced += batch.length;
      // Sends are not awaited one by one (a real source keeps producing); the linger producer keeps their
      // order per partition.
      const p = bus.send(TOPICS.trades, batch).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    if (now() >= nextStealAt && stealSeconds <= MEASURE_S) {
      const stolen = machineCpuSeconds()?.steal ?? 0;
      stealMs[stealSeconds++] = (stolen - stealBefore) * 1000;
      stealBefore = stolen;
      nextStealAt += 1000;
    }
    if (measureFrom === Number.POSITIVE_INFINITY) {
      const at = now();
      // Not our broker (no /proc figures): the fixed warm-up is all there is.
      const readable = jitWatch?.sample(performance.now()) === true;
      const warm = at - t0 >= WARMUP_S * 1000;
      if (
        warm &&
        (!readable ||
          (jitWatch.share !== undefined && jitWatch.share < JIT_QUIET) ||
          at - t0 >= WARMUP_MAX_S * 1000)
      ) {
        measureFrom = at;
        tEnd = at + MEASURE_S * 1000;
        lateWarm = late;
        console.log(
          `# warm-up: ${((at - t0) / 1000).toFixed(1)} s, not counted${jitWatch?.summary('broker', JIT_QUIET) ?? ''}`,
        );
        stealBefore = machineCpuSeconds()?.steal ?? 0;
        nextStealAt = at + 1000;
        cpu = new CpuMeter().start();
        childCpu0 = procCpuSeconds(child?.pid ?? process.pid) ?? 0;
        brokerJit = broker === undefined ? undefined : new ThreadGroupMeter(broker, [JIT_THREADS]);
        brokerJit?.sample();
      }
    }
    nextTick += TICK_MS;
    const wait = nextTick - now();
    if (wait > 0) await sleep(wait);
    else {
      late++;
      nextTick = now();
    }
  }
  const tStop = now();
  if (stealSeconds <= MEASURE_S)
    stealMs[stealSeconds++] = ((machineCpuSeconds()?.steal ?? 0) - stealBefore) * 1000;
  await Promise.all(inflight);
  const use = cpu.read();
  const childCores = ((procCpuSeconds(child?.pid ?? process.pid) ?? 0) - childCpu0) / use.wallS;
  const brokerJitShare = brokerJit?.sample() === true ? brokerJit.shares()?.[0] : undefined;
  // Let the last candles arrive, then stop reading.
  const ends = await bus.endOffsets(TOPICS.trades);
  const total = ends.reduce((a, b) => a + b, 0);
  await waitUntil(
    'the processor to commit every trade',
    async () =>
      (await bus.committedOffsets('analytics', TOPICS.trades)).reduce((a, b) => a + Math.max(0, b), 0) >=
      total,
    30_000,
    200,
  );
  await sleep(500);
  reading = false;
  await consumer.close();
  await reader;

  const e2eSorted = e2e.slice(0, measured).sort();
  const outSorted = out.slice(0, measured).sort();
  report('kafka-latency-p50', Number(percentile(e2eSorted, 50).toFixed(2)), 'ms');
  report('kafka-latency-p99', Number(percentile(e2eSorted, 99).toFixed(2)), 'ms');
  report('kafka-latency-out-p50', Number(percentile(outSorted, 50).toFixed(2)), 'ms');
  report('kafka-latency-out-p99', Number(percentile(outSorted, 99).toFixed(2)), 'ms');
  console.log(
    `# e2e max ${percentile(e2eSorted, 100).toFixed(1)} ms, p90 ${percentile(e2eSorted, 90).toFixed(1)} ms; out p90 ${percentile(outSorted, 90).toFixed(1)} ms, max ${percentile(outSorted, 100).toFixed(1)} ms`,
  );
  console.log(
    `# produced ${produced} trades in ${((tStop - t0) / 1000).toFixed(1)} s (${(produced / ((tStop - t0) / 1000)).toFixed(0)}/s; in the topic ${total}), ${late - lateWarm} late ticks while measured (${lateWarm} in the warm-up); 1 s candle updates read ${candles1s}, trades measured ${measured}, unmatched ${unmatched}`,
  );
  console.log(
    `# cores while producing: processor ${childCores.toFixed(2)}, bench (producer + reader) ${use.selfCores.toFixed(2)}, broker ${use.brokerCores?.toFixed(2) ?? '?'}` +
      (brokerJitShare === undefined
        ? ''
        : ` (its JIT compiler ${(brokerJitShare * 100).toFixed(1)} % of that)`) +
      `; stolen by the hypervisor ${use.stealCores?.toFixed(2) ?? '?'}`,
  );
  if (stealSeconds > 0) {
    // A trade sent in second s is exposed to steal in s and s + 1 (it is answered within ~1 s).
    let stolenSeconds = 0;
    let slowNearSteal = 0;
    let slow = 0;
    let sentNearSteal = 0;
    let sent = 0;
    let maxSteal = 0;
    for (let sec = 0; sec < stealSeconds; sec++) {
      const near = stealMs[sec]! > 0 || (stealMs[sec + 1] ?? 0) > 0;
      if (stealMs[sec]! > 0) stolenSeconds++;
      maxSteal = Math.max(maxSteal, stealMs[sec]!);
      slow += slowIn[sec]!;
      sent += sentIn[sec]!;
      if (near) {
        slowNearSteal += slowIn[sec]!;
        sentNearSteal += sentIn[sec]!;
      }
    }
    const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)} %`);
    console.log(
      `# steal by second while measured: ${stolenSeconds} of ${stealSeconds} s had some (at most ${maxSteal.toFixed(0)} ms of vCPU time in one); ` +
        `trades over ${TARGET_MS} ms: ${slow} (${pct(slow, sent)} of those sent), ${pct(slowNearSteal, slow)} of them sent in a second with steal or the one before it, which held ${pct(sentNearSteal, sent)} of the trades`,
    );
  }
  if (INPROC) {
    const ages = Float64Array.from(batchAge).sort();
    console.log(
      `# in-process: age of a batch's oldest trade when processed p50 ${percentile(ages, 50)} ms, p99 ${percentile(ages, 99)} ms`,
    );
    for (const l of timings.lines()) console.log(`#   ${l}`);
  }
  if (total !== produced) console.log(`# WARNING: ${total} records in the topic, ${produced} sent`);
  if (unmatched > 0) console.log('# WARNING: candle updates whose trade count matches no sent trade');
} catch (e) {
  console.log(`# processor log:\n${childLog.slice(-4000)}`);
  throw e;
} finally {
  await cleanup();
  await bus.close();
  await deleteNamespaceTopics(namespace);
}
for (const l of childLog
  .split('\n')
  .filter((l) => /trades produced|error|WARN/i.test(l))
  .slice(-3))
  console.log(`# processor: ${l}`);
