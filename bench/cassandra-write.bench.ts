// Write throughput of the Cassandra store against the local node (scripts/stack/stack.sh start
// cassandra): upsertCandles and upsertTrades in batches of 1000 rows spread over 200 symbols (200
// partitions per call, 5 rows each: the shape of a sink's flush, a few rows for each of many series),
// new keys every call. Compares the write strategies the adapter offers: UNLOGGED batches of
// partitions sharing replicas (the default), single-partition batches, concurrent single-row writes,
// and one call at a time vs several calls in flight (a sink with pipelined flushes).
//
// Writes into its own keyspace `tickstream_bench`, dropped at the end. Prints a SKIP line and exits 0
// when no node answers. Env: BENCH_CASSANDRA=host:port, BENCH_CASSANDRA_MS (time per figure),
// BENCH_CASSANDRA_WARMUP_MS (writes before the first figure, default 8000), BENCH_CASSANDRA_VARIANTS
// (comma-separated names to run). Besides rows/s, each figure has rows per CPU-second of this process
// and, when the node is the local stack's, of the Cassandra process (from /proc): on a shared machine
// those move far less than the wall-clock figure.
import os from 'node:os';
import { Client } from 'cassandra-driver';
import { ConfigSchema } from '../src/config.ts';
import type { Candle, Trade } from '../src/domain/types.ts';
import { CassandraStore, type CassandraStoreOptions } from '../src/store/cassandra/index.ts';
import { procCpuSeconds, stackPid } from './kafka-stack.ts';
import { report } from './lib.ts';
import { candleRows, tradeRows } from './store-rows.ts';

const BATCH = 1000;
const SYMBOLS = Array.from({ length: 200 }, (_, i) => `SYM${i}`);
const MIN_MS = Number(process.env.BENCH_CASSANDRA_MS ?? 3000);
/**
 * Writes before the first figure, not counted: a node started just before the bench spends a large
 * share of its CPU compiling its write path (C2 compiler threads took 15–45 % of the server's CPU in
 * the first minutes of writing), which is start-up cost, not write throughput.
 */
const WARMUP_MS = Number(process.env.BENCH_CASSANDRA_WARMUP_MS ?? 8000);
const contactPoint = process.env.BENCH_CASSANDRA ?? '127.0.0.1:9042';
const keyspace = 'tickstream_bench';
const cfgOf = (concurrency: number) =>
  ConfigSchema.parse({
    store: { kind: 'cassandra', cassandra: { contactPoints: [contactPoint], keyspace, concurrency } },
  }).store.cassandra;

/**
 * CPU seconds used so far by the local Cassandra node started by scripts/stack (pid file under .stack/),
 * or undefined when it is not ours (BENCH_CASSANDRA elsewhere) or unreadable. Lets the bench report
 * rows per server CPU-second, which moves far less than wall-clock rows/s on a shared machine.
 */
const serverPid = stackPid('cassandra');
const serverCpuS = (): number | undefined =>
  serverPid === undefined ? undefined : procCpuSeconds(serverPid);

let seqBase = 0;
const candleBatch = () => candleRows(seqBase++, BATCH, SYMBOLS);
const tradeBatch = () => tradeRows(seqBase++, BATCH, SYMBOLS);
/**
 * Rows per wall second and per CPU second of this process over at least MIN_MS, `inFlight` calls at a
 * time, after a warm-up. Batches are built outside the timed region (they are the producer's cost).
 */
