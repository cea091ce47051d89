import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Line, LineSplitter } from './line-splitter.ts';

const split = (chunks: (string | Buffer)[], max = 1000): Line[] => {
  const out: Line[] = [];
  const s = new LineSplitter(max);
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c, (l) => out.push(l));
  s.end((l) => out.push(l));
  return out;
};

test('LF and CRLF end lines; blank lines keep their numbers; a BOM is dropped', () => {
  const lines = split(['\uFEFFa,b\r\n\r\nc\n\nd']);
  assert.deepEqual(
    lines.map((l) => [l.no, l.text]),
    [
      [1, 'a,b'],
      [2, ''],
      [3, 'c'],
      [4, ''],
      [5, 'd'],
    ],
  );
});

test('any chunking of the bytes gives the same lines (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '€', '𝄞', ',', '\r', '\n') }), { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (parts, cuts) => {
        const text = parts.join('');
        const bytes = Buffer.from(text);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        // Reference: split on \n, strip one trailing \r, drop the empty remainder after a final \n.
        const expected = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
        if (expected.at(-1) === '' && (text.endsWith('\n') || text === '')) expected.pop();
        const got = split(chunks).map((l) => l.text);
        assert.deepEqual(got, expected);
      },
    ),
    { numRuns: 300 },
  );
});

test('an over-long line is reported as oversized with a prefix, and the next line is intact', () => {
  const long = 'x'.repeat(5000);
  const lines = split([`ok\n${long.slice(0, 1234)}`, long.slice(1234), '\nafter\n'], 100);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[0], { no: 1, text: 'ok', oversized: false });
  assert.equal(lines[1]?.oversized, true);
  assert.equal(lines[1]?.no, 2);
  assert.equal(lines[1]?.text, 'x'.repeat(256));
  assert.deepEqual(lines[2], { no: 3, text: 'after', oversized: false });
  // In a single chunk as well, and exactly at the bound is still fine.
  const one = split([`${'y'.repeat(101)}\n${'z'.repeat(100)}\r\n`], 100);
  assert.deepEqual(
    one.map((l) => [l.oversized, l.text.length]),
    [
      [true, 101],
      [false, 100],
    ],
  );
});
