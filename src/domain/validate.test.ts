import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fillArb, tradeArb } from './codec-arbitraries.ts';
import type { EventTimeMs, Fill, Price, Quantity, Trade } from './types.ts';
import { Universe } from './universe.ts';
import { MAX_TIME_MS, MIN_TIME_MS, type Verdict, validateFill, validateTrade } from './validate.ts';

const universe = new Universe([
  { symbol: 'AAPL', sector: 'Information Technology', basePrice: 190, volatility: 0.02 },
  { symbol: 'BRK.B', sector: 'Financials', basePrice: 400, volatility: 0.01 },
]);

const trade = (over: Record<string, unknown> = {}): Trade =>
  ({
    symbol: 'AAPL',
    price: 190.5 as Price,
    size: 100 as Quantity,
    time: Date.UTC(2024, 0, 2, 15, 30) as EventTimeMs,
    conditions: ['1'],
    seq: 1,
    ...over,
  }) as Trade;

const fill = (over: Record<string, unknown> = {}): Fill =>
  ({
    fillId: 'f-1',
    user: 42,
    symbol: 'BRK.B',
    side: 'buy',
    quantity: 3 as Quantity,
    price: 401.25 as Price,
    time: Date.UTC(2024, 0, 2, 15, 30) as EventTimeMs,
    ...over,
  }) as Fill;

const reason = <T>(v: Verdict<T>): string => (v.ok ? 'ok' : v.reason);

