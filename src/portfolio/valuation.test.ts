import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PositionBook } from './book.ts';
import { LastPrices } from './prices.ts';
import { testUniverse } from './test-universe.ts';
import { Valuation } from './valuation.ts';

const DAY = 86_400_000;
// Symbols: 0 AAPL Tech, 1 MSFT Tech, 2 JPM Financials, 3 XOM Energy, 4 CVX Energy.

const setup = () => {
  const u = testUniverse();
  const book = new PositionBook({ symbols: u.symbols });
  const prices = new LastPrices(u.size);
  const v = new Valuation(book, prices, u, { historyIntervalMs: 1000, maxWatched: 2 });
  return { book, prices, v };
};

describe('Valuation', () => {
  it('computes value, cost, P&L and day change by hand', () => {
    const { book, prices, v } = setup();
    book.apply(1, 0, 'buy', 10, 100, 1); // long 10 AAPL @100
    book.apply(1, 2, 'sell', 5, 200, 1); // short 5 JPM @200
    book.apply(1, 3, 'buy', 4, 50, 1);
    book.apply(1, 3, 'sell', 4, 60, 2); // XOM closed, realized 40
    book.apply(1, 4, 'buy', 2, 30, 2); // CVX: no price yet → marked at cost
    prices.update(0, 105, DAY);
    prices.update(0, 110, 2 * DAY); // prev close 105
    prices.update(2, 195, DAY);
    prices.update(2, 190, 2 * DAY); // prev close 195
    const val = v.value(1, 2 * DAY);
    // value 10·110 − 5·190 + 2·30 = 210; cost 10·100 − 5·200 + 2·30 = 60
    assert.equal(val.value, 210);
    assert.equal(val.cost, 60);
    assert.equal(val.unrealizedPnl, 150); // +100 long, +50 short
    assert.equal(val.realizedPnl, 40);
    assert.equal(val.dayChange, 75); // 10·(110−105) + (−5)·(190−195)
    assert.equal(val.user, 1);
    assert.equal(val.time, 2 * DAY);
    // Gross exposure 1100 + 950 + 60 = 2110, split by sector.
    const a = v.allocation(1);
    assert.deepEqual(Object.keys(a).sort(), ['Energy', 'Financials', 'Tech']);
    assert.ok(Math.abs(a.Tech! - 1100 / 2110) < 1e-12);
    assert.ok(Math.abs(a.Financials! - 950 / 2110) < 1e-12);
    assert.ok(Math.abs(a.Energy! - 60 / 2110) < 1e-12);
    assert.deepEqual(v.allocation(2), {});
    assert.deepEqual(
      { ...v.value(2, 5), time: 5 },
      { user: 2, time: 5, value: 0, cost: 0, realizedPnl: 0, unrealizedPnl: 0, dayChange: 0 },
    );
  });

  it('samples watched users at most once per interval, up to the watch limit', () => {
    const { book, prices, v } = setup();
    book.apply(1, 0, 'buy', 1, 100, 0);
    book.apply(2, 0, 'buy', 2, 100, 0);
    prices.update(0, 101, 0);
    assert.ok(v.watch(1));
    assert.ok(v.watch(2));
    assert.equal(v.watch(3), false);
    assert.deepEqual(
      v.sampleHistory(1000).map((x) => [x.user, x.value]),
      [
        [1, 101],
        [2, 202],
      ],
    );
    assert.deepEqual(v.sampleHistory(1500), []);
    prices.update(0, 102, 1900);
    assert.deepEqual(
      v.sampleHistory(2000).map((x) => [x.user, x.value]),
      [
        [1, 102],
        [2, 204],
      ],
    );
    v.unwatch(1);
    assert.deepEqual(
      v.sampleHistory(5000).map((x) => x.user),
      [2],
    );
    assert.equal(v.watchedCount, 1);
  });
});
