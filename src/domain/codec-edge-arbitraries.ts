// Test-only: fast-check generators of candles at the edges of what the codecs and stores must carry:
// valid ones with extreme doubles (extremeCandleArb), and ones that break every record rule (NaN, ±0,
// lone surrogates, any safe long: oddCandleArb) for encoders that trust their input. Shared by the
// candle codec tests and the Cassandra value-cell tests; not imported by production code.
import fc from 'fast-check';
import { symbolArb } from './codec-arbitraries.ts';
import { MAX_INTERVAL_MS } from './codec-checks.ts';
import type { Candle, DurationMs, EventTimeMs, IndicatorValues, Price, Quantity } from './types.ts';
import { MAX_LONG, MAX_TIME_MS, MIN_TIME_MS } from './validate.ts';

/** Any UTF-16 code unit, lone surrogates included (avsc's own encoder and Buffer's differ on those). */
const anyText = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: max });
const anyAscii = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: max });
// avsc writes negative longs below -2^52 wrongly (see codec-fast.test.ts); keep to where it is exact.
const safeLong = fc
  .oneof(
    fc.integer({ min: -(2 ** 52), max: MAX_LONG }),
    fc.constantFrom(0, -1, 2 ** 30 - 1, 2 ** 30, -(2 ** 30) - 1, 2 ** 52, -(2 ** 52), MAX_LONG, MAX_LONG - 1),
  )
  .filter((n) => n >= -(2 ** 52));
/** Doubles at the edges: ±0, subnormals, ±MAX_VALUE, ±Infinity, NaN, and anything else. */
export const edgeDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, 1e-300),
);
/** Valid positive prices from the smallest subnormal to the largest double. */
const extremePositive = fc.oneof(
  fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }),
  fc.constantFrom(Number.MIN_VALUE, Number.MAX_VALUE, 1e-300, 2 ** 53, 2 ** 53 + 2),
);
const extremeFinite = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE),
);
const periodMap = fc.dictionary(fc.integer({ min: 1, max: 10_000 }).map(String), extremeFinite, {
  maxKeys: 6,
  noNullPrototype: true,
});

/** Valid candles at the edges: every optional indicator present or absent, extreme doubles, -0, 2^53. */
export const extremeCandleArb: fc.Arbitrary<Candle> = fc
  .record({
    symbol: symbolArb,
    intervalMs: fc.oneof(fc.integer({ min: 1, max: MAX_INTERVAL_MS }), fc.constantFrom(1, MAX_INTERVAL_MS)),
    start: fc.oneof(
      fc.integer({ min: MIN_TIME_MS, max: MAX_TIME_MS }),
      fc.constantFrom(MIN_TIME_MS, MAX_TIME_MS),
    ),
    ohlc: fc.tuple(extremePositive, extremePositive, extremePositive, extremePositive),
    volume: fc.oneof(fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true }), fc.constantFrom(-0, 0)),
    vwap: fc.oneof(extremePositive, fc.constantFrom(-0, 0)),
    trades: fc.oneof(
      fc.integer({ min: 0, max: MAX_LONG }),
      fc.constantFrom(0, 2 ** 52, 2 ** 53 - 3, MAX_LONG),
    ),
    final: fc.boolean(),
    indicators: fc.record(
      {
        sma: periodMap,
        ema: periodMap,
        rsi: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(-0, 0, 100)),
        bollinger: fc.record(
          { upper: extremeFinite, middle: extremeFinite, lower: extremeFinite },
          { noNullPrototype: true },
        ),
      },
      { requiredKeys: [], noNullPrototype: true },
    ),
  })
  .map(({ ohlc, ...r }) => ({
    symbol: r.symbol,
    intervalMs: r.intervalMs as DurationMs,
    start: r.start as EventTimeMs,
    open: ohlc[0] as Price,
    high: Math.max(...ohlc) as Price,
    low: Math.min(...ohlc) as Price,
    close: ohlc[1] as Price,
    volume: r.volume as Quantity,
    vwap: r.vwap as Price,
    trades: r.trades,
    final: r.final,
    indicators: r.indicators,
  }));

const oddMap = fc.oneof(
  fc.dictionary(fc.oneof(anyText(8), anyAscii(6), fc.integer().map(String)), edgeDouble, { maxKeys: 5 }),
  periodMap,
);

/** Candles avsc can write that may break every record rule (the encoders trust their input). */
export const oddCandleArb: fc.Arbitrary<Candle> = fc.record({
  symbol: fc.oneof(anyText(24), anyAscii(20), fc.string({ unit: 'grapheme', maxLength: 20 })),
  intervalMs: safeLong.map((n) => n as DurationMs),
  start: safeLong.map((n) => n as EventTimeMs),
  open: edgeDouble.map((x) => x as Price),
  high: edgeDouble.map((x) => x as Price),
  low: edgeDouble.map((x) => x as Price),
  close: edgeDouble.map((x) => x as Price),
  volume: edgeDouble.map((x) => x as Quantity),
  vwap: edgeDouble.map((x) => x as Price),
  trades: safeLong,
  final: fc.boolean(),
  indicators: fc.record(
    {
      sma: fc.oneof(oddMap, fc.constant(null)),
      ema: fc.oneof(oddMap, fc.constant(null)),
      rsi: fc.oneof(edgeDouble, fc.constant(null)),
      bollinger: fc.oneof(
        fc.record({ upper: edgeDouble, middle: edgeDouble, lower: edgeDouble }),
        fc.constant(null),
      ),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<IndicatorValues>,
});
