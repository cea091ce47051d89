import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PositionBook } from './book.ts';
import { HoldersIndex } from './holders.ts';

const SYMS = ['A', 'B', 'C'];

const apply = (book: PositionBook, holders: HoldersIndex, user: number, sym: number, d: number): void => {
  book.applySigned(user, sym, d, 10, 0);
  if (book.lastTransition === 1) holders.opened(sym, book.lastSlot);
  else if (book.lastTransition === -1) holders.closed(sym);
};

const listed = (h: HoldersIndex, sym: number): [number, number][] =>
  h
    .holders(sym)
    .map((x): [number, number] => [x.user, x.quantity])
    .sort((a, b) => a[0] - b[0]);

describe('HoldersIndex', () => {
  it('matches a brute-force scan of the book under random opens, closes and flips', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            user: fc.integer({ min: 0, max: 60 }),
            sym: fc.integer({ min: 0, max: 2 }),
            d: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0),
          }),
          { maxLength: 800 },
        ),
        (ops) => {
          const book = new PositionBook({ symbols: SYMS });
          const h = new HoldersIndex(book, 3);
          for (const o of ops) apply(book, h, o.user, o.sym, o.d);
          for (let s = 0; s < 3; s++) {
            const expected: [number, number][] = [];
            for (let u = 0; u <= 60; u++)
              if (book.quantity(u, s) !== 0) expected.push([u, book.quantity(u, s)]);
            assert.deepEqual(listed(h, s), expected);
            assert.equal(h.count(s), expected.length);
            assert.deepEqual(listed(HoldersIndex.fromBook(book, 3), s), expected);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('compacts stale entries so a list does not grow with churn', () => {
    const book = new PositionBook({ symbols: SYMS });
    const h = new HoldersIndex(book, 3);
    for (let round = 0; round < 20; round++) {
      for (let u = 0; u < 1000; u++) apply(book, h, round * 1000 + u, 0, 1);
      for (let u = 0; u < 1000; u++) apply(book, h, round * 1000 + u, 0, -1);
    }
    apply(book, h, 5, 0, 2);
    assert.equal(h.count(0), 1);
    assert.deepEqual(listed(h, 0), [[5, 2]]);
    // 20,000 distinct holders came and went; the list holds far fewer entries than that.
    assert.ok(h.byteSize < 20_000 * 4, `byteSize ${h.byteSize}`);
  });
});
