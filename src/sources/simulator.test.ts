import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Trade } from '../domain/types.ts';
import { type SymbolInfo, Universe } from '../domain/universe.ts';
import { validateTrade } from '../domain/validate.ts';
import { ManualClock } from './pacing.ts';
import { DETERMINISTIC_START_MS, simulateTrades, TRADING_DAY_MS, TradeGenerator } from './simulator.ts';

const universe = Universe.default();
const START = DETERMINISTIC_START_MS;
const take = (g: TradeGenerator, n: number): Trade[] => Array.from({ length: n }, () => g.next());

test('same seed and start give identical trades; another seed differs', () => {
  const a = take(new TradeGenerator({ universe, seed: 11, startTime: START }), 2000);
  const b = take(new TradeGenerator({ universe, seed: 11, startTime: START }), 2000);
  const c = take(new TradeGenerator({ universe, seed: 12, startTime: START }), 2000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a[0]?.time, START);
});

test('every trade is valid, per-symbol times never go back and seq counts 1, 2, 3 …', () => {
  const g = new TradeGenerator({ universe, seed: 3, startTime: START });
  const last = new Map<string, { time: number; seq: number }>();
  let prevTime = START;
  let roundLots = 0;
  let oddLots = 0;
  const n = 50_000;
  for (const t of take(g, n)) {
    const v = validateTrade(t, universe);
    assert.ok(v.ok, v.ok ? '' : v.detail);
    assert.ok(t.time >= prevTime, 'event time is non-decreasing overall');
    prevTime = t.time;
    const p = last.get(t.symbol);
    assert.ok(p === undefined || t.time >= p.time);
    assert.equal(t.seq, (p?.seq ?? 0) + 1);
    last.set(t.symbol, { time: t.time, seq: t.seq });
    assert.equal(Math.round(t.price * 100), Math.round(t.price * 100 + 1e-9), 'cent prices');
    if (t.size % 100 === 0) roundLots++;
    if (t.size < 100) {
      oddLots++;
      assert.deepEqual(t.conditions, ['I']);
    }
  }
  assert.ok(roundLots / n > 0.65 && roundLots / n < 0.8, `round lots ${roundLots / n}`);
  assert.ok(oddLots / n > 0.2 && oddLots / n < 0.3, `odd lots ${oddLots / n}`);
  // 1000 trades per event second by default: 50,000 trades span about 50 s.
  assert.ok(prevTime - START > 45_000 && prevTime - START < 55_000, String(prevTime - START));
});

test('activity is skewed: sector leaders trade far more than the tail', () => {
  const g = new TradeGenerator({ universe, seed: 5, startTime: START });
  const counts = new Map<string, number>();
  for (const t of take(g, 100_000)) counts.set(t.symbol, (counts.get(t.symbol) ?? 0) + 1);
  const aapl = counts.get('AAPL') ?? 0;
  const tail = counts.get('APP') ?? 0; // last IT name in the table
  assert.ok(aapl > 10 * Math.max(1, tail), `AAPL ${aapl}, APP ${tail}`);
});

test('log prices walk without drift and their spread scales with volatility', () => {
  // 400 symbols, one per sector so all are equally active; half at 1% daily vol, half at 3%.
  const infos: SymbolInfo[] = [];
  for (let i = 0; i < 400; i++) {
    infos.push({ symbol: `S${i}`, sector: `X${i}`, basePrice: 100, volatility: i < 200 ? 0.01 : 0.03 });
  }
  const u = new Universe(infos);
  // 5 trades per event second: 100,000 trades span ~20,000 s, most of a trading day.
  const g = new TradeGenerator({ universe: u, seed: 99, startTime: START, nominalRate: 5 });
  const lastPrice = new Float64Array(400);
  const lastTime = new Float64Array(400);
  for (const t of take(g, 100_000)) {
    const i = u.index(t.symbol);
    lastPrice[i] = t.price;
    lastTime[i] = t.time;
  }
  const z = (lo: number, hi: number, vol: number): number[] => {
    const out: number[] = [];
    for (let i = lo; i < hi; i++) {
      const days = ((lastTime[i] as number) - START) / TRADING_DAY_MS;
      out.push(Math.log((lastPrice[i] as number) / 100) / (vol * Math.sqrt(days)));
    }
    return out;
  };
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
  for (const zs of [z(0, 200, 0.01), z(200, 400, 0.03)]) {
    // Each normalised return is N(0, 1): with 200 of them the mean's s.e. is 0.07, the sd's 0.05.
    assert.ok(Math.abs(mean(zs)) < 0.3, `mean ${mean(zs)}`);
    assert.ok(sd(zs) > 0.8 && sd(zs) < 1.2, `sd ${sd(zs)}`);
  }
  const raw = (lo: number, hi: number): number[] =>
    Array.from({ length: hi - lo }, (_, k) => Math.log((lastPrice[lo + k] as number) / 100));
  const ratio = sd(raw(200, 400)) / sd(raw(0, 200));
  assert.ok(ratio > 2.4 && ratio < 3.7, `3x the volatility, ${ratio}x the spread`);
});

test('fill() recycles trade objects and yields the same stream as next()', () => {
  const a = new TradeGenerator({ universe, seed: 8, startTime: START });
  const b = new TradeGenerator({ universe, seed: 8, startTime: START });
  const buf = take(b, 100);
  const first = buf[0];
  const expected = take(a, 200).slice(100);
  b.fill(buf);
  assert.equal(buf[0], first, 'same object, overwritten');
  assert.deepEqual(buf, expected);
});

test("simulateTrades 'max' yields the generator's stream in batches up to the limit", async () => {
  const batches: Trade[][] = [];
  for await (const b of simulateTrades({
    universe,
    seed: 4,
    startTime: START,
    rate: 'max',
    limit: 2500,
    batchSize: 1000,
  })) {
    batches.push(b);
  }
  assert.deepEqual(
    batches.map((b) => b.length),
    [1000, 1000, 500],
  );
  assert.deepEqual(batches.flat(), take(new TradeGenerator({ universe, seed: 4, startTime: START }), 2500));
});

test('a paced stream emits each trade only once the wall clock has reached its event time', async () => {
  const clock = new ManualClock(1_000);
  let n = 0;
  for await (const batch of simulateTrades({
    universe,
    seed: 2,
    startTime: START,
    rate: 50,
    limit: 500,
    clock,
  })) {
    for (const t of batch) assert.ok(t.time - START <= clock.now() - 1_000, 'not before its time');
    n += batch.length;
  }
  assert.equal(n, 500);
  // 500 trades at 50/s take about 10 s of (manual) wall time.
  const elapsed = clock.now() - 1_000;
  assert.ok(elapsed > 7_000 && elapsed < 13_000, String(elapsed));
  assert.ok(clock.sleeps.length > 10);
});

test('an aborted stream stops', async () => {
  const ac = new AbortController();
  let n = 0;
  for await (const b of simulateTrades({
    universe,
    seed: 1,
    startTime: START,
    rate: 'max',
    signal: ac.signal,
  })) {
    n += b.length;
    if (n >= 3000) ac.abort();
  }
  assert.equal(n, 3000);
});
