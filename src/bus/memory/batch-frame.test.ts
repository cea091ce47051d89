import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameWriter, KeyDecoder, scanFrames, validFrameAfter } from './batch-frame.ts';

interface Rec {
  key: string;
  value: number[];
  timestamp: number;
}

/** Frames of `batches` (the first at offset `base`) concatenated, as a segment file holds them. */
const encode = (batches: Rec[][], base = 0): Buffer => {
  const w = new FrameWriter(16); // tiny, so the buffer grows while encoding
  const parts: Buffer[] = [];
  let offset = base;
  for (const batch of batches) {
    w.begin(offset);
    for (const r of batch) w.add(r.key, Uint8Array.from(r.value), r.timestamp);
    parts.push(Buffer.from(w.bytes.subarray(0, w.finish())));
    offset += batch.length;
  }
  return Buffer.concat(parts);
};

const scan = (data: Buffer, base = 0) => {
  const got: Rec[] = [];
  const result = scanFrames(
    data,
    base,
    (key, d, from, to, timestamp) => got.push({ key, value: Array.from(d.subarray(from, to)), timestamp }),
    new KeyDecoder(),
  );
  return { got, ...result };
};

const rec = fc
  .record({
    key: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.constantFrom('AAPL', 'MSFT', 'user-1', 'user-2'),
    ),
    value: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 60 }),
    timestamp: fc.double({ noNaN: true }),
  })
  .map((r): Rec => ({ key: r.key, value: r.value, timestamp: r.timestamp }));
const batches = fc.array(fc.array(rec, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 });

describe('batch frames', () => {
  it('round-trip keys (ASCII, long, non-ASCII), values and timestamps from any base offset', () => {
    fc.assert(
      fc.property(batches, fc.integer({ min: 0, max: 2 ** 40 }), (bs, base) => {
        const data = encode(bs, base);
        const r = scan(data, base);
        assert.equal(r.problem, undefined);
        assert.equal(r.validEnd, data.length);
        assert.equal(r.nextOffset, base + bs.flat().length);
        assert.deepEqual(r.got, bs.flat());
      }),
      { numRuns: 300 },
    );
  });

  it('decodes 20,000 distinct short ASCII keys right although they collide in the key cache', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `U${i.toString(36)}`);
    const data = encode([keys.map((key, i) => ({ key, value: [i & 0xff], timestamp: i }))]);
    const r = scan(data);
    assert.deepEqual(
      r.got.map((x) => x.key),
      keys,
    );
  });

  it('a damaged byte anywhere stops the scan at or before its frame, never yielding a wrong record', () => {
    fc.assert(
      fc.property(batches, fc.nat(), fc.integer({ min: 1, max: 255 }), (bs, where, flip) => {
        const data = encode(bs);
        const at = where % data.length;
        data[at]! ^= flip;
        const r = scan(data);
        assert.notEqual(r.problem, undefined);
        assert.ok(r.validEnd <= at);
        assert.deepEqual(r.got, bs.flat().slice(0, r.got.length));
        // Whole frames after the damaged one are still found (that is what makes it "in the middle").
        const frameEnds: number[] = [];
        let end = 0;
        for (const b of bs) {
          end += encode([b]).length;
          frameEnds.push(end);
        }
        const damagedEnd = frameEnds.find((e) => e > at)!;
        const expectAfter = damagedEnd < data.length;
        assert.equal(validFrameAfter(data, r.validEnd + 1, r.nextOffset - 1) >= 0, expectAfter);
      }),
      { numRuns: 300 },
    );
  });
});
