// Trades per second through MarketAnalytics on one core: 4 intervals (1 s, 1 min, 5 min, 1 h) with
// SMA 5/10, EMA 12/26, RSI 14, Bollinger 20, price alerts and anomaly scores, over 500 symbols.
// Trades are generated beforehand (random-walk prices); the same trades are timed on two tapes that differ
// only in how fast event time moves, because that decides how much output a trade causes:
//   - live (the headline, `analytics-throughput`): a market delivering the target rate, 1,000,000 trades
//     per second of event time (0–2 µs apart). Each second of event time closes one 1 s bar per symbol, so
//     the output is mostly provisional candles of the forming bars (~0.02 candles per trade).
//   - replay (`analytics-throughput-replay`): a tape of ~2,000 trades per second of event time (1 µs–1 ms
//     apart, the S&P 500's share of a busy US tape) replayed as fast as it goes, ~500× real time: nearly
//     every symbol closes a 1 s bar every 2,000 trades (~0.28 candles per trade), the harshest case for output.
// Both model the runtime (src/engine/runtime.ts, src/app/analytics-processor.ts): input comes in batches of
// up to engine.maxBatch = 5000 records and the watermark (newest time − 2 s) advances once per batch;
// output is drained every engine.emitIntervalMs (100 ms), i.e. every 100,000 trades at the 1M trades/s
// target. The `-drain1000` line keeps a far harsher cadence on the replay tape (watermark and drain every
// 1000 trades: ~2 candles per trade) in sight.
// Then the checkpoint: snapshot bytes and snapshot/restore time for the whole book and for one of 8
// partitions (every 8th symbol), after the replay tape.
import os from 'node:os';
import { resolveAnalyticsConfig } from '../src/analytics/config.ts';
import { MarketAnalytics } from '../src/analytics/market.ts';
import type { Alert, Candle, EventTimeMs, Price, Quantity, Trade } from '../src/domain/types.ts';
import { type SymbolInfo, Universe } from '../src/domain/universe.ts';
import { report } from './lib.ts';

const SYMBOLS = 500;
const TRADES = Number(process.env.BENCH_TRADES ?? 2_000_000);
/** Watermark advanced every `wmEvery` trades, output drained every `drainEvery` trades. */
interface Cadence {
  wmEvery: number;
  drainEvery: number;
  live: boolean;
}
const LIVE: Cadence = { wmEvery: 5000, drainEvery: 100_000, live: true };
const REPLAY: Cadence = { wmEvery: 5000, drainEvery: 100_000, live: false };
const DRAIN1000: Cadence = { wmEvery: 1000, drainEvery: 1000, live: false };
const LATENESS_MS = 2000;

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 0x9e3779b9;
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());

const universeOf500 = (): Universe => {
  const base = Universe.default();
  if (base.size >= SYMBOLS) return new Universe(base.infos.slice(0, SYMBOLS));
  const infos: SymbolInfo[] = [...base.infos];
  for (let i = infos.length; i < SYMBOLS; i++) {
    infos.push({ symbol: `SYM${i}`, sector: 'Synthetic', basePrice: 20 + rand() * 480, volatility: 0.02 });
  }
  return new Universe(infos);
};

const universe = universeOf500();
const noConditions: string[] = [];
// The trades live in typed arrays and each becomes a fresh Trade object just before onTrade, as the
// processor decodes one per record: its allocation is part of the measured cost, and the heap does not
// hold millions of long-lived trade objects that every full GC would have to mark (the runtime's does not).
const tSym = new Int32Array(TRADES);
const tPrice = new Float64Array(TRADES);
const tSize = new Float64Array(TRADES);
const tTime = new Float64Array(TRADES); // replay tape
const tTimeLive = new Float64Array(TRADES);
{
  const px = universe.infos.map((i) => i.basePrice);
  let us = Date.UTC(2025, 0, 6, 14, 30) * 1000; // event time in µs, replay tape
  let usLive = us;
  for (let i = 0; i < TRADES; i++) {
    us += 1 + Math.floor(rand() * 999);
    usLive += rand() < 0.5 ? 0 : 2;
    tTimeLive[i] = Math.floor(usLive / 1000);
    const s = Math.floor(rand() * SYMBOLS);
    const p = Math.max(0.01, px[s]! * (1 + 0.0004 * gauss()));
    px[s] = p;
    tSym[i] = s;
    tPrice[i] = Math.round(p * 100) / 100;
    tSize[i] = 1 + Math.floor(rand() * 300);
    tTime[i] = Math.floor(us / 1000);
  }
}
const tradeAt = (i: number, times: Float64Array = tTime): Trade => ({
  symbol: universe.symbols[tSym[i]!]!,
  price: tPrice[i]! as Price,
  size: tSize[i]! as Quantity,
  time: times[i]! as EventTimeMs,
  conditions: noConditions,
  seq: i,
});

