// Universe lookups: by name (a Map) and by bytes (our own hash table), which must agree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Universe } from './universe.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test('indexOfBytes finds every symbol of the default universe at its index, inside a larger buffer too', () => {
  const u = Universe.default();
  assert.ok(u.size >= 500);
  for (let i = 0; i < u.size; i++) {
    const s = u.symbols[i]!;
    assert.equal(u.indexOfBytes(bytes(s), 0, s.length), i, s);
    const padded = bytes(`xx${s}yyy`);
    assert.equal(u.indexOfBytes(padded, 2, 2 + s.length), i, s);
  }
});

test('indexOfBytes agrees with index on any string: known, prefixes, extensions, unknown, non-ASCII', () => {
  const u = Universe.default();
  const known = fc.constantFrom(...u.symbols);
  const probe = fc.oneof(
    known,
    known.map((s) => s.slice(0, -1)),
    known.map((s) => `${s}A`),
    known.map((s) => s.toLowerCase()),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
  );
  fc.assert(
    fc.property(probe, (s) => {
      const b = bytes(s);
      assert.equal(u.indexOfBytes(b, 0, b.length), u.index(s), JSON.stringify(s));
    }),
    { numRuns: 3000 },
  );
});

test('a small universe fills its table densely; a repeated symbol resolves as index() does', () => {
  const info = (symbol: string) => ({ symbol, sector: 'X', basePrice: 1, volatility: 0.01 });
  const u = new Universe(['A', 'B', 'A', 'CC'].map(info));
  for (const s of ['A', 'B', 'CC', 'C', '']) {
    const b = bytes(s);
    assert.equal(u.indexOfBytes(b, 0, b.length), u.index(s), s);
  }
  assert.equal(new Universe([]).indexOfBytes(bytes('A'), 0, 1), -1);
});
