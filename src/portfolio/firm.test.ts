import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isTickstreamError } from '../domain/errors.ts';
import { mergeFirmStats } from '../store/firm-merge.ts';
import type { FirmStatRow } from '../store/port.ts';
import { FirmAggregator } from './firm.ts';
import { LastPrices } from './prices.ts';
import { testUniverse } from './test-universe.ts';

const U = testUniverse();
const SECTOR = ['Tech', 'Tech', 'Financials', 'Energy', 'Energy'];
const MIN = 60_000;

const fillArb = fc.record({
  user: fc.integer({ min: 0, max: 30 }),
  sym: fc.integer({ min: 0, max: 4 }),
  d: fc.integer({ min: -500, max: 500 }).filter((d) => d !== 0),
  p: fc.integer({ min: 1, max: 400 }),
  t: fc.integer({ min: 0, max: 5 * MIN - 1 }),
});

describe('FirmAggregator', () => {
  it('volume = Σ fill quantities, notional, sector mix and exact top-k per bucket, against brute force', () => {
    fc.assert(
      fc.property(fc.array(fillArb, { minLength: 1, maxLength: 400 }), (fills) => {
        const f = new FirmAggregator(U, { bucketMs: MIN, topK: 3, allowedLatenessMs: 10 * MIN });
        for (const x of fills) assert.ok(f.onFill(x.user, x.sym, x.d, x.p, x.t));
        const rows = f.drain();
        const starts = [...new Set(fills.map((x) => Math.floor(x.t / MIN) * MIN))].sort((a, b) => a - b);
        assert.deepEqual(
          rows.map((r) => r.bucket),
          starts,
        );
        for (const row of rows) {
          const inB = fills.filter((x) => Math.floor(x.t / MIN) * MIN === row.bucket);
          assert.equal(row.day, '1970-01-01');
          assert.equal(row.stats.fills, inB.length);
          for (let s = 0; s < 5; s++) {
            const of = inB.filter((x) => x.sym === s);
            const v = row.stats.volumeBySymbol[U.symbols[s]!];
            if (of.length === 0) {
              assert.equal(v, undefined);
              continue;
            }
            assert.equal(
              v?.buy,
              of.filter((x) => x.d > 0).reduce((a, x) => a + x.d, 0),
            );
            assert.equal(
              v?.sell,
              of.filter((x) => x.d < 0).reduce((a, x) => a - x.d, 0),
            );
            assert.equal(
              v?.notional,
              of.reduce((a, x) => a + Math.abs(x.d) * x.p, 0),
            );
          }
          const sectors: Record<string, number> = {};
          for (const x of inB) sectors[SECTOR[x.sym]!] = (sectors[SECTOR[x.sym]!] ?? 0) + Math.abs(x.d) * x.p;
          assert.deepEqual(row.stats.sectorMix, sectors);
          const byUser = new Map<number, number>();
          for (const x of inB) byUser.set(x.user, (byUser.get(x.user) ?? 0) + Math.abs(x.d) * x.p);
          const expectedTop = [...byUser.values()].sort((a, b) => b - a).slice(0, 3);
          assert.deepEqual(
            row.stats.topTraders.map((t) => t.notional),
            expectedTop,
          );
          for (const t of row.stats.topTraders) assert.equal(byUser.get(t.user), t.notional);
        }
        assert.deepEqual(f.drain(), []);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps firm net quantity per symbol and exposure O(symbols)', () => {
    const f = new FirmAggregator(U);
    f.onFill(1, 0, 10, 100, 0);
    f.onFill(2, 0, -4, 100, 0);
    f.onFill(3, 2, -5, 50, 0);
    assert.equal(f.netQuantity(0), 6);
    assert.equal(f.netQuantity(2), -5);
    const p = new LastPrices(5);
    p.update(0, 110, 0);
    assert.equal(f.exposure(p), 660); // JPM has no price yet
    p.update(2, 40, 0);
    assert.equal(f.exposure(p), 460);
  });

  it('emits only changed buckets, retires past lateness and counts late fills', () => {
    const f = new FirmAggregator(U, { bucketMs: MIN, allowedLatenessMs: 0 });
    f.onFill(1, 0, 1, 10, 10);
    f.onFill(1, 0, 1, 10, MIN + 10);
    assert.deepEqual(
      f.drain().map((r) => r.bucket),
      [0, MIN],
    );
    assert.equal(f.openBuckets, 1); // bucket 0 ended before the highest time seen: retired
    f.onFill(2, 1, -3, 10, MIN + 20);
    const rows = f.drain();
    assert.deepEqual(
      rows.map((r) => [r.bucket, r.stats.fills]),
      [[MIN, 2]],
    );
    assert.equal(f.onFill(3, 1, 1, 10, 5), false);
    assert.equal(f.lateFills, 1);
    assert.equal(f.netQuantity(1), -2); // still counted in net quantity
    assert.deepEqual(f.drain(), []);
  });

  it('restores from a snapshot and continues identically', () => {
    const a = new FirmAggregator(U, { bucketMs: MIN, topK: 2 });
    for (let i = 0; i < 500; i++) a.onFill(i % 37, i % 5, (i % 9) - 4 || 1, 10 + (i % 13), i * 300);
    a.drain();
    for (let i = 0; i < 50; i++) a.onFill(i % 7, i % 5, 2, 11, 150_000 + i);
    const b = FirmAggregator.restore(a.snapshot(), U, { bucketMs: MIN, topK: 2 });
    const more = (f: FirmAggregator): FirmStatRow[] => {
      for (let i = 0; i < 100; i++) f.onFill(i % 11, i % 5, -3, 12, 149_000 + i * 10);
      return f.drain();
    };
    assert.deepEqual(more(b), more(a));
    assert.deepEqual(b.lateFills, a.lateFills);
    for (let s = 0; s < 5; s++) assert.equal(b.netQuantity(s), a.netQuantity(s));
    assert.throws(
      () => FirmAggregator.restore(a.snapshot(), U, { bucketMs: 1000, topK: 2 }),
      (e) => isTickstreamError(e, 'CHECKPOINT_CORRUPT'),
    );
    assert.throws(
      () => FirmAggregator.restore(a.snapshot().subarray(0, 100), U, { bucketMs: MIN, topK: 2 }),
      (e) => isTickstreamError(e, 'CHECKPOINT_CORRUPT'),
    );
  });

  it('merges partial rows of disjoint user partitions', () => {
    const a = new FirmAggregator(U, { topK: 2 });
    const b = new FirmAggregator(U, { topK: 2 });
    a.onFill(1, 0, 10, 10, 0); // 100
    a.onFill(3, 0, 1, 10, 0); // 10
    b.onFill(2, 0, -20, 10, 0); // 200
    b.onFill(4, 2, 5, 10, 0); // 50
    const m = mergeFirmStats([a.drain()[0]!.stats, b.drain()[0]!.stats], 2);
    assert.deepEqual(m.volumeBySymbol, {
      AAPL: { buy: 11, sell: 20, notional: 310 },
      JPM: { buy: 5, sell: 0, notional: 50 },
    });
    assert.deepEqual(m.topTraders, [
      { user: 2, notional: 200 },
      { user: 1, notional: 100 },
    ]);
    assert.deepEqual(m.sectorMix, { Tech: 310, Financials: 50 });
    assert.equal(m.fills, 4);
  });

  it('rejects bad configuration', () => {
    assert.throws(
      () => new FirmAggregator(U, { bucketMs: 0 }),
      (e) => isTickstreamError(e, 'CONFIG_INVALID'),
    );
    assert.throws(
      () => new FirmAggregator(U, { topK: 0 }),
      (e) => isTickstreamError(e, 'CONFIG_INVALID'),
    );
  });
});
