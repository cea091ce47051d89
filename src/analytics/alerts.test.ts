import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Alert, AlertRule } from '../domain/types.ts';
import { PriceAlerts } from './alerts.ts';

const DAY = 86_400_000;
const D0 = 20_000 * DAY; // some UTC midnight
const params = { movePct: 5, moveWindowMs: 300_000, hysteresisPct: 0.5 };

/** Feeds [price, time] pairs for symbol 0 and returns the alerts, with seq = index. */
const feed = (a: PriceAlerts, pts: [number, number][], seq0 = 0): Alert[] => {
  const out: Alert[] = [];
  pts.forEach(([p, t], i) => {
    a.onTrade(0, p, t, seq0 + i, out);
  });
  return out;
};
const kinds = (xs: Alert[]): string[] => xs.map((x) => `${x.kind}:${x.value > 0 ? 'up' : 'down'}@${x.time}`);

test('move vs previous close: reference is the first price, then the previous UTC day close; hysteresis', () => {
  // a 5 h window so the in-window condition stays quiet only when intended: use a tiny window instead
  const a = new PriceAlerts(['AAA'], { ...params, moveWindowMs: 1 });
  // day 0: first price 100, +4.9% stays quiet; close of the day 90 (by time, not arrival)
  let out = feed(a, [
    [100, D0 + 1000],
    [104.9, D0 + 2000],
    [90, D0 + 5000],
  ]);
  assert.deepEqual(kinds(out), ['move_vs_prev_close:down@' + (D0 + 5000)], '90 vs first price 100 is −10%');
  // day 1: reference = 90 (day 0's last trade). 94.5 = +5% → fires once
  out = feed(
    a,
    [
      [94.5, D0 + DAY + 10],
      [95, D0 + DAY + 20], // still above: silent
      [94.48, D0 + DAY + 30], // 4.978% ≥ 5 − 0.025: not re-armed
      [94.5, D0 + DAY + 40], // silent
      [94.47, D0 + DAY + 50], // 4.967% < 4.975%: re-armed
      [94.5, D0 + DAY + 60], // fires again
    ],
    10,
  );
  assert.deepEqual(
    out.map((x) => [x.kind, x.time, x.threshold, Math.round(x.value * 1e6) / 1e6, x.id]),
    [
      ['move_vs_prev_close', D0 + DAY + 10, 5, 5, `AAA|move_vs_prev_close|up|${D0 + DAY + 10}|10`],
      ['move_vs_prev_close', D0 + DAY + 60, 5, 5, `AAA|move_vs_prev_close|up|${D0 + DAY + 60}|15`],
    ],
  );
});

test('move within the rolling window: rise vs the window low, drop vs the high, old extremes leave', () => {
  const a = new PriceAlerts(['AAA'], { ...params, moveWindowMs: 60_000 });
  const t = D0;
  const out = feed(a, [
    [100, t],
    [102, t + 10_000],
    [104.99, t + 20_000], // +4.99% vs low 100: quiet
    [105, t + 30_000], // +5%: rise fires
    [106, t + 61_000], // low 100 (t) left the window; low is now 102 → +3.9%: quiet, re-arms
    [107.2, t + 62_000], // vs 102: +5.1% → fires again
    [101.8, t + 63_000], // vs high 107.2: −5.04% → drop fires
  ]);
  assert.deepEqual(
    out
      .filter((x) => x.kind === 'move_in_window')
      .map((x) => [x.time, x.value > 0 ? 'up' : 'down', x.threshold]),
    [
      [t + 30_000, 'up', 5],
      [t + 62_000, 'up', 5],
      [t + 63_000, 'down', -5],
    ],
  );
});

test('window extremes match a brute-force scan (monotonic deques)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ dt: fc.integer({ min: 0, max: 90_000 }), p: fc.integer({ min: 90, max: 110 }) }), {
        minLength: 1,
        maxLength: 200,
      }),
      (steps) => {
        const W = 300_000;
        const a = new PriceAlerts(['AAA'], { movePct: 5, moveWindowMs: W, hysteresisPct: 0 });
        let t = D0;
        const seen: [number, number][] = [];
        steps.forEach(({ dt, p }, i) => {
          t += dt;
          seen.push([t, p]);
          const out: Alert[] = [];
          a.onTrade(0, p, t, i, out);
          const inWin = seen.filter(([ts]) => ts >= t - W).map(([, x]) => x);
          const rise = ((p - Math.min(...inWin)) / Math.min(...inWin)) * 100;
          const w = out.find((x) => x.kind === 'move_in_window' && x.value > 0);
          if (w !== undefined) assert.ok(Math.abs(w.value - rise) < 1e-9, `${w.value} vs ${rise}`);
          if (rise < 5) assert.equal(w, undefined);
        });
      },
    ),
    { numRuns: 100 },
  );
});

