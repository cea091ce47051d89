import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Candle, EventTimeMs } from '../domain/types.ts';
import { ByteReader, ByteWriter } from './bytes.ts';
import { CandleBook, spillBarOf } from './candles.ts';
import { resolveAnalyticsConfig } from './config.ts';
import { IndicatorSet } from './indicators/indicator-set.ts';
import { MarketAnalytics } from './market.ts';
import { key, newOut, trade, universeOf } from './test-helpers.ts';

const wm = (t: number): EventTimeMs => t as EventTimeMs;
const U = universeOf('AAA', 'BBB');

test('candles by hand: OHLCV, VWAP, count, open/close by (time, seq) not arrival, final at the watermark', () => {
  const m = new MarketAnalytics(resolveAnalyticsConfig({ intervalsMs: [1000, 60_000] }), U);
  // bucket [0, 1000) of AAA, arriving out of order
  m.onTrade(trade('AAA', 10, 5, 700, 3));
  m.onTrade(trade('AAA', 12, 1, 100, 2)); // earliest time: the open
  m.onTrade(trade('AAA', 9, 2, 700, 4)); // same time as seq 3, larger seq: the close
  m.onTrade(trade('AAA', 11, 2, 400, 1));
  m.onTrade(trade('AAA', 20, 1, 1500, 5)); // next bucket
  const out = newOut();
  m.drain(out);
  // nothing final yet: a provisional for every open bucket that changed since the last drain, oldest
  // first — bucket 0 too, though the forming bar has moved on (its last trades must not wait for final)
  assert.deepEqual(
    out.candles.map((c) => [c.intervalMs, c.start, c.final, c.trades]),
    [
      [1000, 0, false, 4],
      [1000, 1000, false, 1],
      [60_000, 0, false, 5],
    ],
  );
  m.advanceWatermark(wm(1000));
  const out2 = newOut();
  m.drain(out2);
  assert.equal(out2.candles.length, 1, 'only the final bar: the forming ones did not change');
  const c = out2.candles[0]!;
  assert.deepEqual(
    { ...c, indicators: undefined },
    {
      symbol: 'AAA',
      intervalMs: 1000,
      start: 0,
      open: 12,
      high: 12,
      low: 9,
      close: 9,
      volume: 10,
      vwap: (10 * 5 + 12 * 1 + 9 * 2 + 11 * 2) / 10,
      trades: 4,
      final: true,
      indicators: undefined,
    },
  );
  // a trade for the final bucket is refused and changes nothing
  assert.equal(m.onTrade(trade('AAA', 1, 1, 999, 6)), false);
  assert.equal(m.lateRejected, 1);
  m.advanceWatermark(wm(Number.POSITIVE_INFINITY));
  const out3 = newOut();
  m.drain(out3);
  assert.deepEqual(
    out3.candles.map((x) => [x.intervalMs, x.start, x.open, x.close, x.volume, x.trades, x.final]),
    [
      [1000, 1000, 20, 20, 1, 1, true],
      [60_000, 0, 12, 20, 11, 5, true],
    ],
  );
});

test('bars without trades are not emitted; a finalised forming bar gets no provisional after its final', () => {
  const m = new MarketAnalytics(resolveAnalyticsConfig({ intervalsMs: [1000] }), U);
  m.onTrade(trade('BBB', 5, 1, 500, 1));
  m.onTrade(trade('BBB', 6, 1, 5500, 2));
  m.advanceWatermark(wm(10_000));
  const out = newOut();
  m.drain(out);
  assert.deepEqual(
    out.candles.map((c) => [c.start, c.final]),
    [
      [0, true],
      [5000, true],
    ],
  );
});

test('CandleBook.add refuses a trade of a final bucket for any interval', () => {
  const b = new CandleBook(['X'], {
    intervalsMs: [1000, 60_000],
    openBucketsPerSeries: 2,
    indicators: resolveAnalyticsConfig(),
  });
  const out: Candle[] = [];
  assert.equal(b.add(0, 1, 1, 1500, 1), true);
  b.advanceWatermark(2500, out);
  assert.equal(b.add(0, 1, 1, 1999, 2), false, '[1000, 2000) is final');
  assert.equal(b.add(0, 1, 1, 2000, 3), true, '[2000, 3000) is open');
});

