import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isTickstreamError } from '../domain/errors.ts';
import { PositionBook } from './book.ts';

const SYMS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'];
const newBook = (indexCapacity?: number): PositionBook =>
  new PositionBook(indexCapacity === undefined ? { symbols: SYMS } : { symbols: SYMS, indexCapacity });

/**
 * Independent object-based reference: tracks the signed cost basis (Σ cost of open shares) instead of the
 * average, and realizes proceeds minus the pro-rata basis of the closed shares.
 */
class NaiveBook {
  readonly pos = new Map<string, { qty: number; basis: number; realized: number }>();
  apply(user: number, sym: number, d: number, p: number): number {
    const k = `${user}/${sym}`;
    const x = this.pos.get(k) ?? { qty: 0, basis: 0, realized: 0 };
    this.pos.set(k, x);
    if (x.qty === 0 || Math.sign(x.qty) === Math.sign(d)) {
      x.qty += d;
      x.basis += d * p;
      return 0;
    }
    const closed = Math.min(Math.abs(d), Math.abs(x.qty));
    const basisClosed = (x.basis * closed) / Math.abs(x.qty);
    const r = Math.sign(x.qty) * closed * p - basisClosed;
    x.realized += r;
    x.basis -= basisClosed;
    const before = x.qty;
    x.qty += d;
    if (x.qty === 0) x.basis = 0;
    else if (Math.sign(x.qty) !== Math.sign(before)) x.basis = x.qty * p;
    return r;
  }
}

const close = (a: number, b: number, tol = 1e-6): boolean =>
  Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

describe('PositionBook P&L by hand', () => {
  it('long add, partial close, flip to short, add short, cover', () => {
    const b = newBook();
    assert.equal(b.apply(7, 1, 'buy', 100, 10, 1), 0);
    assert.equal(b.quantity(7, 1), 100);
    assert.equal(b.avgCost(7, 1), 10);
    assert.equal(b.apply(7, 1, 'buy', 50, 13, 2), 0);
    assert.equal(b.avgCost(7, 1), 11); // (100·10 + 50·13) / 150
    assert.equal(b.apply(7, 1, 'sell', 60, 15, 3), 240); // 60 · (15 − 11)
    assert.equal(b.quantity(7, 1), 90);
    assert.equal(b.avgCost(7, 1), 11);
    // Sell 140 at 9: closes 90 at a loss of 2 each, opens 50 short at 9.
    assert.equal(b.apply(7, 1, 'sell', 140, 9, 4), -180);
    assert.equal(b.quantity(7, 1), -50);
    assert.equal(b.avgCost(7, 1), 9);
    assert.equal(b.realized(7, 1), 60);
    assert.equal(b.apply(7, 1, 'sell', 30, 8, 5), 0);
    assert.equal(b.avgCost(7, 1), 8.625); // (50·9 + 30·8) / 80
    assert.equal(b.apply(7, 1, 'buy', 80, 7, 6), 130); // short gains 1.625 on 80
    assert.equal(b.quantity(7, 1), 0);
    assert.equal(b.avgCost(7, 1), 0);
    assert.equal(b.realized(7, 1), 190);
    assert.equal(b.updatedAt(7, 1), 6);
    assert.deepEqual(b.positionsOf(7), [
      { user: 7, symbol: 'BBB', quantity: 0, avgCost: 0, realizedPnl: 190, updatedAt: 6 },
    ]);
  });

  it('short first, cover through zero into a long', () => {
    const b = newBook();
    b.apply(1, 0, 'sell', 10, 50, 1);
    assert.equal(b.apply(1, 0, 'buy', 25, 40, 2), 100); // covers 10 at +10 each
    assert.equal(b.quantity(1, 0), 15);
    assert.equal(b.avgCost(1, 0), 40);
  });

  it('rejects bad input without changing state', () => {
    const b = newBook();
    b.apply(1, 0, 'buy', 1, 10, 1);
    for (const bad of [
      () => b.apply(1, 0, 'buy', 0, 10, 1),
      () => b.apply(1, 0, 'buy', -1, 10, 1),
      () => b.apply(1, 0, 'buy', Number.NaN, 10, 1),
      () => b.apply(1, 0, 'buy', 1, 0, 1),
      () => b.apply(1, 0, 'buy', 1, Number.POSITIVE_INFINITY, 1),
      () => b.apply(1, 0, 'buy', 1, 10, Number.NaN),
      () => b.apply(-1, 0, 'buy', 1, 10, 1),
      () => b.apply(1.5, 0, 'buy', 1, 10, 1),
      () => b.apply(1, 5, 'buy', 1, 10, 1),
      () => b.apply(1, 0, 'hold' as 'buy', 1, 10, 1),
    ]) {
      assert.throws(bad, (e) => isTickstreamError(e, 'VALIDATION_FAILED'));
    }
    assert.equal(b.size, 1);
    assert.equal(b.quantity(1, 0), 1);
  });
});

