import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SP500 } from './sp500.ts';
import { Universe } from './universe.ts';
import { checkToken, MAX_SYMBOL_LEN } from './validate.ts';

const GICS = [
  'Communication Services',
  'Consumer Discretionary',
  'Consumer Staples',
  'Energy',
  'Financials',
  'Health Care',
  'Industrials',
  'Information Technology',
  'Materials',
  'Real Estate',
  'Utilities',
];

test('at least 500 distinct symbols over exactly the 11 GICS sectors', () => {
  assert.ok(SP500.length >= 500, `only ${SP500.length}`);
  assert.equal(new Set(SP500.map((s) => s.symbol)).size, SP500.length);
  const u = Universe.default();
  assert.equal(u.size, SP500.length);
  assert.deepEqual(u.sectors(), GICS);
  for (const sector of GICS) {
    assert.ok(SP500.filter((s) => s.sector === sector).length >= 20, sector);
  }
});

test('every symbol is a valid token with a plausible price and volatility', () => {
  for (const s of SP500) {
    assert.equal(checkToken('symbol', s.symbol, MAX_SYMBOL_LEN), undefined, s.symbol);
    assert.ok(
      Number.isFinite(s.basePrice) && s.basePrice >= 5 && s.basePrice <= 10_000,
      `${s.symbol} ${s.basePrice}`,
    );
    assert.ok(s.volatility >= 0.005 && s.volatility <= 0.05, `${s.symbol} ${s.volatility}`);
  }
});

test('well-known constituents sit in their GICS sectors', () => {
  const u = Universe.default();
  const expect: Record<string, string> = {
    AAPL: 'Information Technology',
    GOOGL: 'Communication Services',
    AMZN: 'Consumer Discretionary',
    PG: 'Consumer Staples',
    XOM: 'Energy',
    JPM: 'Financials',
    V: 'Financials',
    'BRK.B': 'Financials',
    LLY: 'Health Care',
    CAT: 'Industrials',
    LIN: 'Materials',
    PLD: 'Real Estate',
    NEE: 'Utilities',
  };
  for (const [sym, sector] of Object.entries(expect)) assert.equal(u.sector(sym), sector, sym);
  assert.equal(u.info(u.index('AAPL')).basePrice, 190);
});

test('volatility spreads within a sector, within the sector band', () => {
  const it = SP500.filter((s) => s.sector === 'Information Technology').map((s) => s.volatility);
  assert.ok(new Set(it).size > it.length / 2, 'volatilities should differ between symbols');
  // Spread is [0.75, 1.45) × the sector's 2.2%.
  for (const v of it) assert.ok(v >= 0.022 * 0.75 - 1e-9 && v < 0.022 * 1.45, String(v));
  // Tickers listed without a price get one derived from their hash, log-uniform in [$20, $400).
  const app = SP500.find((s) => s.symbol === 'APP');
  assert.ok(app !== undefined && app.basePrice >= 20 && app.basePrice < 400);
});
