// The analytics processor's consume path without a broker: what kafka-throughput's process spends per
// trade, measured on one thread where the host's noise is smaller than end to end.
//
// BENCH_TRADES (1,000,000) simulated trades, timed as a live market of 500,000 trades per second of event
// time like kafka-throughput's tape, are written by the Kafka client library's own batch writer
// (createRecordsBatch, lz4, the config's default) into record batches of 625 records per partition over 8
// partitions (a 5,000-record send spread by key, as the bench's producer makes them). Each round then
// reads every batch with readRecordBatches (CRC, lz4, records), applies it to that partition's
// AnalyticsTask (decode, validate, dedup, candles, indicators, alerts) and flushes every task each
// 50,000 trades (drain and encode the outputs; the bus here only counts them).
//
// `consume-path` is trades per CPU-second of the main thread (process.threadCpuUsage: time the host
// takes away from this thread is not counted), the median of BENCH_ROUNDS (9) rounds after one warm-up
// round; `-best` is the fastest round. `-gc` is the share of the rounds' wall time in GC pauses
// (PerformanceObserver). The consumer's buffering is not modelled: each batch is read as it is applied.
import { PerformanceObserver } from 'node:perf_hooks';
import { createRecordsBatch } from '@platformatic/kafka';
import { resolveAnalyticsConfig } from '../src/analytics/config.ts';
import { AnalyticsTask } from '../src/app/analytics-processor.ts';
import { readRecordBatches } from '../src/bus/kafka/record-batch-read.ts';
import type { Bus, BusRecord } from '../src/bus/port.ts';
import { encodeTrade } from '../src/domain/codec.ts';
import { Universe } from '../src/domain/universe.ts';
import type { TaskContext } from '../src/engine/processor.ts';
import { TradeGenerator } from '../src/sources/simulator.ts';
import { report } from './lib.ts';

const N = Number(process.env.BENCH_TRADES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PARTITIONS = 8;
const PER_BATCH = 625;
const FLUSH_EVERY = 50_000;

const universe = Universe.default();
const gen = new TradeGenerator({
  universe,
  seed: 7,
  startTime: Date.now() - Math.ceil(N / 500_000) * 1000,
  nominalRate: 500_000,
});

interface Batch {
  partition: number;
  base: number;
  bytes: Buffer;
}
const batches: Batch[] = [];
{
  const pending: { key: Buffer; value: Buffer }[][] = Array.from({ length: PARTITIONS }, () => []);
  const next = new Array<number>(PARTITIONS).fill(0);
  const close = (p: number): void => {
    const rs = pending[p]!;
    if (rs.length === 0) return;
    const w = createRecordsBatch(
      rs.map((r) => ({
        topic: 't',
        partition: p,
        key: r.key,
        value: r.value,
        timestamp: BigInt(Date.now()),
      })),
      { compression: 'lz4', producerId: -1n } as Parameters<typeof createRecordsBatch>[1],
    );
    const bytes = Buffer.from(w.buffer);
    bytes.writeBigInt64BE(BigInt(next[p]!), 0); // the base offset, as a broker assigns it
    batches.push({ partition: p, base: next[p]!, bytes });
    next[p]! += rs.length;
    pending[p] = [];
  };
  for (let i = 0; i < N; i++) {
    const t = gen.next();
    const p = universe.index(t.symbol) % PARTITIONS;
    pending[p]!.push({ key: Buffer.from(t.symbol), value: Buffer.from(encodeTrade(t)) });
    if (pending[p]!.length === PER_BATCH) close(p);
  }
  for (let p = 0; p < PARTITIONS; p++) close(p);
}

let outputs = 0;
const bus = {
  send: async (_topic: string, records: readonly unknown[]) => {
    outputs += records.length;
  },
} as unknown as Bus;
const analytics = resolveAnalyticsConfig();
let deadlettered = 0;
const ctx: TaskContext = {
  deadletter: () => {
    deadlettered++;
  },
};

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const round = async (): Promise<{ cpuMs: number; wallMs: number }> => {
  const tasks = Array.from(
    { length: PARTITIONS },
    () => new AnalyticsTask({ bus, universe, analytics, allowedLatenessMs: 2000 }),
  );
  const c0 = process.threadCpuUsage();
  const t0 = performance.now();
  let n = 0;
  let sinceFlush = 0;
  for (const b of batches) {
    const records: BusRecord[] = [];
    readRecordBatches(b.bytes, b.base, 't', b.partition, records);
    tasks[b.partition]!.process(records, ctx);
    n += records.length;
    sinceFlush += records.length;
    if (sinceFlush >= FLUSH_EVERY) {
      sinceFlush = 0;
      for (const t of tasks) await t.flush();
    }
  }
  for (const t of tasks) await t.flush();
  const wallMs = performance.now() - t0;
  const c = process.threadCpuUsage(c0);
  if (n !== N) throw new Error(`read ${n} trades of ${N}`);
  return { cpuMs: (c.user + c.system) / 1000, wallMs };
};

// GC entries reach the observer on a later turn of the event loop: counted over all measured rounds.
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
await round(); // warm-up: compiles the path
await settle();
const gc0 = gcMs;
const rounds: { cpuMs: number; wallMs: number }[] = [];
for (let r = 0; r < ROUNDS; r++) rounds.push(await round());
await settle();
const cpu = rounds.map((r) => r.cpuMs).sort((a, b) => a - b);
const median = cpu[cpu.length >> 1]!;
const wall = rounds.reduce((a, r) => a + r.wallMs, 0);
const gc = gcMs - gc0;
console.log(
  `# ${N} trades in ${batches.length} record batches; rounds (CPU ms): ${rounds.map((r) => r.cpuMs.toFixed(0)).join(' ')}; ` +
    `outputs ${outputs / (ROUNDS + 1)} per round, deadlettered ${deadlettered}`,
);
report('consume-path', Math.round(N / (median / 1000)), 'trades/CPU-s');
report('consume-path-best', Math.round(N / (cpu[0]! / 1000)), 'trades/CPU-s');
report('consume-path-ns', Number(((median * 1e6) / N).toFixed(0)), 'ns/trade');
report('consume-path-gc', Number(((100 * gc) / wall).toFixed(1)), '%');
