import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DurationMs, EventTimeMs } from '../domain/types.ts';
import { RecentIds } from './dedup.ts';
import { Watermark } from './watermark.ts';

const t = (ms: number) => ms as EventTimeMs;

describe('Watermark', () => {
  it('is the highest event time minus the allowed lateness', () => {
    const w = new Watermark(100 as DurationMs);
    assert.equal(w.isLate(t(0)), false, 'nothing is late before the first record');
    w.observe(t(1000));
    w.observe(t(900)); // out of order: does not move it back
    assert.equal(w.value, 900);
    assert.equal(w.isLate(t(900)), false, 'exactly at the watermark is on time');
    assert.equal(w.isLate(t(899)), true);
    w.close();
    assert.equal(w.value, Number.POSITIVE_INFINITY);
  });

  it('never accepts a record older than a window it already closed (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 500 }),
        (times, lateness) => {
          const w = new Watermark(lateness as DurationMs);
          let maxAccepted = Number.NEGATIVE_INFINITY;
          for (const x of times) {
            if (w.isLate(t(x))) {
              assert.ok(x < maxAccepted - lateness);
            } else {
              w.observe(t(x));
              maxAccepted = Math.max(maxAccepted, x);
            }
          }
        },
      ),
    );
  });
});

describe('RecentIds', () => {
  it('remembers ids inside the horizon and forgets those below the watermark', () => {
    const r = new RecentIds<string>(10);
    r.add('a', 100);
    r.add('b', 200);
    assert.ok(r.has('a') && r.has('b'));
    r.expire(150);
    assert.equal(r.has('a'), false);
    assert.equal(r.has('b'), true);
  });

  it('is bounded in size', () => {
    const r = new RecentIds<number>(3);
    for (let i = 0; i < 10; i++) r.add(i, 1000);
    assert.equal(r.size, 3);
    assert.ok(r.has(9) && r.has(7) && !r.has(6));
  });

  it('round-trips through entries()', () => {
    const r = new RecentIds<string>();
    r.add('x', 5);
    r.add('y', 7);
    const back = RecentIds.from(r.entries());
    assert.deepEqual(back.entries(), [
      ['x', 5],
      ['y', 7],
    ]);
  });
});
