import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert, Candle, DurationMs, EventTimeMs, Price, Quantity } from '../domain/types.ts';
import { AnomalyDetector } from './anomalies.ts';

const bar = (i: number, close: number, volume: number): Candle => ({
  symbol: 'AAA',
  intervalMs: 60_000 as DurationMs,
  start: (i * 60_000) as EventTimeMs,
  open: close as Price,
  high: close as Price,
  low: close as Price,
  close: close as Price,
  volume: volume as Quantity,
  vwap: close as Price,
  trades: 1,
  final: true,
  indicators: {},
});

test('volume z-score over the previous N bars (population σ), alert at |z| ≥ threshold', () => {
  const d = new AnomalyDetector(['AAA'], { intervalMs: 60_000, window: 4, z: 3 });
  const out: Alert[] = [];
  // volumes 100, 110, 100, 110: mean 105, σ 5. Closes constant: returns 0, σ 0 → never scored.
  [100, 110, 100, 110].forEach((v, i) => {
    d.onBar(0, bar(i, 50, v), out);
  });
  assert.equal(out.length, 0, 'warming up');
  d.onBar(0, bar(4, 50, 119), out); // z = 2.8: quiet
  assert.equal(out.length, 0);
  // window now 110, 100, 110, 119: mean 109.75, σ² = (0.0625 + 95.0625 + 0.0625 + 85.5625) / 4 = 45.1875
  const mean = 109.75;
  const sd = Math.sqrt(45.1875);
  d.onBar(0, bar(5, 50, mean - 3.5 * sd), out);
  assert.equal(out.length, 1);
  const a = out[0]!;
  assert.equal(a.kind, 'volume_zscore');
  assert.ok(Math.abs(a.value - -3.5) < 1e-9, String(a.value));
  assert.equal(a.threshold, -3);
  assert.equal(a.time, 5 * 60_000);
  assert.equal(a.id, `AAA|volume_zscore|60000|${5 * 60_000}|-`);
});

test('return z-score: returns of final closes; no score while the history is flat', () => {
  const d = new AnomalyDetector(['AAA'], { intervalMs: 60_000, window: 3, z: 3 });
  const out: Alert[] = [];
  // closes 100, 101, 100, 101, 100: returns +1%, −0.99%, +1%, −0.99%
  const closes = [100, 101, 100, 101, 100];
  closes.forEach((c, i) => {
    d.onBar(0, bar(i, c, 10), out);
  });
  assert.equal(out.length, 0);
  const rets = [0.01, 100 / 101 - 1, 0.01, 100 / 101 - 1].slice(-3);
  const m = rets.reduce((x, y) => x + y, 0) / 3;
  const sd = Math.sqrt(rets.reduce((x, y) => x + (y - m) ** 2, 0) / 3);
  const next = 100 * (1 + m + 4 * sd);
  d.onBar(0, bar(5, next, 10), out);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.kind, 'return_zscore');
  assert.ok(Math.abs(out[0]!.value - 4) < 1e-6, String(out[0]!.value));
});