const config = resolveAnalyticsConfig();
// Wall time is what the figure is; CPU time of this process is printed beside it because the machine is
// shared (load above the core count inflates wall time, and CPU time less so).
const run = (n: number, c: Cadence): { ms: number; cpuMs: number; candles: number; alerts: number } => {
  const m = new MarketAnalytics(config, universe);
  const out: { candles: Candle[]; alerts: Alert[] } = { candles: [], alerts: [] };
  let candles = 0;
  let alerts = 0;
  let maxT = 0;
  let toWm = c.wmEvery;
  let toDrain = c.drainEvery;
  const times = c.live ? tTimeLive : tTime;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = tradeAt(i, times);
    m.onTrade(t);
    if (t.time > maxT) maxT = t.time;
    if (--toWm === 0) {
      toWm = c.wmEvery;
      m.advanceWatermark((maxT - LATENESS_MS) as EventTimeMs);
    }
    if (--toDrain === 0) {
      toDrain = c.drainEvery;
      m.drain(out);
      candles += out.candles.length;
      alerts += out.alerts.length;
      out.candles.length = 0;
      out.alerts.length = 0;
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, candles, alerts };
};

const spanS = (tTime[TRADES - 1]! - tTime[0]!) / 1000;
const spanLiveS = (tTimeLive[TRADES - 1]! - tTimeLive[0]!) / 1000;
console.log(
  `# ${TRADES} trades over ${SYMBOLS} symbols: live tape ${spanLiveS.toFixed(1)} s, replay tape ${spanS.toFixed(0)} s of event time`,
);

/** Three timed runs after a warm-up; reports the median wall and per-CPU-second rates. */
const measure = (name: string, c: Cadence): void => {
  run(Math.min(TRADES, 300_000), c); // warm-up (JIT)
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let last = { ms: 0, cpuMs: 0, candles: 0, alerts: 0 };
  for (let r = 0; r < 3; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    last = run(TRADES, c);
    rates.push(TRADES / (last.ms / 1000));
    cpuRates.push(TRADES / (last.cpuMs / 1000));
  }
  rates.sort((a, b) => a - b);
  cpuRates.sort((a, b) => a - b);
  console.log(
    `# ${name} (${c.live ? 'live' : 'replay'} tape): watermark every ${c.wmEvery}, drain every ${c.drainEvery} trades; per run ${last.candles} candles ` +
      `(${(last.candles / TRADES).toFixed(3)} per trade), ${last.alerts} alerts; runs ${rates.map((x) => Math.round(x)).join(', ')} trades/s, ` +
      `${cpuRates.map((x) => Math.round(x)).join(', ')} trades/cpu-s; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
  );
  report(name, Math.round(rates[1]!), 'trades/s');
  report(`${name}-cpu`, Math.round(cpuRates[1]!), 'trades/cpu-s');
};

measure('analytics-throughput', LIVE);
measure('analytics-throughput-replay', REPLAY);
measure('analytics-throughput-drain1000', DRAIN1000);

/**
 * Checkpoint cost: after the whole tape at the runtime cadence (and a drain, as the runtime flushes before
 * it checkpoints), the snapshot's bytes and the median time of snapshot() and restore(). `keep` selects
 * the symbols of one partition: every 8th symbol stands for one of 8 partitions of the trades topic.
 */
const snapshotFigures = (name: string, keep: (symbolIndex: number) => boolean): void => {
  const m = new MarketAnalytics(config, universe);
  let maxT = 0;
  for (let i = 0; i < TRADES; i++) {
    if (keep(tSym[i]!)) {
      m.onTrade(tradeAt(i), tSym[i]!);
      if (tTime[i]! > maxT) maxT = tTime[i]!;
    }
    // by tape position, so a partition's watermark moves as often in event time as the whole book's
    if (i % REPLAY.wmEvery === REPLAY.wmEvery - 1) m.advanceWatermark((maxT - LATENESS_MS) as EventTimeMs);
  }
  m.drain({ candles: [], alerts: [] });
  const median = (f: () => void): number => {
    const ts: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      f();
      ts.push(performance.now() - t0);
    }
    return ts.sort((a, b) => a - b)[7]!;
  };
  let snap = m.snapshot();
  const snapMs = median(() => {
    snap = m.snapshot();
  });
  const restoreMs = median(() => {
    MarketAnalytics.restore(snap, config, universe);
  });
  console.log(`# ${name}: ${m.symbolsTraded} of ${universe.size} symbols traded`);
  report(`${name}-bytes`, snap.length, 'bytes');
  report(`${name}-snapshot`, snapMs, 'ms');
  report(`${name}-restore`, restoreMs, 'ms');
};

snapshotFigures('analytics-snapshot-all', () => true);
snapshotFigures('analytics-snapshot-1of8', (s) => s % 8 === 0);
