import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StringInterner } from './interner.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('StringInterner', () => {
  it('decodes like TextDecoder for any string, at any offset', () => {
    const dec = new TextDecoder();
    const it = new StringInterner();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat(5), (s, pad) => {
        const b = bytes(s);
        const buf = new Uint8Array(pad + b.length + 3);
        buf.set(b, pad);
        const want = dec.decode(b);
        assert.equal(it.decode(buf, pad, pad + b.length), want);
        assert.equal(it.decode(buf, pad, pad + b.length), want); // and from the cache
      }),
      { numRuns: 2000 },
    );
  });

  it('never confuses strings that share a slot', () => {
    const it = new StringInterner();
    // 20k distinct short symbols in a 4096-slot table: collisions are certain
    const names = Array.from({ length: 20_000 }, (_, i) => `S${i.toString(36).toUpperCase()}`);
    for (let round = 0; round < 2; round++) {
      for (const n of names) {
        const b = bytes(n);
        assert.equal(it.decode(b, 0, b.length), n);
      }
    }
  });

  // (whether the cached object is handed back is not observable from JS: strings compare by value)
  it('decodes a cached string at another offset, and the empty string', () => {
    const it = new StringInterner();
    assert.equal(it.decode(bytes('AAPL'), 0, 4), 'AAPL');
    assert.equal(it.decode(bytes('xxAAPLyy'), 2, 6), 'AAPL');
    assert.equal(it.decode(bytes('xxAAPLyy'), 2, 5), 'AAP');
    assert.equal(it.decode(bytes(''), 0, 0), '');
  });
});