test('user rules: price_above / price_below / pct_move fire once per crossing, re-arm past the margin', () => {
  const a = new PriceAlerts(['AAA', 'BBB'], { ...params, moveWindowMs: 1, movePct: 50 });
  const rules: AlertRule[] = [
    { id: 'r1', user: 7, symbol: 'AAA', kind: 'price_above', threshold: 200 },
    { id: 'r2', user: 8, symbol: 'AAA', kind: 'price_below', threshold: 100 },
    { id: 'r3', user: 9, symbol: 'AAA', kind: 'pct_move', threshold: 10 },
    { id: 'r4', user: 9, symbol: 'ZZZ', kind: 'price_above', threshold: 1 },
  ];
  const idx = (s: string): number => ['AAA', 'BBB'].indexOf(s);
  assert.deepEqual(a.setRules(rules, idx), { applied: 3, rejected: ['r4'] });
  const out = feed(a, [
    [150, D0], // reference for pct_move: first price 150
    [200, D0 + 1], // r1 fires
    [201, D0 + 2],
    [199.5, D0 + 3], // margin 1: not re-armed
    [200, D0 + 4],
    [198.9, D0 + 5], // re-armed
    [200.5, D0 + 6], // r1 fires; also +33.7% → r3 fires (≥ 10%)
    [100, D0 + 7], // r2 fires; −33% → r3 still not re-armed (|pct| stays ≥ 9.95)
    [100.4, D0 + 8], // 100 + 0.5 margin: not re-armed
    [100.6, D0 + 9], // re-armed
    [99, D0 + 10], // r2 fires
  ]);
  const rows = out.filter((x) => x.user !== undefined).map((x) => [x.id.split('|')[2], x.time - D0, x.kind]);
  assert.deepEqual(rows, [
    ['u7/r1', 1, 'price_above'],
    ['u9/r3', 1, 'pct_move'],
    ['u7/r1', 6, 'price_above'],
    ['u8/r2', 7, 'price_below'],
    ['u8/r2', 10, 'price_below'],
  ]);
  // unchanged rules keep their state across setRules: r1 is disarmed (price 99 < 199 → armed again).
  a.setRules(rules, idx);
  const again = feed(a, [[200, D0 + 11]], 100);
  assert.deepEqual(
    again.filter((x) => x.user !== undefined).map((x) => x.id),
    [`AAA|price_above|u7/r1|${D0 + 11}|100`],
  );
});

test('hysteresis property: between two firings of price_above the price went below threshold − margin', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 180, max: 220 }), { maxLength: 200 }), (prices) => {
      const a = new PriceAlerts(['AAA'], { ...params, moveWindowMs: 1, movePct: 1000 });
      a.setRules([{ id: 'r', user: 1, symbol: 'AAA', kind: 'price_above', threshold: 200 }], () => 0);
      const out = feed(
        a,
        prices.map((p, i) => [p, D0 + i]),
      );
      const fired = out.filter((x) => x.kind === 'price_above').map((x) => x.time - D0);
      // independent expectation: fire at i when p ≥ 200 and (first such or some p < 199 since last fire)
      const expected: number[] = [];
      let armed = true;
      prices.forEach((p, i) => {
        if (armed && p >= 200) {
          expected.push(i);
          armed = false;
        } else if (!armed && p < 199) armed = true;
      });
      assert.deepEqual(fired, expected);
    }),
    { numRuns: 100 },
  );
});

test('replaying the same trades gives the same alert ids', () => {
  const run = (): string[] => {
    const a = new PriceAlerts(['AAA'], params);
    return feed(a, [
      [100, D0],
      [106, D0 + 1000],
      [99, D0 + 2000],
      [110, D0 + DAY],
    ]).map((x) => x.id);
  };
  const ids = run();
  assert.ok(ids.length >= 3);
  assert.deepEqual(run(), ids);
  assert.equal(new Set(ids).size, ids.length);
});