describe('validateTrade', () => {
  it('accepts a good trade and returns it unchanged', () => {
    const t = trade();
    const v = validateTrade(t, universe);
    assert.ok(v.ok);
    assert.equal(v.value, t);
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['NaN price', { price: Number.NaN }, 'non_finite'],
    ['Infinity size', { size: Number.POSITIVE_INFINITY }, 'non_finite'],
    ['-Infinity price', { price: Number.NEGATIVE_INFINITY }, 'non_finite'],
    ['NaN time', { time: Number.NaN }, 'non_finite'],
    ['price as a string', { price: '190.5' }, 'invalid_field'],
    ['size as a string', { size: '100' }, 'invalid_field'],
    ['zero price', { price: 0 }, 'non_positive'],
    ['negative price', { price: -1 }, 'non_positive'],
    ['zero size', { size: 0 }, 'non_positive'],
    ['negative size', { size: -100 }, 'non_positive'],
    ['-0 size', { size: -0 }, 'non_positive'],
    ['unknown symbol', { symbol: 'ZZZZ' }, 'unknown_symbol'],
    ['lower-case variant of a known symbol', { symbol: 'aapl' }, 'unknown_symbol'],
    ['time in seconds', { time: 1_700_000_000 }, 'bad_timestamp'],
    ['time in microseconds', { time: 1_700_000_000_000_000 }, 'bad_timestamp'],
    ['fractional ms', { time: 1_700_000_000_000.5 }, 'bad_timestamp'],
    ['one ms before 1990', { time: MIN_TIME_MS - 1 }, 'bad_timestamp'],
    ['one ms after 2100', { time: MAX_TIME_MS + 1 }, 'bad_timestamp'],
    [
      'time as an ISO string (JSON parsers convert it first)',
      { time: '2024-01-02T00:00:00Z' },
      'invalid_field',
    ],
    ['empty symbol', { symbol: '' }, 'invalid_field'],
    ['17-character symbol', { symbol: 'A'.repeat(17) }, 'invalid_field'],
    ['symbol with a space', { symbol: 'AA PL' }, 'invalid_field'],
    ['symbol not a string', { symbol: 7 }, 'invalid_field'],
    ['17 conditions', { conditions: Array.from({ length: 17 }, () => '1') }, 'invalid_field'],
    ['a 9-character condition', { conditions: ['123456789'] }, 'invalid_field'],
    ['conditions not an array', { conditions: '1' }, 'invalid_field'],
    ['negative seq', { seq: -1 }, 'invalid_field'],
    ['fractional seq', { seq: 1.5 }, 'invalid_field'],
  ];
  for (const [name, over, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(reason(validateTrade(trade(over), universe)), expected));
  }

  it('boundaries are inclusive: exactly 1990-01-01 and 2100-01-01, 16-character symbols', () => {
    assert.equal(MIN_TIME_MS, 631_152_000_000); // by hand: 7305 days × 86,400,000 ms
    assert.equal(MAX_TIME_MS, 4_102_444_800_000); // 47,482 days × 86,400,000 ms
    assert.equal(reason(validateTrade(trade({ time: MIN_TIME_MS }), universe)), 'ok');
    assert.equal(reason(validateTrade(trade({ time: MAX_TIME_MS }), universe)), 'ok');
    const u16 = new Universe([{ symbol: 'A'.repeat(16), sector: 'x', basePrice: 1, volatility: 0.01 }]);
    assert.equal(reason(validateTrade(trade({ symbol: 'A'.repeat(16) }), u16)), 'ok');
  });

  it('a record that is not an object is unknown_shape, not a crash', () => {
    assert.equal(reason(validateTrade(null as unknown as Trade, universe)), 'unknown_shape');
    assert.equal(reason(validateTrade('AAPL' as unknown as Trade, universe)), 'unknown_shape');
  });

  it('structural rules come before universe membership: NaN price on an unknown symbol is non_finite', () => {
    assert.equal(reason(validateTrade(trade({ symbol: 'ZZZZ', price: Number.NaN }), universe)), 'non_finite');
  });

  it('generated valid trades pass exactly when their symbol is in the universe', () => {
    fc.assert(
      fc.property(tradeArb, (t) => {
        const u = new Universe([{ symbol: t.symbol, sector: 'x', basePrice: 1, volatility: 0.01 }]);
        assert.equal(reason(validateTrade(t, u)), 'ok');
        assert.equal(reason(validateTrade(t, universe)), universe.has(t.symbol) ? 'ok' : 'unknown_symbol');
      }),
      { numRuns: 200 },
    );
  });
});

describe('validateFill', () => {
  it('accepts a good fill', () => assert.equal(reason(validateFill(fill(), universe)), 'ok'));

  const cases: [string, Record<string, unknown>, string][] = [
    ['side "short"', { side: 'short' }, 'invalid_field'],
    ['side missing', { side: undefined }, 'invalid_field'],
    ['negative user', { user: -1 }, 'invalid_field'],
    ['user 2^31', { user: 2 ** 31 }, 'invalid_field'],
    ['fractional user', { user: 1.5 }, 'invalid_field'],
    ['user as a string', { user: '42' }, 'invalid_field'],
    ['NaN user', { user: Number.NaN }, 'non_finite'],
    ['empty fillId', { fillId: '' }, 'invalid_field'],
    ['65-character fillId', { fillId: 'x'.repeat(65) }, 'invalid_field'],
    ['zero quantity', { quantity: 0 }, 'non_positive'],
    ['Infinity price', { price: Number.POSITIVE_INFINITY }, 'non_finite'],
    ['unknown symbol', { symbol: 'NOPE' }, 'unknown_symbol'],
    ['time before 1990', { time: 0 }, 'bad_timestamp'],
  ];
  for (const [name, over, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(reason(validateFill(fill(over), universe)), expected));
  }

  it('user bounds are inclusive: 0 and 2^31 - 1', () => {
    assert.equal(reason(validateFill(fill({ user: 0 }), universe)), 'ok');
    assert.equal(reason(validateFill(fill({ user: 2 ** 31 - 1 }), universe)), 'ok');
  });

  it('generated valid fills pass with their symbol in the universe', () => {
    fc.assert(
      fc.property(fillArb, (f) => {
        const u = new Universe([{ symbol: f.symbol, sector: 'x', basePrice: 1, volatility: 0.01 }]);
        assert.equal(reason(validateFill(f, u)), 'ok');
      }),
      { numRuns: 200 },
    );
  });
});
