// Cross-checks against the technicalindicators package on random series, plus replace/snapshot laws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AverageGain, AverageLoss, BollingerBands, EMA, RSI, SMA } from 'technicalindicators';
import { Bollinger } from './bollinger.ts';
import { Ema } from './ema.ts';
import { IndicatorSet } from './indicator-set.ts';
import { RollingMoments } from './rolling-moments.ts';
import { Rsi } from './rsi.ts';
import { Sma } from './sma.ts';

const REL = 1e-9;
/** |a − b| ≤ 1e-9 × scale, where scale is the magnitude the quantity is measured against. */
const close = (a: number, b: number, scale: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= REL * Math.max(Math.abs(scale), 1e-300), `${what}: ${a} vs ${b}`);
};

// Price-like series: a random walk of positive prices, sometimes with flat stretches (zero changes
// exercise RSI's edge cases and zero variance).
const series = fc
  .record({
    start: fc.double({ min: 1, max: 5000, noNaN: true }),
    steps: fc.array(fc.oneof(fc.double({ min: -0.05, max: 0.05, noNaN: true }), fc.constant(0)), {
      minLength: 0,
      maxLength: 300,
    }),
  })
  .map(({ start, steps }) => {
    const out = [start];
    for (const s of steps) out.push(Math.max(0.01, out[out.length - 1]! * (1 + s)));
    return out;
  });
const period = fc.integer({ min: 1, max: 40 });

/** Feeds values and collects `value` after each add, dropping undefined (as technicalindicators does). */
const run = <V>(op: { add(x: number): void; value: V | undefined }, xs: number[]): V[] => {
  const out: V[] = [];
  for (const x of xs) {
    op.add(x);
    if (op.value !== undefined) out.push(op.value);
  }
  return out;
};

test('Sma matches technicalindicators SMA', () => {
  fc.assert(
    fc.property(series, period, (xs, p) => {
      const ours = run(new Sma(p), xs);
      const theirs = SMA.calculate({ period: p, values: xs });
      assert.equal(ours.length, theirs.length);
      ours.forEach((v, i) => {
        close(v, theirs[i]!, theirs[i]!, `sma[${i}]`);
      });
    }),
    { numRuns: 200 },
  );
});

test('Ema matches technicalindicators EMA (seeded with the SMA of the first period values)', () => {
  fc.assert(
    fc.property(series, period, (xs, p) => {
      const ours = run(new Ema(p), xs);
      const theirs = EMA.calculate({ period: p, values: xs });
      assert.equal(ours.length, theirs.length);
      ours.forEach((v, i) => {
        close(v, theirs[i]!, theirs[i]!, `ema[${i}]`);
      });
    }),
    { numRuns: 200 },
  );
});

test('Ema by hand: period 3 over 1..5', () => {
  // seed = (1+2+3)/3 = 2; k = 0.5; then 2 + (4-2)/2 = 3; 3 + (5-3)/2 = 4
  assert.deepEqual(run(new Ema(3), [1, 2, 3, 4, 5]), [2, 3, 4]);
});

test('Rsi matches Wilder averages of technicalindicators (and its 2-decimal RSI)', () => {
  fc.assert(
    fc.property(series, fc.integer({ min: 1, max: 30 }), (xs, p) => {
      const ours = run(new Rsi(p), xs);
      const gains = AverageGain.calculate({ period: p, values: xs });
      const losses = AverageLoss.calculate({ period: p, values: xs });
      const rounded = RSI.calculate({ period: p, values: xs });
      assert.equal(ours.length, gains.length);
      assert.equal(ours.length, rounded.length);
      ours.forEach((v, i) => {
        const g = gains[i]!;
        const l = losses[i]!;
        const expected = l === 0 ? 100 : g === 0 ? 0 : 100 - 100 / (1 + g / l);
        close(v, expected, 100, `rsi[${i}]`);
        // The library rounds to 2 decimals; ours is unrounded.
        assert.ok(Math.abs(v - rounded[i]!) <= 0.005 + 1e-9, `rsi[${i}] ${v} vs rounded ${rounded[i]}`);
      });
    }),
    { numRuns: 200 },
  );
});

test('Rsi by hand: period 2', () => {
  // changes +1, +1 → avgGain 1, avgLoss 0 → 100; then −2: gain (1·1+0)/2 = .5, loss (0+2)/2 = 1 → 100 − 100/1.5
  const r = run(new Rsi(2), [10, 11, 12, 10]);
  assert.equal(r.length, 2);
  assert.equal(r[0], 100);
  close(r[1]!, 100 - 100 / 1.5, 100, 'rsi');
});

