import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTickstreamError } from '../domain/errors.ts';
import { LastPrices } from './prices.ts';

const DAY = 86_400_000;

describe('LastPrices', () => {
  it('keeps the latest price per symbol and ignores older prints', () => {
    const p = new LastPrices(3);
    assert.ok(Number.isNaN(p.price(0)));
    assert.equal(p.update(0, 10, 1000), true);
    assert.equal(p.update(0, 11, 2000), true);
    assert.equal(p.update(0, 9, 1500), false);
    assert.equal(p.price(0), 11);
    assert.equal(p.timeOf(0), 2000);
    assert.ok(Number.isNaN(p.price(1)));
  });

  it('rolls the previous close on a new UTC day; first price stands in before that', () => {
    const p = new LastPrices(2);
    p.update(0, 10, DAY + 5);
    assert.equal(p.prevClose(0), 10);
    p.update(0, 12, DAY + 9);
    assert.equal(p.prevClose(0), 10);
    p.update(0, 13, 2 * DAY + 1);
    assert.equal(p.prevClose(0), 12);
    assert.equal(p.price(0), 13);
    p.setPrevClose(1, 50);
    p.update(1, 51, DAY);
    assert.equal(p.prevClose(1), 50);
  });

  it('drains changed symbols once each (conflated)', () => {
    const p = new LastPrices(4);
    p.update(2, 1, 1);
    p.update(0, 1, 1);
    p.update(2, 3, 2);
    const seen: [number, number][] = [];
    assert.equal(
      p.drainChanged((s, price) => seen.push([s, price])),
      2,
    );
    assert.deepEqual(seen, [
      [2, 3],
      [0, 1],
    ]);
    assert.equal(
      p.drainChanged(() => assert.fail()),
      0,
    );
  });

  it('validates and round-trips through a snapshot', () => {
    const p = new LastPrices(3);
    assert.throws(
      () => p.update(3, 1, 1),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => p.update(0, -1, 1),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => p.update(0, 1, Number.NaN),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
    p.update(0, 10, DAY);
    p.update(0, 11, 2 * DAY);
    p.update(2, 5, 3);
    const q = LastPrices.restore(p.snapshot(), 3);
    for (let s = 0; s < 3; s++) {
      assert.deepEqual([q.price(s), q.prevClose(s), q.timeOf(s)], [p.price(s), p.prevClose(s), p.timeOf(s)]);
    }
    assert.throws(
      () => LastPrices.restore(p.snapshot().subarray(0, 20), 3),
      (e) => isTickstreamError(e, 'CHECKPOINT_CORRUPT'),
    );
    assert.throws(
      () => LastPrices.restore(p.snapshot(), 2),
      (e) => isTickstreamError(e, 'CHECKPOINT_CORRUPT'),
    );
  });
});
