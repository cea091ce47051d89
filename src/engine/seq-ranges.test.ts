import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SeqRanges } from './seq-ranges.ts';

const KEYS = 3;
const SEQS = 40;

type Op = { add: [number, number, number] } | { expire: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.nat(KEYS - 1), fc.nat(SEQS - 1), fc.nat(100)).map((add) => ({ add })) },
  { weight: 1, arbitrary: fc.nat(100).map((expire) => ({ expire })) },
);

/** Answers of `has` over the whole (key, seq) domain. */
const answers = (r: SeqRanges): boolean[] => {
  const out: boolean[] = [];
  for (let k = 0; k < KEYS; k++) for (let s = 0; s < SEQS; s++) out.push(r.has(k, s));
  return out;
};

describe('SeqRanges', () => {
  it('extends one range per key for in-order seqs', () => {
    const r = new SeqRanges(2);
    for (let s = 1; s <= 1000; s++) {
      assert.equal(r.has(0, s), false);
      r.add(0, s, s);
    }
    assert.equal(r.ranges, 1);
    assert.ok(r.has(0, 1) && r.has(0, 1000) && !r.has(0, 0) && !r.has(0, 1001) && !r.has(1, 5));
  });

  it('merges a gap filled from either side', () => {
    const r = new SeqRanges(1);
    for (const s of [1, 2, 3, 7, 8, 5]) r.add(0, s, 10);
    assert.equal(r.ranges, 3); // [1,3] [5,5] [7,8]
    r.add(0, 4, 10);
    assert.equal(r.ranges, 2); // [1,5] [7,8]
    r.add(0, 6, 10);
    assert.equal(r.ranges, 1);
    for (let s = 1; s <= 8; s++) assert.ok(r.has(0, s));
    assert.ok(!r.has(0, 9) && !r.has(0, 0));
  });

  it('forgets ranges whose newest time is below the watermark, keeping newer ones', () => {
    const r = new SeqRanges(1);
    r.add(0, 1, 100);
    r.add(0, 2, 110);
    r.add(0, 10, 300); // gap: [1,2]@110 becomes older
    r.expire(200);
    assert.equal(r.has(0, 1), false);
    assert.equal(r.has(0, 10), true);
    // a newest range below the watermark with a live older one: the older one becomes the newest
    const q = new SeqRanges(1);
    q.add(0, 5, 500);
    q.add(0, 9, 50);
    q.expire(100);
    assert.ok(q.has(0, 5) && !q.has(0, 9));
    q.add(0, 1, 600);
    q.add(0, 2, 600);
    assert.ok(q.has(0, 5) && q.has(0, 1) && q.has(0, 2) && !q.has(0, 3));
  });

  it('is bounded by its cap on older ranges', () => {
    const r = new SeqRanges(1, 4);
    for (let s = 0; s < 100; s += 2) r.add(0, s, 1); // every add opens a gap
    assert.equal(r.ranges, 5); // 4 older + the newest
    assert.ok(r.has(0, 98) && r.has(0, 92) && !r.has(0, 0));
  });

  it('matches a set of ids (no false answer for an id inside the horizon), and survives snapshot/restore', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const r = new SeqRanges(KEYS);
        const model = new Map<number, number>(); // id → time of every add
        let wm = Number.NEGATIVE_INFINITY;
        for (const op of ops) {
          if ('expire' in op) {
            wm = Math.max(wm, op.expire);
            r.expire(wm);
          } else {
            const [k, s, t] = op.add;
            const id = k * SEQS + s;
            const seenLive = model.has(id) && model.get(id)! >= wm;
            if (seenLive) assert.equal(r.has(k, s), true, `live id ${k}:${s} forgotten`);
            if (!model.has(id)) assert.equal(r.has(k, s), false, `never added ${k}:${s} reported`);
            if (!r.has(k, s)) {
              r.add(k, s, t);
              model.set(id, Math.max(t, model.get(id) ?? t));
            }
          }
          for (let k = 0; k < KEYS; k++) {
            for (let s = 0; s < SEQS; s++) {
              const t = model.get(k * SEQS + s);
              if (t === undefined) assert.equal(r.has(k, s), false);
              else if (t >= wm) assert.equal(r.has(k, s), true);
            }
          }
        }
        const back = SeqRanges.restore(r.snapshot(), KEYS);
        assert.deepEqual(answers(back), answers(r));
        assert.equal(back.ranges, r.ranges);
        assert.deepEqual(back.snapshot(), r.snapshot());
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a corrupt snapshot with CHECKPOINT_CORRUPT', () => {
    const r = new SeqRanges(4);
    r.add(1, 5, 10);
    r.add(1, 9, 10);
    const good = r.snapshot();
    const f = new Float64Array(new Uint8Array(good).buffer);
    const corrupt = (mutate: (x: Float64Array) => void): Uint8Array => {
      const c = f.slice();
      mutate(c);
      return new Uint8Array(c.buffer);
    };
    for (const bad of [
      good.subarray(0, good.length - 3),
      corrupt((x) => {
        x[0] = 7; // key out of range
      }),
      corrupt((x) => {
        x[1] = 5; // more ranges than bytes
      }),
      corrupt((x) => {
        x[2] = 12; // lo > hi
      }),
      corrupt((x) => {
        x[5] = 4; // overlaps the range before
      }),
    ]) {
      assert.throws(() => SeqRanges.restore(bad, 4), { code: 'CHECKPOINT_CORRUPT' });
    }
  });
});
