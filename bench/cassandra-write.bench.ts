// Write throughput of the Cassandra store against the local node (scripts/stack/stack.sh start
// cassandra): upsertCandles and upsertTrades in batches of 1000 rows spread over 200 symbols (200
// partitions per call, 5 rows each: the shape of a sink's flush, a few rows for each of many series),
// new keys every call. Compares the write strategies the adapter offers: UNLOGGED batches of
// partitions sharing replicas (the default), single-partition batches, concurrent single-row writes,
// and one call at a time vs several calls in flight (a sink with pipelined flushes).
//
// Then the reference, in the same run: the Apache Cassandra Java driver writing the same rows in the
// same batches (scripts/stack/cassandra-ref.sh), as Kafka's perf tools are for the Kafka benches. Last,
// a large checkpoint saved and loaded through the store (`cassandra-checkpoint-save/-load`, MiB/s).
//
// Writes into its own keyspace `tickstream_bench`, dropped at the end. Prints a SKIP line and exits 0
// when no node answers. Env: BENCH_CASSANDRA=host:port, BENCH_CASSANDRA_MS (time per figure of the
// headline variant and of the Java reference, default 60000), BENCH_CASSANDRA_VARIANT_MS (of the others,
// default 5000),
// BENCH_CASSANDRA_WARMUP_MS (writes before the first figure, default 8000; see WARMUP_MAX_MS),
// BENCH_CASSANDRA_VARIANTS (comma-separated names to run), BENCH_CASSANDRA_REF=0 (no Java reference),
// BENCH_CASSANDRA_REF_WARMUP_S (its JVM's warm-up, default 15), BENCH_CASSANDRA_CHECKPOINT_MIB (size of
// the checkpoint saved and loaded at the end, default 64). Besides rows/s, each figure has rows
// per CPU-second of this process and, when the node is the local stack's, of the Cassandra process
// (from /proc): on a shared machine those move far less than the wall-clock figure.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { ConfigSchema } from '../src/config.ts';
import type { Candle, Trade } from '../src/domain/types.ts';
import { setFastBatchEncoding } from '../src/store/cassandra/batch-encode.ts';
import { CassandraStore, type CassandraStoreOptions } from '../src/store/cassandra/index.ts';
import { JIT_THREADS, JitWatch, procCpuSeconds, ROOT, stackPid, ThreadGroupMeter } from './kafka-stack.ts';
import { report } from './lib.ts';
import { candleRows, tradeRows } from './store-rows.ts';

const BATCH = 1000;
const SYMBOLS = Array.from({ length: 200 }, (_, i) => `SYM${i}`);
/**
 * Time per headline figure. A minute, so that the figure includes what writing costs the node later:
 * memtable flushes (one every ~5 s with the stack's memtables) and the compactions they cause, which
 * took 16–35 % of the node's CPU in 20–150 s phases. A few seconds measured whether a
 * compaction happened to run in them.
 */
const MIN_MS = Number(process.env.BENCH_CASSANDRA_MS ?? 60_000);
/** Time per figure of the comparison variants. */
const VARIANT_MS = Number(process.env.BENCH_CASSANDRA_VARIANT_MS ?? 5000);
/**
 * Writes before the first figure, not counted: a node started just before the bench spends a large
 * share of its CPU compiling its write path (its C2 compiler thread took 15–45 % of the server's CPU in
 * the first minutes of writing, and still 35 % after 20 s of writes to a node started a minute
 * before), which is start-up cost, not write throughput. So the warm-up lasts at least WARMUP_MS and
 * then goes on until the compiler threads used under JIT_QUIET of the server's CPU over the last
 * JIT_WINDOW_MS, at most WARMUP_MAX_MS (the bench says which ended it). The window was 5 s, which a
 * lull in a still long compile queue passed: in three runs on a fresh node the JIT then took 21–34 %
 * of the server's CPU in the measured phase; with a 15 s window and 5 % it still took 10–17 %, and
 * 11-19 % with 3 % over 15 or 30 s: that was the new session each variant opened (see `setup`).
 */
const WARMUP_MS = Number(process.env.BENCH_CASSANDRA_WARMUP_MS ?? 8000);
const WARMUP_MAX_MS = Number(process.env.BENCH_CASSANDRA_WARMUP_MAX_MS ?? 300_000);
const JIT_QUIET = 0.03;
const JIT_WINDOW_MS = 30_000;
const contactPoint = process.env.BENCH_CASSANDRA ?? '127.0.0.1:9042';
/** Warm-up of the Java reference's own JVM (the node is warm by then). */
const REF_WARMUP_S = Number(process.env.BENCH_CASSANDRA_REF_WARMUP_S ?? 15);
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
 * The node's thread groups whose share of its CPU each figure reports, by thread name as /proc gives it:
 * cut to 15 characters ('CompactionExecu', 'PerDiskMemtable', 'MemtableFlushWr').
 */
