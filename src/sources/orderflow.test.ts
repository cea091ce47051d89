import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Fill } from '../domain/types.ts';
import { type SymbolInfo, Universe } from '../domain/universe.ts';
import { validateFill } from '../domain/validate.ts';
import { FillGenerator, MAX_USERS, simulateFills } from './orderflow.ts';
import { DETERMINISTIC_START_MS } from './simulator.ts';

const universe = Universe.default();
const START = DETERMINISTIC_START_MS;
const gen = (seed: number, users = 1_000_000) =>
  new FillGenerator({ universe, seed, users, startTime: START });
const take = (g: FillGenerator, n: number): Fill[] => Array.from({ length: n }, () => g.next());

test('same seed gives identical fills; another seed differs', () => {
  assert.deepEqual(take(gen(1), 1000), take(gen(1), 1000));
  assert.notDeepEqual(take(gen(1), 1000), take(gen(2), 1000));
});

test('a user trades a stable subset of 1..500 distinct symbols', () => {
  const a = gen(5, MAX_USERS);
  const b = gen(5, MAX_USERS);
  const sizes: number[] = [];
  for (const user of [0, 1, 2, 12_345, 9_999_999, ...Array.from({ length: 300 }, (_, i) => i * 33_331)]) {
    const s = a.userSymbols(user);
    sizes.push(s.length);
    assert.ok(s.length >= 1 && s.length <= 500);
    assert.equal(new Set(s).size, s.length, 'distinct');
    for (const i of s) assert.ok(Number.isInteger(i) && i >= 0 && i < universe.size);
    assert.deepEqual(b.userSymbols(user), s, 'same subset from a fresh generator');
  }
  assert.ok(Math.min(...sizes) < 20 && Math.max(...sizes) > 300, 'sizes spread over the range');
  assert.notDeepEqual(gen(6).userSymbols(12_345), a.userSymbols(12_345), 'the seed changes subsets');
});

test('subsets are distinct and in range for any seed and user (property)', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 0, max: MAX_USERS - 1 }), (seed, user) => {
      const s = new FillGenerator({ universe, seed, users: MAX_USERS, startTime: START }).userSymbols(user);
      return (
        s.length >= 1 &&
        s.length <= 500 &&
        new Set(s).size === s.length &&
        s.every((i) => i >= 0 && i < universe.size)
      );
    }),
    { numRuns: 200 },
  );
});

test('on a small universe a user holding all symbols gets a permutation of all of them', () => {
  const infos: SymbolInfo[] = Array.from({ length: 10 }, (_, i) => ({
    symbol: `S${i}`,
    sector: 'X',
    basePrice: 10,
    volatility: 0.01,
  }));
  const g = new FillGenerator({ universe: new Universe(infos), seed: 1, users: 1000, startTime: START });
  let full = 0;
  for (let u = 0; u < 1000; u++) {
    const s = g.userSymbols(u);
    assert.ok(s.length >= 1 && s.length <= 10);
    if (s.length === 10) {
      full++;
      assert.deepEqual(
        [...s].sort((x, y) => x - y),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
    }
  }
  assert.ok(full > 0);
});

test('fills are valid, ids unique, symbols from the user subset, prices near the market', () => {
  const market = (i: number): number => 50 + i; // a price lookup the test knows
  const g = new FillGenerator({ universe, seed: 9, users: 10_000, startTime: START, priceOf: market });
  const ids = new Set<string>();
  let buys = 0;
  let prev = START;
  let n = 0;
  for (const f of take(g, 20_000)) {
    const v = validateFill(f, universe);
    assert.ok(v.ok, v.ok ? '' : v.detail);
    ids.add(f.fillId);
    assert.ok(f.user >= 0 && f.user < 10_000 && Number.isInteger(f.quantity));
    const i = universe.index(f.symbol);
    if (n++ < 3000) assert.ok(g.userSymbols(f.user).includes(i), 'symbol belongs to the user');
    // Within 2 bp of the mid plus half a cent of rounding, on the right side of it.
    const mid = market(i);
    if (f.side === 'buy') assert.ok(f.price >= mid - 0.005 && f.price <= mid * 1.0002 + 0.005);
    else assert.ok(f.price <= mid + 0.005 && f.price >= mid * 0.9998 - 0.005);
    if (f.side === 'buy') buys++;
    assert.ok(f.time >= prev);
    prev = f.time;
  }
  assert.equal(ids.size, 20_000);
  // Warm-up = 10,000 fills: P(buy) falls linearly from 0.72 to 0.52, then stays: expected 0.57 overall.
  assert.ok(buys / 20_000 > 0.54 && buys / 20_000 < 0.6, String(buys / 20_000));
});

test('buys dominate early, the bias fades after the warm-up', () => {
  const g = new FillGenerator({ universe, seed: 3, users: 1000, startTime: START, warmupFills: 10_000 });
  const share = (fs: Fill[]): number => fs.filter((f) => f.side === 'buy').length / fs.length;
  const early = share(take(g, 2000)); // P(buy) 0.72 → 0.68
  take(g, 10_000);
  const late = share(take(g, 5000)); // 0.52
  assert.ok(early > 0.65, String(early));
  assert.ok(late > 0.48 && late < 0.56, String(late));
});

test('simulateFills equals the generator and respects the limit', async () => {
  const all: Fill[] = [];
  for await (const b of simulateFills({
    universe,
    seed: 4,
    users: 500,
    startTime: START,
    rate: 'max',
    limit: 1500,
    batchSize: 400,
  })) {
    assert.ok(b.length <= 400);
    all.push(...b);
  }
  assert.deepEqual(all, take(new FillGenerator({ universe, seed: 4, users: 500, startTime: START }), 1500));
});

test('user counts outside 1..10,000,000 are refused', () => {
  assert.throws(() => gen(1, 0), RangeError);
  assert.throws(() => gen(1, MAX_USERS + 1), RangeError);
});
