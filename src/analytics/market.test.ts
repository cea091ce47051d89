import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isTickstreamError } from '../domain/errors.ts';
import type { AlertRule, EventTimeMs } from '../domain/types.ts';
import { resolveAnalyticsConfig } from './config.ts';
import { MarketAnalytics } from './market.ts';
import { newOut, trade, universeOf } from './test-helpers.ts';

const U = universeOf('AAA', 'BBB', 'CCC');
const CFG = resolveAnalyticsConfig({
  intervalsMs: [1000, 10_000, 60_000],
  smaPeriods: [2, 5],
  emaPeriods: [3],
  rsiPeriod: 3,
  bollinger: { period: 4, k: 2 },
  movePct: 2,
  moveWindowMs: 20_000,
  anomaly: { intervalMs: 1000, window: 3, z: 1.5 },
  openBucketsPerSeries: 2,
});
const RULES: AlertRule[] = [
  { id: 'a', user: 1, symbol: 'AAA', kind: 'price_above', threshold: 101 },
  { id: 'b', user: 2, symbol: 'BBB', kind: 'pct_move', threshold: 1 },
];

type Step =
  | { op: 'trade'; s: number; p: number; size: number; dt: number; delay: number }
  | { op: 'drain' }
  | { op: 'rules' };

const steps = fc.array(
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('trade' as const),
        s: fc.integer({ min: 0, max: 2 }),
        p: fc.integer({ min: -300, max: 300 }),
        size: fc.integer({ min: 1, max: 50 }),
        dt: fc.integer({ min: 0, max: 3000 }),
        delay: fc.integer({ min: 0, max: 2500 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ op: 'drain' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'rules' as const }) },
  ),
  { minLength: 1, maxLength: 150 },
);

/** Runs the steps, optionally snapshotting and restoring before step `cut`; returns every drained output. */
const run = (xs: Step[], cut: number | undefined): string => {
  let m = new MarketAnalytics(CFG, U);
  const outs: unknown[] = [];
  let t = 1_700_000_000_000;
  let maxSeen = 0;
  const lateness = 3000;
  const px = [100, 100, 100];
  xs.forEach((x, i) => {
    if (i === cut) m = MarketAnalytics.restore(m.snapshot(), CFG, U);
    if (x.op === 'drain') {
      const out = newOut();
      m.drain(out);
      outs.push(out);
    } else if (x.op === 'rules') m.setRules(RULES);
    else {
      t += x.dt;
      px[x.s] = Math.max(1, px[x.s]! * (1 + x.p / 10_000));
      const time = Math.max(t - x.delay, maxSeen - lateness); // never late
      m.onTrade(trade(`${'ABC'[x.s]!.repeat(3)}`, px[x.s]!, x.size, time, i));
      maxSeen = Math.max(maxSeen, time);
      m.advanceWatermark((maxSeen - lateness) as EventTimeMs);
    }
  });
  if (cut === xs.length) m = MarketAnalytics.restore(m.snapshot(), CFG, U);
  m.advanceWatermark(Number.POSITIVE_INFINITY as EventTimeMs);
  const out = newOut();
  m.drain(out);
  outs.push(out);
  return JSON.stringify(outs);
};

test('snapshot → restore → continue gives exactly the outputs of never stopping', () => {
  fc.assert(
    fc.property(
      steps.chain((xs) => fc.tuple(fc.constant(xs), fc.integer({ min: 0, max: xs.length }))),
      ([xs, cut]) => {
        const plain = run(xs, undefined);
        assert.equal(run(xs, cut), plain);
      },
    ),
    { numRuns: 120 },
  );
});

test('the equivalence test can see a difference (restore is not a no-op)', () => {
  const m = new MarketAnalytics(CFG, U);
  m.onTrade(trade('AAA', 100, 1, 1000, 1));
  const fresh = MarketAnalytics.restore(new MarketAnalytics(CFG, U).snapshot(), CFG, U);
  const restored = MarketAnalytics.restore(m.snapshot(), CFG, U);
  const a = newOut();
  const b = newOut();
  fresh.drain(a);
  restored.drain(b);
  assert.equal(a.candles.length, 0);
  assert.equal(b.candles.length, 3);
});

test('restore refuses another universe, another layout, and damaged bytes with CHECKPOINT_CORRUPT', () => {
  const m = new MarketAnalytics(CFG, U);
  m.onTrade(trade('AAA', 100, 1, 1000, 1));
  const snap = m.snapshot();
  const corrupt = (e: unknown): boolean => isTickstreamError(e, 'CHECKPOINT_CORRUPT');
  assert.throws(() => MarketAnalytics.restore(snap, CFG, universeOf('AAA', 'BBB')), corrupt);
  assert.throws(() => MarketAnalytics.restore(snap, { ...CFG, smaPeriods: [3] }, U), corrupt);
  assert.throws(() => MarketAnalytics.restore(snap.subarray(0, snap.length - 3), CFG, U), corrupt);
  assert.throws(() => MarketAnalytics.restore(new Uint8Array(10), CFG, U), corrupt);
  // thresholds may change across a restart
  assert.ok(MarketAnalytics.restore(snap, { ...CFG, movePct: 3 }, U) instanceof MarketAnalytics);
});

test('unknown symbols are refused without touching state', () => {
  const m = new MarketAnalytics(CFG, U);
  assert.equal(m.onTrade(trade('NOPE', 1, 1, 1, 1)), false);
  const out = newOut();
  m.drain(out);
  assert.deepEqual(out, newOut());
});
