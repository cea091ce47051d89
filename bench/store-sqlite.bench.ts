// Write throughput of the embedded store: upsertCandles and upsertTrades in batches of 1000 (one
// transaction each) into a file database in a temp dir, WAL + synchronous=NORMAL as in production.
// Every batch writes new keys (inserts, the streaming case); a second figure re-upserts existing keys
// (the replay case, where ON CONFLICT DO UPDATE takes the update path).
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/index.ts';
import { report } from './lib.ts';
import { candleRows, tradeRows } from './store-rows.ts';

const BATCH = 1000;
const SYMBOLS = Array.from({ length: 100 }, (_, i) => `SYM${i}`);
const candleBatch = (n: number) => candleRows(n, BATCH, SYMBOLS);
const tradeBatch = (n: number) => tradeRows(n, BATCH, SYMBOLS);
const MIN_MS = 1500;

/**
 * Writes batch after batch for at least MIN_MS of write time after one warm-up batch. Only the write is
 * timed: building the batch is the producer's cost, not the store's. Returns rows per wall second and
 * rows per CPU second of this process: on a shared, loaded machine the wall figure swings with the
 * neighbours while the CPU figure shows the cost of the work itself.
 */
const measure = async <T>(
  make: (n: number) => T[],
  write: (batch: T[]) => Promise<void>,
): Promise<{ wall: number; cpu: number }> => {
  await write(make(0));
  let rows = 0;
  let spent = 0;
  let cpuUs = 0;
  for (let n = 1; spent < MIN_MS; n++) {
    const batch = make(n);
    const c = process.cpuUsage();
    const t = performance.now();
    await write(batch);
    spent += performance.now() - t;
    const dc = process.cpuUsage(c);
    cpuUs += dc.user + dc.system;
    rows += batch.length;
  }
  return { wall: rows / (spent / 1000), cpu: rows / (cpuUs / 1e6) };
};

const run = async <T>(name: string, make: (n: number) => T[], write: (batch: T[]) => Promise<void>) => {
  const r = await measure(make, write);
  report(name, Math.round(r.wall), 'rows/s');
  report(`${name}-cpu`, Math.round(r.cpu), 'rows/cpu-s');
};

const dir = mkdtempSync(join(tmpdir(), 'tickstream-bench-store-'));
try {
  const store = SqliteStore.open(dir);
  await store.migrate();

  // New keys every batch (streaming), then the first batches again (replay: the update path).
  await run('store-sqlite-candles', candleBatch, (b) => store.upsertCandles(b));
  await run(
    'store-sqlite-candles-update',
    (n) => candleBatch(n % 64),
    (b) => store.upsertCandles(b),
  );
  await run('store-sqlite-trades', tradeBatch, (b) => store.upsertTrades(b));
  await run(
    'store-sqlite-trades-update',
    (n) => tradeBatch(n % 64),
    (b) => store.upsertTrades(b),
  );
  console.log(
    `# load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );

  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