const NODE_GROUPS: readonly [string, RegExp][] = [
  ['compaction', /^CompactionExec/],
  ['memtable flushes', /^(PerDiskMemtable|MemtableFlushWr|MemtablePostFlu)/],
  ['GC', /^(GC Thread|G1 )/],
  ['the JIT compiler', JIT_THREADS],
];
/**
 * Rows per wall second and per CPU second of this process over at least `ms`, `inFlight` calls at a
 * time, after a warm-up. Batches are built outside the timed region (they are the producer's cost).
 */
const measure = async <T>(
  make: () => T[],
  write: (batch: T[]) => Promise<void>,
  inFlight: number,
  ms: number,
): Promise<{
  rows: number;
  spent: number;
  wall: number;
  cpu: number;
  serverCpu: number | undefined;
  nodeShares: number[] | undefined;
}> => {
  for (let i = 0; i < 3; i++) await write(make());
  const node =
    serverPid === undefined
      ? undefined
      : new ThreadGroupMeter(
          serverPid,
          NODE_GROUPS.map(([, re]) => re),
        );
  node?.sample();
  let sampledAt = performance.now();
  let rows = 0;
  let spent = 0;
  let cpuUs = 0;
  let serverS: number | undefined = 0;
  while (spent < ms) {
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
    // Often enough that a pool thread ending mid-phase takes little of its CPU with it (~1 ms a read).
    if (node !== undefined && performance.now() - sampledAt >= 1000) {
      node.sample();
      sampledAt = performance.now();
    }
  }
  node?.sample();
  return {
    nodeShares: node?.shares(),
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
  /** Batches encoded by the driver's own writer instead of batch-encode.ts (a process-wide switch). */
  driverEncoder?: boolean;
}

/**
 * The first is the adapter's default configuration (options {}: 'replica' batches of up to 200 rows and
 * ~16 KiB, config concurrency 64); the headline figure is that one. The others are for comparison:
 * `driverenc` encodes batches with the driver's own writer; `batch50` is the previous default (one
 * partition per batch, up to 50 rows).
 */
const VARIANTS: Variant[] = [
  { name: 'default-c64', concurrency: 64, options: {}, inFlight: 1 },
  // The driver's own batch encoder instead of batch-encode.ts (same bytes, ~30 buffers per candle row).
  { name: 'driverenc-c64', concurrency: 64, options: {}, inFlight: 1, driverEncoder: true },
  { name: 'batch50-c64', concurrency: 64, options: { writeMode: 'batch', maxBatchRows: 50 }, inFlight: 1 },
  { name: 'single-c64', concurrency: 64, options: { writeMode: 'single' }, inFlight: 1 },
  { name: 'default-c64-x4', concurrency: 64, options: {}, inFlight: 4 },
  { name: 'batch50-c64-x4', concurrency: 64, options: { writeMode: 'batch', maxBatchRows: 50 }, inFlight: 4 },
];

/**
 * The reference in the same run: the Apache Cassandra Java driver writing the same rows in the same
 * batches into the same keyspace (scripts/stack/cassandra-ref.sh), as kafka-perf.sh is for the Kafka
 * benches. Its own JVM warms up for REF_WARMUP_S first; the node is already warm.
 */
const javaReference = (ours: number | undefined): void => {
  const measureS = Math.max(5, Math.round(MIN_MS / 1000));
  const r = spawnSync(
    'bash',
    [join(ROOT, 'scripts', 'stack', 'cassandra-ref.sh'), keyspace, String(REF_WARMUP_S), String(measureS)],
    { env: { ...process.env, BENCH_CASSANDRA: contactPoint }, encoding: 'utf8', timeout: 5 * 60_000 },
  );
  const lines = [...`${r.stdout}`.matchAll(/^REF (\S+) (\d+)$/gm)];
  if (r.status !== 0 || lines.length === 0) {
    console.log(`# cassandra-ref.sh failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    return;
  }
  for (const [, name, value] of lines) {
    const unit = name!.endsWith('-server-cpu')
      ? 'rows/server-cpu-s'
      : name!.endsWith('-cpu')
        ? 'rows/cpu-s'
        : 'rows/s';
    report(`cassandra-write-javaref-${name}`, Number(value), unit);
  }
  const total = lines.find(([, name]) => name === 'total')?.[2];
  if (ours !== undefined && total !== undefined) {
    console.log(
      `# our adapter (default) wrote ${((ours / Number(total)) * 100).toFixed(0)} % of the Java driver's rows/s`,
    );
  }
};

/**
 * A large checkpoint through the store (chunked past 1 MiB, checkpoints.ts): MiB/s to save and to load
 * CHECKPOINT_MIB of state, three rounds each (the previous generation is deleted on every save).
 */
const CHECKPOINT_MIB = Number(process.env.BENCH_CASSANDRA_CHECKPOINT_MIB ?? 64);
const checkpointFigures = async (): Promise<void> => {
  const store = await CassandraStore.connect(cfgOf(64));
  try {
    const state = new Uint8Array(CHECKPOINT_MIB * 1024 * 1024);
    for (let i = 0; i < state.length; i += 997) state[i] = i & 0xff;
    let save = 0;
    let load = 0;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      await store.saveCheckpoint({
        processor: 'bench',
        partition: 0,
        offsets: { t: round },
        state,
        updatedAt: round,
      });
      const t1 = performance.now();
      const back = await store.loadCheckpoint('bench', 0);
      load += performance.now() - t1;
      save += t1 - t0;
      if (back?.state.length !== state.length) throw new Error('checkpoint read back short');
    }
    report('cassandra-checkpoint-save', Math.round((3 * CHECKPOINT_MIB) / (save / 1000)), 'MiB/s');
    report('cassandra-checkpoint-load', Math.round((3 * CHECKPOINT_MIB) / (load / 1000)), 'MiB/s');
  } finally {
    await store.close();
  }
};