const fillArb = fc.record({
  user: fc.integer({ min: 0, max: 6 }),
  sym: fc.integer({ min: 0, max: 4 }),
  d: fc.integer({ min: -200, max: 200 }).filter((d) => d !== 0),
  p: fc.integer({ min: 100, max: 20_000 }).map((c) => c / 100),
});

describe('PositionBook properties', () => {
  it('agrees with a naive reference; quantity = Σ signed fills; realized + unrealized = cash + qty × last', () => {
    fc.assert(
      fc.property(
        fc.array(fillArb, { maxLength: 300 }),
        fc.integer({ min: 100, max: 20_000 }),
        (fills, lastC) => {
          const last = lastC / 100;
          const b = newBook(16);
          const ref = new NaiveBook();
          const sums = new Map<string, number>();
          const cash = new Map<string, number>();
          fills.forEach((f, t) => {
            const r = b.applySigned(f.user, f.sym, f.d, f.p, t);
            const rr = ref.apply(f.user, f.sym, f.d, f.p);
            assert.ok(close(r, rr), `realized delta ${r} vs ${rr}`);
            const k = `${f.user}/${f.sym}`;
            sums.set(k, (sums.get(k) ?? 0) + f.d);
            cash.set(k, (cash.get(k) ?? 0) - f.d * f.p);
          });
          assert.equal(b.size, ref.pos.size);
          for (const [k, x] of ref.pos) {
            const [u, s] = k.split('/').map(Number) as [number, number];
            const q = b.quantity(u, s);
            assert.equal(q, sums.get(k)); // exact: integer quantities
            assert.equal(q, x.qty);
            if (q !== 0)
              assert.ok(
                close(b.avgCost(u, s), x.basis / x.qty),
                `avg ${b.avgCost(u, s)} vs ${x.basis / x.qty}`,
              );
            assert.ok(close(b.realized(u, s), x.realized));
            const unrealized = q * (last - b.avgCost(u, s));
            assert.ok(close(b.realized(u, s) + unrealized, cash.get(k)! + q * last, 1e-9));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('PositionBook structure', () => {
  it('grows its index and resolves collisions (tiny initial index, > 1 page of rows)', () => {
    const b = new PositionBook({ symbols: SYMS, indexCapacity: 2 });
    assert.equal(b.indexCapacity, 16);
    const users = 14_000; // × 5 symbols = 70,000 rows: crosses the 65,536-row page
    for (let u = 0; u < users; u++) for (let s = 0; s < 5; s++) b.applySigned(u, s, u + s + 1, 1 + s, u);
    assert.equal(b.size, users * 5);
    assert.ok(b.indexCapacity >= (users * 5) / 0.75);
    for (let u = 0; u < users; u++) {
      for (let s = 0; s < 5; s++) assert.equal(b.quantity(u, s), u + s + 1);
      assert.equal(b.positionsOf(u).length, 5);
    }
    assert.equal(b.quantity(users, 0), 0);
    assert.equal(b.slotOf(users, 0), -1);
  });

  it('keeps a per-user index across many users and large user ids', () => {
    const b = newBook();
    b.apply(5_000_000, 2, 'buy', 1, 1, 1);
    b.apply(3, 4, 'buy', 2, 1, 1);
    b.apply(5_000_000, 0, 'sell', 3, 1, 1);
    assert.deepEqual(
      b.positionsOf(5_000_000).map((p) => [p.symbol, p.quantity]),
      [
        ['AAA', -3],
        ['CCC', 1],
      ],
    );
    assert.deepEqual(b.positionsOf(4), []);
    assert.deepEqual(b.positionsOf(-1), []);
  });

  it('drainChanged yields each changed slot once, then nothing', () => {
    const b = newBook();
    for (let i = 0; i < 100; i++) b.applySigned(i % 40, i % 5, 1, 10, i);
    const seen: number[] = [];
    assert.equal(b.changedCount, 40);
    assert.equal(
      b.drainChanged((s) => seen.push(s)),
      40,
    );
    assert.deepEqual(
      seen,
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.equal(
      b.drainChanged(() => assert.fail('nothing changed')),
      0,
    );
    b.applySigned(39, 4, 1, 10, 200);
    const again: number[] = [];
    b.drainChanged((s) => again.push(s));
    assert.deepEqual(again, [b.slotOf(39, 4)]);
  });
});

describe('PositionBook snapshots', () => {
  const build = (): PositionBook => {
    const b = newBook(16);
    let x = 12345;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    for (let i = 0; i < 3000; i++)
      b.applySigned(rnd(400), rnd(5), rnd(2) ? rnd(50) + 1 : -(rnd(50) + 1), 1 + rnd(1000) / 10, i);
    return b;
  };

  const same = (a: PositionBook, b: PositionBook): void => {
    assert.equal(a.size, b.size);
    for (let u = 0; u < 400; u++) assert.deepEqual(a.positionsOf(u), b.positionsOf(u));
  };

  it('restore gives an equivalent book that continues identically', () => {
    const a = build();
    const b = PositionBook.restore(a.snapshot(), SYMS);
    same(a, b);
    assert.equal(b.changedCount, 0);
    for (let i = 0; i < 500; i++) {
      assert.equal(
        a.applySigned(i % 450, i % 5, (i % 7) - 3 || 1, 50 + i, i),
        b.applySigned(i % 450, i % 5, (i % 7) - 3 || 1, 50 + i, i),
      );
    }
    same(a, b);
  });

  it('a full snapshot plus a delta of changed slots restores the latest state', () => {
    const a = build();
    const full = a.snapshot();
    a.drainChanged(() => {});
    for (let i = 0; i < 200; i++) a.applySigned(i, i % 5, 3, 77, 9999);
    const changed: number[] = [];
    a.drainChanged((s) => changed.push(s));
    const b = PositionBook.restore(full, SYMS);
    b.upsertRows(a.snapshotSlots(changed));
    same(a, b);
  });

  it('rejects corrupt snapshots with CHECKPOINT_CORRUPT', () => {
    const bytes = build().snapshot();
    const corrupt = (e: unknown): boolean => isTickstreamError(e, 'CHECKPOINT_CORRUPT');
    assert.throws(() => PositionBook.restore(bytes.subarray(0, bytes.length - 3), SYMS), corrupt);
    assert.throws(() => PositionBook.restore(new Uint8Array(10), SYMS), corrupt);
    const badKey = bytes.slice();
    new DataView(badKey.buffer).setFloat64(24, 4 * 65536 + 9, true); // symbol 9 of 5
    assert.throws(() => PositionBook.restore(badKey, SYMS), corrupt);
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat64(32, Number.NaN, true);
    assert.throws(() => PositionBook.restore(nan, SYMS), corrupt);
  });
});