// ---- random trade sets ----
interface Gen {
  trades: { s: number; price: number; size: number; time: number; seq: number; delay: number }[];
  lateness: number;
}
const genTrades = (maxSymbols: number): fc.Arbitrary<Gen> =>
  fc
    .record({
      lateness: fc.integer({ min: 0, max: 5000 }),
      steps: fc.array(
        fc.record({
          s: fc.integer({ min: 0, max: maxSymbols - 1 }),
          dt: fc.integer({ min: 0, max: 700 }),
          price: fc.integer({ min: 1, max: 100_000 }),
          size: fc.integer({ min: 1, max: 1000 }),
          delay: fc.double({ min: 0, max: 0.999, noNaN: true }),
        }),
        { minLength: 1, maxLength: 300 },
      ),
    })
    .map(({ lateness, steps }) => {
      let time = 1_700_000_000_000;
      const trades = steps.map((x, seq) => {
        time += x.dt;
        return { s: x.s, price: x.price / 100, size: x.size, time, seq, delay: x.delay * lateness };
      });
      return { trades, lateness };
    });

const SYMS = universeOf('S0', 'S1', 'S2');
const INTERVALS = [1000, 5000, 60_000];

/** Feeds trades in arrival order (event time + delay < lateness), watermark = max seen − lateness. */
const runArrival = (g: Gen, shuffle: boolean, lanes = 4): { finals: Candle[]; all: Candle[] } => {
  const m = new MarketAnalytics(
    resolveAnalyticsConfig({ intervalsMs: INTERVALS, openBucketsPerSeries: lanes }),
    SYMS,
  );
  const order = [...g.trades];
  if (shuffle) order.sort((a, b) => a.time + a.delay - (b.time + b.delay) || a.seq - b.seq);
  const out = newOut();
  let maxSeen = Number.NEGATIVE_INFINITY;
  for (const t of order) {
    assert.equal(m.onTrade(trade(`S${t.s}`, t.price, t.size, t.time, t.seq)), true, 'no trade is late');
    maxSeen = Math.max(maxSeen, t.time);
    m.advanceWatermark(wm(maxSeen - g.lateness));
    if (t.seq % 7 === 0) m.drain(out);
  }
  m.advanceWatermark(wm(Number.POSITIVE_INFINITY));
  m.drain(out);
  return { finals: out.candles.filter((c) => c.final), all: out.candles };
};

test('invariants: Σ volume = Σ sizes, Σ count = trades, low ≤ open, close ≤ high, aligned starts', () => {
  fc.assert(
    fc.property(genTrades(3), (g) => {
      const { finals, all } = runArrival(g, true);
      const sizes = g.trades.reduce((a, t) => a + t.size, 0);
      for (const iv of INTERVALS) {
        const bars = finals.filter((c) => c.intervalMs === iv);
        assert.equal(
          bars.reduce((a, c) => a + c.volume, 0),
          sizes,
        );
        assert.equal(
          bars.reduce((a, c) => a + c.trades, 0),
          g.trades.length,
        );
        assert.equal(new Set(bars.map(key)).size, bars.length, 'each final bar once');
      }
      for (const c of all) {
        assert.ok(c.low <= c.open && c.open <= c.high && c.low <= c.close && c.close <= c.high, key(c));
        assert.ok(c.low <= c.vwap + 1e-9 && c.vwap <= c.high + 1e-9, `vwap ${key(c)}`);
        assert.equal(c.start % c.intervalMs, 0);
        assert.ok(c.trades > 0);
      }
      // each final bar against a direct computation from the trades
      for (const c of finals) {
        const ts = g.trades
          .filter(
            (t) => `S${t.s}` === c.symbol && Math.floor(t.time / c.intervalMs) * c.intervalMs === c.start,
          )
          .sort((a, b) => a.time - b.time || a.seq - b.seq);
        assert.equal(c.trades, ts.length);
        assert.equal(c.open, ts[0]!.price);
        assert.equal(c.close, ts[ts.length - 1]!.price);
        assert.equal(c.high, Math.max(...ts.map((t) => t.price)));
        assert.equal(c.low, Math.min(...ts.map((t) => t.price)));
        const pv = ts.reduce((a, t) => a + t.price * t.size, 0);
        assert.ok(Math.abs(c.vwap - pv / c.volume) <= 1e-9 * c.vwap);
      }
    }),
    { numRuns: 150 },
  );
});

const sameCandles = (a: Candle[], b: Candle[]): void => {
  const mb = new Map(b.map((c) => [key(c), c]));
  assert.equal(a.length, b.length);
  for (const c of a) {
    const d = mb.get(key(c));
    assert.ok(d !== undefined, `missing ${key(c)}`);
    // integers and chosen prices are exact; the VWAP is a float sum whose order changed
    assert.deepEqual({ ...c, vwap: 0 }, { ...d, vwap: 0 });
    assert.ok(Math.abs(c.vwap - d.vwap) <= 1e-12 * c.vwap, `vwap ${key(c)}`);
  }
};