const admin = new Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1' });
try {
  await admin.connect();
} catch (e) {
  console.log(`SKIP cassandra-write: no Cassandra at ${contactPoint} (${(e as Error).message})`);
  await admin.shutdown();
  process.exit(0);
}
try {
  // The warm-up's session is the one the first variant (the adapter's defaults, the headline) measures:
  // on a new session the node compiled again (in eight runs on fresh nodes its JIT took 11-19 % of its
  // CPU in the first phase after the reconnect; 0-3 % in every phase on the warmed session).
  const first = VARIANTS[0]!;
  const setup = await CassandraStore.connect(cfgOf(first.concurrency), first.options);
  await setup.migrate();
  const w0 = performance.now();
  let warmRows = 0;
  const jitWatch = serverPid === undefined ? undefined : new JitWatch(serverPid, JIT_WINDOW_MS);
  for (;;) {
    await setup.upsertCandles(candleBatch());
    await setup.upsertTrades(tradeBatch());
    warmRows += 2 * BATCH;
    const now = performance.now();
    const readable = jitWatch?.sample(now) === true;
    if (now - w0 < WARMUP_MS) continue;
    // Not our node (no /proc figures): the fixed warm-up is all there is.
    if (!readable) break;
    if (jitWatch.share !== undefined && jitWatch.share < JIT_QUIET) break;
    if (now - w0 >= WARMUP_MAX_MS) break;
  }
  console.log(
    `# warm-up: ${warmRows} rows written in ${((performance.now() - w0) / 1000).toFixed(1)} s, not counted${jitWatch?.summary('server', JIT_QUIET) ?? ''}`,
  );
  const only = process.env.BENCH_CASSANDRA_VARIANTS?.split(',');
  let headline: number | undefined;
  for (const v of VARIANTS) {
    if (only !== undefined && !only.includes(v.name)) continue;
    const store = v === first ? setup : await CassandraStore.connect(cfgOf(v.concurrency), v.options);
    setFastBatchEncoding(v.driverEncoder !== true);
    let rows = 0;
    let spent = 0;
    for (const [what, make, write] of [
      ['candles', candleBatch, (b: Candle[]) => store.upsertCandles(b)],
      ['trades', tradeBatch, (b: Trade[]) => store.upsertTrades(b)],
    ] as const) {
      const r = await measure(
        make as () => never[],
        write as (b: never[]) => Promise<void>,
        v.inFlight,
        v === first ? MIN_MS : VARIANT_MS,
      );
      report(`cassandra-write-${what}-${v.name}`, Math.round(r.wall), 'rows/s');
      report(`cassandra-write-${what}-${v.name}-cpu`, Math.round(r.cpu), 'rows/cpu-s');
      if (r.serverCpu !== undefined) {
        report(`cassandra-write-${what}-${v.name}-server-cpu`, Math.round(r.serverCpu), 'rows/server-cpu-s');
      }
      if (r.nodeShares !== undefined) {
        const shares = NODE_GROUPS.map(([name], i) => `${name} ${(r.nodeShares![i]! * 100).toFixed(1)} %`);
        console.log(`# ${what}-${v.name}: of the node's CPU, ${shares.join(', ')}`);
      }
      rows += r.rows;
      spent += r.spent;
    }
    // The headline: the adapter's defaults (first variant), candles and trades together, one call at a time.
    if (v === first) {
      headline = rows / (spent / 1000);
      report('cassandra-write', Math.round(headline), 'rows/s');
    }
    if (store !== setup) await store.close();
  }
  await setup.close();
  if (process.env.BENCH_CASSANDRA_REF !== '0') javaReference(headline);
  await checkpointFigures();
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
