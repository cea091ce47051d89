// Test-only: fast-check generators of valid records of every bus type (within the limits of validate.ts
// and codec-checks.ts). Imported by the codec, JSON and validation tests; not by production code.
import fc from 'fast-check';
import { ALERT_KIND_ORDER } from './codec-checks.ts';
import type {
  Alert,
  Candle,
  Deadletter,
  DeadletterReason,
  EventTimeMs,
  Fill,
  IndicatorValues,
  PortfolioValue,
  Position,
  Price,
  ProcTimeMs,
  Quantity,
  Trade,
} from './types.ts';
import { MAX_LONG, MAX_TIME_MS, MIN_TIME_MS } from './validate.ts';

// Decoded records are plain objects; fast-check would otherwise sometimes build null-prototype ones.
const NO_NULL_PROTO = { noNullPrototype: true } as const;

/** Printable ASCII without spaces, 1..max characters. */
export const token = (max: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: max,
  });

export const symbolArb = token(16);
export const positiveArb = fc.double({ min: 1e-6, max: 1e9, noNaN: true });
export const finiteArb = fc.double({ noNaN: true, noDefaultInfinity: true });
export const timeArb = fc.integer({ min: MIN_TIME_MS, max: MAX_TIME_MS });
export const userArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
/** Valid Unicode text (no lone surrogates: those cannot round-trip through UTF-8). */
export const textArb = (max: number): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', maxLength: max });

export const tradeArb: fc.Arbitrary<Trade> = fc.record(
  {
    symbol: symbolArb,
    price: positiveArb.map((p) => p as Price),
    size: positiveArb.map((q) => q as Quantity),
    time: timeArb.map((t) => t as EventTimeMs),
    conditions: fc.array(token(8), { maxLength: 16 }),
    seq: fc.integer({ min: 0, max: MAX_LONG }),
  },
  NO_NULL_PROTO,
);

export const fillArb: fc.Arbitrary<Fill> = fc.record(
  {
    fillId: token(64),
    user: userArb,
    symbol: symbolArb,
    side: fc.constantFrom('buy' as const, 'sell' as const),
    quantity: positiveArb.map((q) => q as Quantity),
    price: positiveArb.map((p) => p as Price),
    time: timeArb.map((t) => t as EventTimeMs),
  },
  NO_NULL_PROTO,
);

const byPeriod = fc.dictionary(fc.integer({ min: 1, max: 10_000 }).map(String), finiteArb, {
  maxKeys: 4,
  noNullPrototype: true,
});

export const indicatorsArb: fc.Arbitrary<IndicatorValues> = fc.record(
  {
    sma: byPeriod,
    ema: byPeriod,
    rsi: fc.double({ min: 0, max: 100, noNaN: true }),
    bollinger: fc.record({ upper: finiteArb, middle: finiteArb, lower: finiteArb }, NO_NULL_PROTO),
  },
  { requiredKeys: [], noNullPrototype: true },
);

export const candleArb: fc.Arbitrary<Candle> = fc
  .record({
    symbol: symbolArb,
    intervalMs: fc.integer({ min: 1, max: 366 * 24 * 3600 * 1000 }),
    start: timeArb,
    ohlc: fc.tuple(positiveArb, positiveArb, positiveArb, positiveArb),
    volume: fc.double({ min: 0, max: 1e12, noNaN: true }),
    vwap: positiveArb,
    trades: fc.integer({ min: 0, max: MAX_LONG }),
    final: fc.boolean(),
    indicators: indicatorsArb,
  })
  .map(({ ohlc, ...r }) => {
    const [open, close] = [ohlc[0], ohlc[1]];
    const high = Math.max(...ohlc);
    const low = Math.min(...ohlc);
    return {
      symbol: r.symbol,
      intervalMs: r.intervalMs,
      start: r.start,
      open,
      high,
      low,
      close,
      volume: r.volume,
      vwap: r.vwap,
      trades: r.trades,
      final: r.final,
      indicators: r.indicators,
    } as Candle;
  });

export const alertArb: fc.Arbitrary<Alert> = fc.record(
  {
    symbol: symbolArb,
    time: timeArb.map((t) => t as EventTimeMs),
    kind: fc.constantFrom(...ALERT_KIND_ORDER),
    value: finiteArb,
    threshold: finiteArb,
    user: userArb,
    id: token(128),
    message: textArb(200),
  },
  { requiredKeys: ['symbol', 'time', 'kind', 'value', 'threshold', 'id', 'message'], noNullPrototype: true },
);

export const positionArb: fc.Arbitrary<Position> = fc.record(
  {
    user: userArb,
    symbol: symbolArb,
    quantity: finiteArb,
    avgCost: fc.double({ min: 0, max: 1e9, noNaN: true }).map((p) => p as Price),
    realizedPnl: finiteArb,
    updatedAt: timeArb.map((t) => t as EventTimeMs),
  },
  NO_NULL_PROTO,
);

export const portfolioValueArb: fc.Arbitrary<PortfolioValue> = fc.record(
  {
    user: userArb,
    time: timeArb.map((t) => t as EventTimeMs),
    value: finiteArb,
    cost: finiteArb,
    realizedPnl: finiteArb,
    unrealizedPnl: finiteArb,
    dayChange: finiteArb,
  },
  NO_NULL_PROTO,
);

const REASONS: DeadletterReason[] = [
  'decode_error',
  'oversized',
  'invalid_field',
  'non_positive',
  'non_finite',
  'unknown_symbol',
  'bad_timestamp',
  'duplicate',
  'late',
  'unknown_shape',
];

export const deadletterArb: fc.Arbitrary<Deadletter> = fc.record(
  {
    sourceTopic: token(40),
    partition: fc.integer({ min: -1, max: 1000 }),
    offset: fc.integer({ min: -1, max: MAX_LONG }),
    reason: fc.constantFrom(...REASONS),
    detail: textArb(300),
    payload: fc.uint8Array({ maxLength: 300 }),
    time: timeArb.map((t) => t as ProcTimeMs),
  },
  NO_NULL_PROTO,
);