test('shuffling arrival within the allowed lateness gives the same final candles and indicators', () => {
  fc.assert(
    fc.property(genTrades(3), (g) => {
      sameCandles(runArrival(g, true).finals, runArrival(g, false).finals);
    }),
    { numRuns: 150 },
  );
});

test('more open buckets than lanes (spill path) gives the same candles as roomy lanes', () => {
  fc.assert(
    fc.property(genTrades(2), (g) => {
      // same arrival order, so even the float sums and the output order must be identical
      assert.deepEqual(runArrival(g, true, 1).all, runArrival(g, true, 16).all);
    }),
    { numRuns: 100 },
  );
});

test('a provisional candle carries the indicators as if it closed now (older open buckets included)', () => {
  const cfg = resolveAnalyticsConfig({
    intervalsMs: [1000],
    smaPeriods: [2, 3],
    emaPeriods: [2],
    rsiPeriod: 2,
    bollinger: { period: 3, k: 2 },
  });
  const m = new MarketAnalytics(cfg, U);
  const closes = [10, 11, 9, 12];
  closes.forEach((p, i) => {
    m.onTrade(trade('AAA', p, 1, i * 1000 + 10, i));
  });
  m.advanceWatermark(wm(2000)); // buckets 0 and 1000 final; 2000 and 3000 still open
  const out = newOut();
  m.drain(out);
  const prov = out.candles.filter((c) => !c.final);
  // both open buckets changed since the last drain: each as if it (and those before it) closed now
  assert.deepEqual(
    prov.map((c) => c.start),
    [2000, 3000],
  );
  const ref = new IndicatorSet(cfg);
  for (const p of closes) ref.add(p);
  assert.deepEqual(prov[1]!.indicators, ref.values());
  const ref3 = new IndicatorSet(cfg);
  for (const p of closes.slice(0, 3)) ref3.add(p);
  assert.deepEqual(prov[0]!.indicators, ref3.values());
  const finals = out.candles.filter((c) => c.final);
  const ref2 = new IndicatorSet(cfg);
  ref2.add(10);
  ref2.add(11);
  assert.deepEqual(finals[1]!.indicators, ref2.values());
  assert.deepEqual(finals[1]!.indicators.sma, { 2: 10.5 });
});

test('CandleBook spaces provisional updates of coarser intervals by provisionalEveryMs of event time', () => {
  const b = new CandleBook(['X', 'Y'], {
    intervalsMs: [60_000, 1000], // the finest need not come first
    openBucketsPerSeries: 4,
    indicators: resolveAnalyticsConfig(),
    provisionalEveryMs: 1000,
  });
  const t0 = 1_700_000_040_000; // 40 s into a minute
  const drain = (): Candle[] => {
    const out: Candle[] = [];
    b.emitProvisional(out);
    return out;
  };
  const minutes = (cs: Candle[]) => cs.filter((c) => c.intervalMs === 60_000).map((c) => [c.symbol, c.close]);
  const seconds = (cs: Candle[]) => cs.filter((c) => c.intervalMs === 1000).map((c) => [c.symbol, c.close]);

  b.add(0, 10, 1, t0, 1);
  let out = drain();
  assert.deepEqual(minutes(out), [['X', 10]], 'the first update of a series goes out');
  assert.deepEqual(seconds(out), [['X', 10]]);
  b.add(0, 11, 1, t0 + 300, 2);
  out = drain();
  assert.deepEqual(minutes(out), [], '300 ms later: the minute bar waits');
  assert.deepEqual(seconds(out), [['X', 11]], 'the finest interval goes out on every drain');
  b.add(1, 50, 1, t0 + 600, 3); // another symbol moves the clock; X's minute bar is still dirty
  out = drain();
  assert.deepEqual(minutes(out), [['Y', 50]]);
  b.add(1, 51, 1, t0 + 1000, 4);
  out = drain();
  assert.deepEqual(
    minutes(out),
    [['X', 11]],
    'X went out 1000 ms after its last update, with its latest close',
  );
  assert.deepEqual(seconds(out), [['Y', 51]]);
  // Y's minute bar (400 ms since its last update) is held back until a drain with no new trade
  assert.deepEqual(minutes(drain()), [['Y', 51]]);
  assert.deepEqual(drain(), [], 'nothing is emitted twice');
});

