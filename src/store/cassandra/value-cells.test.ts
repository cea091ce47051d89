// The `candle_bar` and `trade_print` cells: encodeBar's and encodePrint's bytes against the driver's
// own UDT encoder for the types as the migration declares them, and candles and trades read back
// through the driver's UDT decoder and toCandle / toTrade, as well as rows written before schema v3.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { types } from 'cassandra-driver';
import fc from 'fast-check';
import { edgeDouble, oddCandleArb } from '../../domain/codec-edge-arbitraries.ts';
import { TickstreamError } from '../../domain/errors.ts';
import type { EventTimeMs, Price, Quantity, Trade } from '../../domain/types.ts';
import { conditionsJson, indicatorsJson, toCandle, toTrade } from './rows.ts';
import { encodeBar, encodePrint, valueTypeDdl } from './value-cells.ts';

const require = createRequire(import.meta.url);
const Encoder = require('cassandra-driver/lib/encoder.js') as new (
  version: number,
  options: object,
) => {
  encode(value: unknown, type: unknown): Buffer;
  decode(bytes: Buffer, type: unknown): unknown;
};

// The types as the driver describes them after reading the schema: codes of the native protocol
// (section 6), fields written out here rather than taken from VALUE_TYPES.
const udt = (name: string, fields: [string, number][]) => ({
  code: 0x30,
  info: {
    keyspace: 'ks',
    name,
    fields: fields.map(([n, code]) => ({ name: n, type: { code, info: null } })),
  },
});
const [DOUBLE, BIGINT, BOOLEAN, TEXT] = [0x07, 0x02, 0x04, 0x0a];
const barType = udt('candle_bar', [
  ['open', DOUBLE],
  ['high', DOUBLE],
  ['low', DOUBLE],
  ['close', DOUBLE],
  ['volume', DOUBLE],
  ['vwap', DOUBLE],
  ['trades', BIGINT],
  ['final', BOOLEAN],
  ['indicators', TEXT],
]);
const printType = udt('trade_print', [
  ['price', DOUBLE],
  ['size', DOUBLE],
  ['conditions', TEXT],
]);
const encoder = new Encoder(4, {});

/** Candles that break every record rule (NaN, ±0, subnormals, any safe long): the cells trust their input. */
const candle = oddCandleArb;

test('the migration declares the types with these fields, in this order', () => {
  assert.equal(
    valueTypeDdl('ks', 'candle_bar'),
    'CREATE TYPE IF NOT EXISTS ks.candle_bar (open double, high double, low double, close double, volume double, vwap double, trades bigint, final boolean, indicators text)',
  );
  assert.equal(
    valueTypeDdl('ks', 'trade_print'),
    'CREATE TYPE IF NOT EXISTS ks.trade_print (price double, size double, conditions text)',
  );
});

test("encodeBar writes the driver's bytes for the UDT, for any values and any text", () => {
  fc.assert(
    fc.property(candle, fc.string({ unit: 'grapheme', maxLength: 80 }), (c, text) => {
      const mine = encodeBar(c, c.trades, text);
      const driver = encoder.encode(
        {
          open: c.open,
          high: c.high,
          low: c.low,
          close: c.close,
          volume: c.volume,
          vwap: c.vwap,
          trades: c.trades,
          final: c.final,
          indicators: text,
        },
        barType,
      );
      assert.deepEqual(mine, driver);
    }),
    { numRuns: 500 },
  );
});

test('a candle written as a bar reads back through the driver and toCandle unchanged', () => {
  fc.assert(
    fc.property(candle, (c) => {
      const bar = encoder.decode(encodeBar(c, c.trades, indicatorsJson(c.indicators)), barType);
      const row = {
        symbol: c.symbol,
        interval_ms: types.Long.fromNumber(c.intervalMs),
        start_ms: types.Long.fromNumber(c.start),
        bar,
        // what a v3 row returns for the v2 value columns it never wrote
        open: null,
        indicators: null,
      };
      // The numbers come back bit for bit (NaN and -0 too); the indicators as their JSON text reads.
      assert.deepEqual(toCandle(row), { ...c, indicators: JSON.parse(indicatorsJson(c.indicators)) });
    }),
    { numRuns: 300 },
  );
});

test('a candle row written before schema v3 (no bar) is read from its value columns', () => {
  const row = {
    symbol: 'AAPL',
    interval_ms: types.Long.fromNumber(60_000),
    start_ms: types.Long.fromNumber(1_700_000_000_000),
    bar: null,
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    volume: 10,
    vwap: 1.25,
    trades: types.Long.fromNumber(3),
    final: true,
    indicators: '{"rsi":50}',
  };
  assert.deepEqual(toCandle(row), {
    symbol: 'AAPL',
    intervalMs: 60_000,
    start: 1_700_000_000_000,
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    volume: 10,
    vwap: 1.25,
    trades: 3,
    final: true,
    indicators: { rsi: 50 },
  });
});

test('a value cell that is not a UDT value is a typed error', () => {
  const invalid = (e: unknown) => e instanceof TickstreamError && e.code === 'STORE_QUERY_INVALID';
  assert.throws(
    () => toCandle({ symbol: 'A', interval_ms: types.Long.ONE, start_ms: types.Long.ONE, bar: 'x' }),
    invalid,
  );
  assert.throws(() => toTrade({ symbol: 'A', time: types.Long.ONE, seq: types.Long.ONE, print: 7 }), invalid);
});

const trade = fc.record({
  symbol: fc.string({ minLength: 1, maxLength: 8 }),
  price: edgeDouble.map((n) => n as Price),
  size: edgeDouble.map((n) => n as Quantity),
  time: fc.integer({ min: 0, max: 2 ** 45 }).map((n) => n as EventTimeMs),
  conditions: fc.array(fc.string({ unit: 'grapheme', maxLength: 4 }), { maxLength: 4 }),
  seq: fc.maxSafeInteger(),
}) as fc.Arbitrary<Trade>;

test("encodePrint writes the driver's bytes for the UDT, for any values and any text", () => {
  fc.assert(
    fc.property(trade, fc.string({ unit: 'grapheme', maxLength: 80 }), (t, text) => {
      const driver = encoder.encode({ price: t.price, size: t.size, conditions: text }, printType);
      assert.deepEqual(encodePrint(t, text), driver);
    }),
    { numRuns: 500 },
  );
});

test('a trade written as a print reads back through the driver and toTrade unchanged', () => {
  fc.assert(
    fc.property(trade, (t) => {
      const row = {
        symbol: t.symbol,
        time: types.Long.fromNumber(t.time),
        seq: types.Long.fromNumber(t.seq),
        print: encoder.decode(encodePrint(t, conditionsJson(t.conditions)), printType),
        price: null,
        conditions: null,
      };
      assert.deepEqual(toTrade(row), { ...t });
    }),
    { numRuns: 300 },
  );
});

test('a trade row written before schema v3 (no print) is read from its value columns', () => {
  const row = {
    symbol: 'AAPL',
    time: types.Long.fromNumber(1_700_000_000_123),
    seq: types.Long.fromNumber(9),
    print: null,
    price: 187.5,
    size: 100,
    conditions: '["@","I"]',
  };
  assert.deepEqual(toTrade(row), {
    symbol: 'AAPL',
    price: 187.5,
    size: 100,
    time: 1_700_000_000_123,
    conditions: ['@', 'I'],
    seq: 9,
  });
});
