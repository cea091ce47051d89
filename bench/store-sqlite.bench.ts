// Write throughput of the embedded store: upsertCandles and upsertTrades in batches of 1000 (one
// transaction each) into a file database in a temp dir, WAL + synchronous=NORMAL as in production.
// Every batch writes new keys (inserts, the streaming case); a second figure re-upserts existing keys
// (the replay case, where ON CONFLICT DO UPDATE takes the update path).
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Candle, duration, eventTime, price, quantity, type Trade } from '../src/domain/types.ts';
import { SqliteStore } from '../src/store/index.ts';
import { report } from './lib.ts';

const BATCH = 1000;
const SYMBOLS = Array.from({ length: 100 }, (_, i) => `SYM${i}`);
const T0 = Date.UTC(2024, 0, 16, 9, 30);
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

const candleBatch = (n: number): Candle[] => {
  const out = new Array<Candle>(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const k = n * BATCH + i;
    const p = 100 + (k % 97) * 0.01;
    out[i] = {
      symbol: SYMBOLS[k % SYMBOLS.length]!,
      intervalMs: duration(60_000),
      start: eventTime(T0 + Math.floor(k / SYMBOLS.length) * 60_000),
      open: price(p),
      high: price(p + 0.5),
      low: price(p - 0.5),
      close: price(p + 0.1),
      volume: quantity(1000 + (k % 13)),
      vwap: price(p + 0.05),
      trades: 42,
      final: k % 2 === 0,
      indicators: { sma: { 5: p, 20: p - 0.2 }, ema: { 12: p + 0.01 }, rsi: 51.3 },
    };
  }
  return out;
};

const tradeBatch = (n: number): Trade[] => {
  const out = new Array<Trade>(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const k = n * BATCH + i;
    out[i] = {
      symbol: SYMBOLS[k % SYMBOLS.length]!,
      price: price(100 + (k % 101) * 0.01),
      size: quantity(1 + (k % 300)),
      time: eventTime(T0 + Math.floor(k / 10)),
      conditions: k % 5 === 0 ? ['@', 'I'] : [],
      seq: k,
    };
  }
  return out;
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
