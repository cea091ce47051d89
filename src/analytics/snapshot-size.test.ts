// Snapshot size is proportional to the symbols a partition has traded, not to the universe: a partition
// of the trades topic holds ~1/N of the symbols, and a snapshot is checkpointed every second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTickstreamError } from '../domain/errors.ts';
import type { EventTimeMs } from '../domain/types.ts';
import { Universe } from '../domain/universe.ts';
import { DEFAULT_ANALYTICS_CONFIG } from './config.ts';
import { MarketAnalytics } from './market.ts';
import { newOut, trade } from './test-helpers.ts';

const U = Universe.default();
const CFG = DEFAULT_ANALYTICS_CONFIG;

/**
 * Bytes a traded symbol may cost under the workload below, and the fixed part, from the measurement
 * (default config, 4 intervals, 8 lanes): per symbol ~3.3–3.5 KB — its 4 series (newest start, open
 * lanes at 96 B each, 568 B of indicators once a bar is final), 94 B of alert fields and flags, the
 * window deques at 16 B an entry, 585 B of anomaly windows — and ~220 B of header, config shape and
 * empty sections. Sizing per universe (510 symbols) costs ≥ 3 MB even for an empty book.
 */
const PER_SYMBOL = 4096;
const FIXED = 512;

/** K symbols spread over the universe, 600 trades each (a random walk, ~2 s apart: 20 minutes). */
const feed = (k: number, stopAt = Number.POSITIVE_INFINITY, m = new MarketAnalytics(CFG, U), from = 0) => {
  const picks = Array.from({ length: k }, (_, i) => Math.floor((i * U.size) / k));
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const px = picks.map(() => 100);
  let t = Date.UTC(2025, 0, 6, 14, 30);
  const n = k * 600;
  for (let i = 0; i < Math.min(n, stopAt); i++) {
    t += 1 + Math.floor((rand() * 4000) / k);
    const j = i % k;
    px[j] = Math.max(1, px[j]! * (1 + (rand() - 0.5) * 0.004));
    const size = 1 + Math.floor(rand() * 100);
    if (i < from) continue;
    m.onTrade(trade(U.symbols[picks[j]!]!, px[j]!, size, t, i));
    if (i % 50 === 49) m.advanceWatermark((t - 2000) as EventTimeMs);
  }
  return m;
};

test('a snapshot costs at most PER_SYMBOL bytes per traded symbol plus FIXED', () => {
  for (const k of [0, 1, 8, 64]) {
    const m = feed(k);
    m.drain(newOut()); // the runtime drains before it checkpoints
    assert.equal(m.symbolsTraded, k);
    const size = m.snapshot().length;

    assert.ok(size <= PER_SYMBOL * k + FIXED, `K=${k}: ${size} B > ${PER_SYMBOL} × ${k} + ${FIXED}`);
  }
});

const finish = (m: MarketAnalytics): string => {
  m.advanceWatermark(Number.POSITIVE_INFINITY as EventTimeMs);
  const out = newOut();
  m.drain(out);
  return JSON.stringify(out);
};

test('a few symbols spread over a large universe: restore mid-stream and continue ≡ never stopping', () => {
  const k = 8;
  const whole = finish(feed(k));
  assert.ok(whole.length > 10_000); // candles and indicators were produced
  for (const cut of [1, 7, 2000, 4799]) {
    const snap = feed(k, cut).snapshot(); // not drained: pending finals and alerts ride along
    const restored = MarketAnalytics.restore(snap, CFG, U);
    assert.equal(restored.symbolsTraded, Math.min(cut, k));
    // the restored book writes the same bytes again (nothing lost, nothing invented); not deepEqual or
    // assert.equal below: their diffs of megabytes take minutes
    assert.ok(Buffer.from(restored.snapshot()).equals(snap), `cut at ${cut}: snapshot bytes differ`);
    const continued = finish(feed(k, Number.POSITIVE_INFINITY, restored, cut));
    assert.ok(continued === whole, `cut at ${cut}: outputs differ from never stopping`);
  }
});

test('restore refuses the previous format, a bad symbol list and another universe of the same size', () => {
  const m = feed(3, 300);
  m.drain(newOut());
  const snap = m.snapshot();
  const corrupt = (e: unknown): boolean => isTickstreamError(e, 'CHECKPOINT_CORRUPT');
  const v1 = snap.slice();
  new DataView(v1.buffer).setUint32(4, 1, true);
  assert.throws(() => MarketAnalytics.restore(v1, CFG, U), /version 1, expected 3/);
  assert.throws(() => MarketAnalytics.restore(v1, CFG, U), corrupt);
  const renamed = new Universe(U.infos.map((i, n) => (n === 509 ? { ...i, symbol: 'ZZZZ' } : i)));
  assert.throws(() => MarketAnalytics.restore(snap, CFG, renamed), /different symbol universe/);
  // the symbol list follows the header: u32 byte length, then ascending i32 indexes (0, 170, 340)
  const at = findSymbolList(snap, [0, 170, 340]);
  const swapped = snap.slice();
  new DataView(swapped.buffer).setInt32(at + 4, 340, true);
  new DataView(swapped.buffer).setInt32(at + 8, 170, true);
  assert.throws(() => MarketAnalytics.restore(swapped, CFG, U), /out of order or range/);
  const outside = snap.slice();
  new DataView(outside.buffer).setInt32(at + 8, U.size, true);
  assert.throws(() => MarketAnalytics.restore(outside, CFG, U), corrupt);
  for (let cut = 0; cut < snap.length; cut += Math.ceil(snap.length / 40)) {
    assert.throws(() => MarketAnalytics.restore(snap.subarray(0, cut), CFG, U), corrupt);
  }
});

/** Byte offset of the first int32 run equal to `list` (little-endian), preceded by its byte length. */
const findSymbolList = (bytes: Uint8Array, list: number[]): number => {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 4; p + 4 * list.length <= bytes.length; p++) {
    if (dv.getUint32(p - 4, true) !== 4 * list.length) continue;
    if (list.every((s, i) => dv.getInt32(p + 4 * i, true) === s)) return p - 4;
  }
  throw new Error('symbol list not found');
};
