import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WindowExtremes } from './window-extremes.ts';

// Pushes to several symbols interleaved (so rings grow, move and get compacted while others are live)
// and checks every max/min against a brute-force scan of that symbol's window.
test('window max/min equal a brute-force scan, through ring growth, compaction and toArray/load', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          s: fc.integer({ min: 0, max: 2 }),
          dt: fc.integer({ min: 0, max: 30 }),
          // few distinct values: ties; long monotone runs: rings must grow
          v: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -1000, max: 1000 })),
        }),
        { minLength: 1, maxLength: 400 },
      ),
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 0, max: 400 }),
      (steps, windowMs, cut) => {
        let w = new WindowExtremes(3, 2);
        const seen: [number, number][][] = [[], [], []];
        const clock = [0, 0, 0];
        steps.forEach((x, i) => {
          if (i === cut) {
            const copy = new WindowExtremes(3, 2);
            for (let q = 0; q < 6; q++) copy.load(q, w.toArray(q));
            w = copy;
          }
          clock[x.s]! += x.dt;
          const t = clock[x.s]!;
          w.push(x.s, t, x.v, t - windowMs);
          seen[x.s]!.push([t, x.v]);
          const inWindow = seen[x.s]!.filter(([ti]) => ti >= t - windowMs).map(([, v]) => v);
          assert.equal(w.max(x.s), Math.max(...inWindow));
          assert.equal(w.min(x.s), Math.min(...inWindow));
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('an empty window has NaN extremes; toArray lists (time, value) front to back', () => {
  const w = new WindowExtremes(2);
  assert.ok(Number.isNaN(w.max(1)) && Number.isNaN(w.min(1)));
  w.push(0, 10, 5, 0);
  w.push(0, 11, 3, 0);
  w.push(0, 12, 4, 0);
  assert.deepEqual([...w.toArray(0)], [10, 5, 12, 4], 'max deque: 5 then 4 (3 was dominated)');
  assert.deepEqual([...w.toArray(2)], [11, 3, 12, 4], 'min deque of symbol 0 is deque 2 of 4');
  assert.throws(() => w.toArray(4), RangeError);
});