test('Bollinger matches technicalindicators BollingerBands (population standard deviation)', () => {
  fc.assert(
    fc.property(
      series,
      fc.integer({ min: 1, max: 40 }),
      fc.double({ min: 0.5, max: 3, noNaN: true }),
      (xs, p, k) => {
        const ours = run(new Bollinger(p, k), xs);
        const theirs = BollingerBands.calculate({ period: p, stdDev: k, values: xs });
        assert.equal(ours.length, theirs.length);
        ours.forEach((v, i) => {
          const t = theirs[i]!;
          close(v.middle, t.middle, t.middle, `middle[${i}]`);
          close(v.upper, t.upper, t.middle, `upper[${i}]`);
          close(v.lower, t.lower, t.middle, `lower[${i}]`);
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('Bollinger by hand: period 4 over 2,4,4,4,5,5,7,9 (σ = 2 for the whole set)', () => {
  const b = new Bollinger(8, 2);
  for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) b.add(x);
  assert.deepEqual(b.value, { upper: 9, middle: 5, lower: 1 });
});

test('RollingMoments stays exact over long series of large, close values (no drift)', () => {
  const m = new RollingMoments(7);
  const xs: number[] = [];
  let x = 1e6;
  for (let i = 0; i < 100_000; i++) {
    x += Math.sin(i) * 0.001;
    xs.push(x);
    m.add(x);
  }
  const w = xs.slice(-7);
  const mean = w.reduce((a, b) => a + b, 0) / 7;
  const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / 7;
  close(m.mean, mean, mean, 'mean');
  assert.ok(Math.abs(m.variance - variance) <= 1e-9 * variance, `${m.variance} vs ${variance}`);
});

/** Numbers, or objects of numbers, equal within 1e-9 relative to `scale`. */
const deepClose = (a: unknown, b: unknown, scale: number, what: string): void => {
  if (typeof a === 'number' && typeof b === 'number') {
    close(a, b, scale, what);
    return;
  }
  if (a === undefined || b === undefined) {
    assert.equal(a, b, what);
    return;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  assert.deepEqual(Object.keys(ao).sort(), Object.keys(bo).sort(), what);
  for (const k of Object.keys(ao)) deepClose(ao[k], bo[k], scale, `${what}.${k}`);
};

// replace(x) after add(y) must equal add(x), for every operator, at every point of the series (exactly
// for Ema/Rsi, which roll back; within float tolerance for the running sums of Sma/Bollinger).
const makers = {
  sma: (p: number) => new Sma(p),
  ema: (p: number) => new Ema(p),
  rsi: (p: number) => new Rsi(p),
  bollinger: (p: number) => new Bollinger(p, 2),
};
for (const [name, make] of Object.entries(makers)) {
  test(`${name}: add(y) then replace(x) ≡ add(x); snapshot/restore continues identically`, () => {
    fc.assert(
      fc.property(
        series,
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.double({ min: 1, max: 100, noNaN: true })),
        (xs, p, ys) => {
          const a = make(p);
          const b = make(p);
          xs.forEach((x, i) => {
            a.add(x);
            b.add(ys[i % Math.max(1, ys.length)] ?? x * 2);
            b.replace(ys[(i + 1) % Math.max(1, ys.length)] ?? x * 3);
            b.replace(x);
            deepClose(b.value, a.value, name === 'rsi' ? 100 : x, `${name}[${i}]`);
          });
          const c = make(p);
          c.restore(a.snapshot());
          for (const x of ys) {
            a.add(x);
            c.add(x);
            assert.deepEqual(c.value, a.value); // same state, same operations: bit-identical
          }
        },
      ),
      { numRuns: 100 },
    );
  });
}

test('replace on an empty operator behaves as add', () => {
  const s = new Sma(1);
  s.replace(3);
  assert.equal(s.value, 3);
  const e = new Ema(1);
  e.replace(4);
  assert.equal(e.value, 4);
});

test('IndicatorSet: copyFrom and read/write state', () => {
  const params = { smaPeriods: [2, 3], emaPeriods: [2], rsiPeriod: 2, bollinger: { period: 3, k: 2 } };
  const a = new IndicatorSet(params);
  assert.deepEqual(a.values(), {});
  for (const x of [1, 2, 3, 2]) a.add(x);
  const v = a.values();
  assert.deepEqual(v.sma, { 2: 2.5, 3: 7 / 3 });
  assert.ok(v.ema !== undefined && v.rsi !== undefined && v.bollinger !== undefined);
  const b = new IndicatorSet(params);
  b.copyFrom(a);
  assert.deepEqual(b.values(), v);
  const buf = new Float64Array(a.stateLength + 3);
  a.writeState(buf, 3);
  const c = new IndicatorSet(params);
  c.readState(buf, 3);
  c.add(5);
  a.add(5);
  assert.deepEqual(c.values(), a.values());
});

test('IndicatorSet values while warming up: exactly the warm operators, from values(), valuesAfter and the raw log', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 4 }),
      fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { maxLength: 15 }),
      fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { maxLength: 3 }),
      (smaPeriods, emaPeriods, closes, forming) => {
        const set = new IndicatorSet({
          smaPeriods,
          emaPeriods,
          rsiPeriod: 3,
          bollinger: { period: 4, k: 2 },
        });
        // independent: each operator alone, fed the same closes
        const smas = smaPeriods.map((p) => new Sma(p));
        const emas = emaPeriods.map((p) => new Ema(p));
        for (const x of closes) {
          set.add(x);
          for (const o of [...smas, ...emas]) o.add(x);
        }
        const expectGroup = (ops: (Sma | Ema)[], after: number[]) => {
          const entries = ops.flatMap((o) => {
            const v = after.length === 0 ? o.value : o.valueAfter(after, after.length);
            return v === undefined ? [] : [[o.period, v] as const];
          });
          return entries.length === 0 ? undefined : Object.fromEntries(entries);
        };
        const v = set.values();
        assert.deepEqual(v.sma, expectGroup(smas, []));
        assert.deepEqual(v.ema, expectGroup(emas, []));
        const after = set.valuesAfter(forming, forming.length);
        assert.deepEqual(after.sma, expectGroup(smas, forming));
        assert.deepEqual(after.ema, expectGroup(emas, forming));
        const raw = new Float64Array(set.rawLength + 2);
        set.writeRaw(raw, 2);
        assert.deepEqual(set.valuesFromRaw(raw, 2), v);
      },
    ),
    { numRuns: 300 },
  );
});