const measure = async <T>(
  make: () => T[],
  write: (batch: T[]) => Promise<void>,
  inFlight: number,
): Promise<{ rows: number; spent: number; wall: number; cpu: number; serverCpu: number | undefined }> => {
  for (let i = 0; i < 3; i++) await write(make());
  let rows = 0;
  let spent = 0;
  let cpuUs = 0;
  let serverS: number | undefined = 0;
  while (spent < MIN_MS) {
    const batches = Array.from({ length: inFlight }, make);
    const s0 = serverCpuS();
    const c = process.cpuUsage();
    const t = performance.now();
    await Promise.all(batches.map(write));
    spent += performance.now() - t;
    const dc = process.cpuUsage(c);
    const s1 = serverCpuS();
    cpuUs += dc.user + dc.system;
    serverS = s0 === undefined || s1 === undefined || serverS === undefined ? undefined : serverS + s1 - s0;
    rows += inFlight * BATCH;
  }
  return {
    rows,
    spent,
    wall: rows / (spent / 1000),
    cpu: rows / (cpuUs / 1e6),
    serverCpu: serverS === undefined || serverS === 0 ? undefined : rows / serverS,
  };
};

interface Variant {
  name: string;
  concurrency: number;
  options: CassandraStoreOptions;
  inFlight: number;
}

/**
 * The first is the adapter's default configuration (options {}: 'replica' batches of up to 200 rows and
 * ~16 KiB, config concurrency 64); the headline figure is that one. The others are for comparison:
 * `batch50` is the previous default (one partition per batch, up to 50 rows).
 */
const VARIANTS: Variant[] = [
  { name: 'default-c64', concurrency: 64, options: {}, inFlight: 1 },
  { name: 'batch50-c64', concurrency: 64, options: { writeMode: 'batch', maxBatchRows: 50 }, inFlight: 1 },
  { name: 'single-c64', concurrency: 64, options: { writeMode: 'single' }, inFlight: 1 },
  { name: 'default-c64-x4', concurrency: 64, options: {}, inFlight: 4 },
  { name: 'batch50-c64-x4', concurrency: 64, options: { writeMode: 'batch', maxBatchRows: 50 }, inFlight: 4 },
];

const admin = new Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1' });
try {
  await admin.connect();
} catch (e) {
  console.log(`SKIP cassandra-write: no Cassandra at ${contactPoint} (${(e as Error).message})`);
  await admin.shutdown();
  process.exit(0);
}
try {
  const setup = await CassandraStore.connect(cfgOf(64));
  await setup.migrate();
  const w0 = performance.now();
  let warmRows = 0;
  while (performance.now() - w0 < WARMUP_MS) {
    await setup.upsertCandles(candleBatch());
    await setup.upsertTrades(tradeBatch());
    warmRows += 2 * BATCH;
  }
  console.log(
    `# warm-up: ${warmRows} rows written in ${((performance.now() - w0) / 1000).toFixed(1)} s, not counted`,
  );
  await setup.close();
  const only = process.env.BENCH_CASSANDRA_VARIANTS?.split(',');
  for (const v of VARIANTS) {
    if (only !== undefined && !only.includes(v.name)) continue;
    const store = await CassandraStore.connect(cfgOf(v.concurrency), v.options);
    let rows = 0;
    let spent = 0;
    for (const [what, make, write] of [
      ['candles', candleBatch, (b: Candle[]) => store.upsertCandles(b)],
      ['trades', tradeBatch, (b: Trade[]) => store.upsertTrades(b)],
    ] as const) {
      const r = await measure(make as () => never[], write as (b: never[]) => Promise<void>, v.inFlight);
      report(`cassandra-write-${what}-${v.name}`, Math.round(r.wall), 'rows/s');
      report(`cassandra-write-${what}-${v.name}-cpu`, Math.round(r.cpu), 'rows/cpu-s');
      if (r.serverCpu !== undefined) {
        report(`cassandra-write-${what}-${v.name}-server-cpu`, Math.round(r.serverCpu), 'rows/server-cpu-s');
      }
      rows += r.rows;
      spent += r.spent;
    }
    // The headline: the adapter's defaults (first variant), candles and trades together, one call at a time.
    if (v === VARIANTS[0]) report('cassandra-write', Math.round(rows / (spent / 1000)), 'rows/s');
    await store.close();
  }
  console.log(
    `# load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores (Cassandra shares them)`,
  );
} finally {
  await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await admin.shutdown();
}
