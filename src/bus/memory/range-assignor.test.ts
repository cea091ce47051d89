import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rangeAssign } from './range-assignor.ts';

const counts =
  (c: Record<string, number>) =>
  (t: string): number | undefined =>
    c[t];

describe('rangeAssign', () => {
  it('gives contiguous ranges, extra partitions to the first members by id (Kafka RangeAssignor)', () => {
    // 7 partitions over 3 members: 3, 2, 2 (worked out by hand from Kafka's RangeAssignor).
    const plan = rangeAssign(
      [
        { id: 'c', topics: ['t'] },
        { id: 'a', topics: ['t'] },
        { id: 'b', topics: ['t'] },
      ],
      counts({ t: 7 }),
    );
    assert.deepEqual(
      plan.get('a')!.map((tp) => tp.partition),
      [0, 1, 2],
    );
    assert.deepEqual(
      plan.get('b')!.map((tp) => tp.partition),
      [3, 4],
    );
    assert.deepEqual(
      plan.get('c')!.map((tp) => tp.partition),
      [5, 6],
    );
  });

  it('assigns each topic among its own subscribers only, and skips unknown topics', () => {
    const plan = rangeAssign(
      [
        { id: 'a', topics: ['x', 'y', 'missing'] },
        { id: 'b', topics: ['x'] },
      ],
      counts({ x: 2, y: 3 }),
    );
    assert.deepEqual(plan.get('a'), [
      { topic: 'x', partition: 0 },
      { topic: 'y', partition: 0 },
      { topic: 'y', partition: 1 },
      { topic: 'y', partition: 2 },
    ]);
    assert.deepEqual(plan.get('b'), [{ topic: 'x', partition: 1 }]);
  });

  it('gives more members than partitions empty assignments', () => {
    const plan = rangeAssign(
      [
        { id: 'a', topics: ['t'] },
        { id: 'b', topics: ['t'] },
        { id: 'c', topics: ['t'] },
      ],
      counts({ t: 2 }),
    );
    assert.deepEqual(plan.get('c'), []);
  });

  it('partitions every topic exactly once among subscribers, sizes differing by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 40 }), (m, n) => {
        const members = Array.from({ length: m }, (_, i) => ({ id: `m${i}`, topics: ['t'] }));
        const plan = rangeAssign(members, counts({ t: n }));
        const all = [...plan.values()].flat().map((tp) => tp.partition);
        assert.deepEqual(
          [...all].sort((a, b) => a - b),
          Array.from({ length: n }, (_, i) => i),
        );
        const sizes = [...plan.values()].map((v) => v.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      }),
    );
  });
});