test('CandleBook with provisionalEveryMs still finalises every bar with every trade', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ s: fc.nat(2), dt: fc.nat(400), size: fc.integer({ min: 1, max: 9 }) }), {
        minLength: 1,
        maxLength: 200,
      }),
      (steps) => {
        const b = new CandleBook(['A', 'B', 'C'], {
          intervalsMs: [1000, 5000],
          openBucketsPerSeries: 4,
          indicators: resolveAnalyticsConfig(),
          provisionalEveryMs: 1000,
        });
        const finals: Candle[] = [];
        let time = 1_700_000_000_000;
        let total = 0;
        steps.forEach((x, seq) => {
          time += x.dt;
          b.add(x.s, 100, x.size, time, seq);
          total += x.size;
          b.advanceWatermark(time - 500, finals);
          b.emitProvisional([]);
        });
        b.advanceWatermark(Number.POSITIVE_INFINITY, finals);
        for (const iv of [1000, 5000]) {
          const sum = finals.filter((c) => c.intervalMs === iv).reduce((a, c) => a + c.volume, 0);
          assert.equal(sum, total, `Σ final volume at ${iv} ms = Σ sizes`);
        }
      },
    ),
  );
});

test('CandleBook: a drain with no trade since the previous one releases every held-back provisional bar', () => {
  const b = new CandleBook(['X'], {
    intervalsMs: [1000, 60_000],
    openBucketsPerSeries: 4,
    indicators: resolveAnalyticsConfig(),
    provisionalEveryMs: 1000,
  });
  const t0 = 1_700_000_040_000;
  const drain = (): Candle[] => {
    const out: Candle[] = [];
    b.emitProvisional(out);
    return out;
  };
  b.add(0, 10, 1, t0, 1);
  drain();
  b.add(0, 12, 3, t0 + 100, 2);
  assert.deepEqual(
    drain().map((c) => c.intervalMs),
    [1000],
    'the minute bar is held back',
  );
  assert.equal(b.pendingProvisional, 1);
  // the stream stops: the next drain sees no new trade and lets the minute bar's latest state out
  const last = drain();
  assert.deepEqual(
    last.map((c) => [c.intervalMs, c.close, c.volume, c.trades]),
    [[60_000, 12, 4, 2]],
  );
  assert.equal(b.pendingProvisional, 0);
  assert.deepEqual(drain(), []);
});

test('CandleBook state round-trips with its provisional spacing, and a format-2 state (without it) still reads', () => {
  const params = {
    intervalsMs: [1000, 60_000],
    openBucketsPerSeries: 4,
    indicators: resolveAnalyticsConfig(),
    provisionalEveryMs: 1000,
  };
  const t0 = 1_700_000_040_000;
  const a = new CandleBook(['X', 'Y'], params);
  a.add(0, 10, 1, t0, 1);
  a.emitProvisional([]);
  a.add(0, 11, 1, t0 + 200, 2); // X's minute bar held back at the next drain
  a.emitProvisional([]);
  const symbols = Int32Array.of(0);
  const restore = (spacing: boolean): CandleBook => {
    const w = new ByteWriter();
    a.write(w, symbols, spacing);
    const b = new CandleBook(['X', 'Y'], params);
    const r = new ByteReader(w.finish());
    b.read(r, symbols, spacing);
    assert.ok(r.done, 'every byte read');
    return b;
  };
  const next = (b: CandleBook): [number, number][] => {
    b.add(0, 12, 1, t0 + 400, 3);
    const out: Candle[] = [];
    b.emitProvisional(out);
    return out.map((c) => [c.intervalMs, c.close]);
  };
  const withSpacing = restore(true);
  const plain = restore(false);
  assert.deepEqual(
    next(withSpacing),
    next(a),
    'restored with its spacing: the same outputs as never stopping',
  );
  // format 2 knows no spacing: the held-back minute bar goes out at once, with the latest close
  assert.deepEqual(next(plain), [
    [60_000, 12], // dirty since the held-back drain, so first in the list
    [1000, 12],
  ]);
});

test('a spilled bar reads from its array form and from the object form older snapshots wrote', () => {
  const old = {
    start: 60_000,
    open: 10,
    high: 12,
    low: 9,
    close: 11,
    volume: 5,
    pv: 52,
    count: 3,
    openT: 60_001,
    openSeq: 7,
    closeT: 60_900,
    closeSeq: 9,
  };
  // lane layout: start, high, low, volume, pv, count, openT, openSeq, open, closeT, closeSeq, close
  const lane = [60_000, 12, 9, 5, 52, 3, 60_001, 7, 10, 60_900, 9, 11];
  assert.deepEqual([...spillBarOf(old)], lane);
  assert.deepEqual([...spillBarOf(lane)], lane);
  for (const bad of [null, 3, lane.slice(1), [...lane.slice(0, 11), null], { ...old, close: 'x' }]) {
    assert.throws(() => spillBarOf(bad), { code: 'CHECKPOINT_CORRUPT' });
  }
});
