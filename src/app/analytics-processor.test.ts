import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { resolveAnalyticsConfig } from '../analytics/config.ts';
import type { Bus, BusRecord } from '../bus/port.ts';
import { dbl, frame, str, zz } from '../domain/avro-by-hand.ts';
import { encodeTrade, readCleanTradeOf, SCHEMA_IDS } from '../domain/codec.ts';
import type { EventTimeMs, Price, Quantity, Trade } from '../domain/types.ts';
import { Universe } from '../domain/universe.ts';
import type { TaskContext } from '../engine/processor.ts';
import { decodeSections, encodeSections } from '../engine/snapshot.ts';
import { AnalyticsTask } from './analytics-processor.ts';

const universe = Universe.default();
const T0 = Date.UTC(2025, 0, 6, 14, 30);
const trade = (symbol: string, seq: number, dt: number): Trade => ({
  symbol,
  price: 100 as Price,
  size: 1 as Quantity,
  time: (T0 + dt) as EventTimeMs,
  conditions: [],
  seq,
});
let offset = 0;
const rec = (t: Trade): BusRecord => ({
  topic: 'trades',
  partition: 0,
  offset: offset++,
  key: t.symbol,
  value: encodeTrade(t),
  timestamp: 0,
});

/** Processes records and returns the deadletter reasons in order. */
const run = (task: AnalyticsTask, trades: Trade[]): string[] => {
  const reasons: string[] = [];
  const ctx: TaskContext = { deadletter: (_r, reason) => reasons.push(reason) };
  task.process(trades.map(rec), ctx);
  return reasons;
};

const opts = {
  bus: {} as Bus, // flush is not called here
  universe,
  analytics: resolveAnalyticsConfig(),
  allowedLatenessMs: 2000,
};

describe('AnalyticsTask duplicate detection', () => {
  it('sends a repeated (symbol, seq) to deadletter, in order and shuffled, and after a restore', () => {
    const task = new AnalyticsTask(opts);
    const first = [1, 2, 3, 5, 4].map((s) => trade('AAPL', s, s));
    assert.deepEqual(run(task, first), []);
    // same seqs of another symbol are other trades
    assert.deepEqual(run(task, [trade('MSFT', 1, 10), trade('MSFT', 2, 11)]), []);
    assert.deepEqual(run(task, [trade('AAPL', 4, 12), trade('AAPL', 6, 13), trade('AAPL', 1, 14)]), [
      'duplicate',
      'duplicate',
    ]);
    const back = new AnalyticsTask(opts, task.snapshot());
    assert.deepEqual(run(back, [trade('MSFT', 2, 20), trade('AAPL', 6, 21), trade('AAPL', 7, 22)]), [
      'duplicate',
      'duplicate',
    ]);
  });

  it('reads the ids of a checkpoint written before (JSON pairs) and still rejects their duplicates', () => {
    const task = new AnalyticsTask(opts);
    assert.deepEqual(run(task, [trade('AAPL', 8, 1), trade('MSFT', 9, 2)]), []);
    const sections = decodeSections(task.snapshot());
    const aapl = universe.index('AAPL');
    const msft = universe.index('MSFT');
    const legacy = [
      [8 * 4096 + aapl, T0 + 1],
      [`${msft}:9`, T0 + 2],
    ];
    const old = encodeSections({
      analytics: sections.get('analytics')!,
      watermark: sections.get('watermark')!,
      seen: new TextEncoder().encode(JSON.stringify(legacy)),
    });
    const back = new AnalyticsTask(opts, old);
    assert.deepEqual(run(back, [trade('AAPL', 8, 3), trade('MSFT', 9, 4), trade('MSFT', 10, 5)]), [
      'duplicate',
      'duplicate',
    ]);
  });
});

describe('AnalyticsTask: trades read in place and trades decoded give the same results', () => {
  // The same trade two ways: as encodeTrade writes it (readCleanTradeOf takes it), and with its conditions
  // in a block of negative count (valid Avro that decodeTrade accepts and readCleanTradeOf leaves to it).
  const viaDecode = (t: Trade): Uint8Array => {
    const items = t.conditions.flatMap((c) => str(c));
    return frame(SCHEMA_IDS.Trade, [
      ...str(t.symbol),
      ...dbl(t.price),
      ...dbl(t.size),
      ...zz(t.time),
      ...zz(-t.conditions.length),
      ...zz(items.length),
      ...items,
      0,
      ...zz(t.seq),
    ]);
  };
  const tradesArb = fc.array(
    fc.record({
      symbol: fc.constantFrom('AAPL', 'MSFT', 'NVDA', 'NOPE1'), // NOPE1: not in the universe
      price: fc.oneof(fc.double({ min: 1, max: 500, noNaN: true }), fc.constant(-1)), // -1: invalid
      size: fc.double({ min: 0.5, max: 1000, noNaN: true }),
      jitter: fc.integer({ min: 0, max: 3000 }), // out of order by up to 3 s: some late (2 s allowed)
      seq: fc.integer({ min: 0, max: 15 }), // repeats: duplicates
    }),
    { minLength: 40, maxLength: 200, size: 'max' },
  );

  it('deadletters (reason and detail), outputs and the checkpoint', async () => {
    const reasons = new Set<string>();
    await fc.assert(
      fc.asyncProperty(tradesArb, fc.integer({ min: 1, max: 50 }), async (specs, batch) => {
        const trades = specs.map(
          (s, i): Trade => ({
            symbol: s.symbol,
            price: s.price as Price,
            size: s.size as Quantity,
            time: (T0 + 10 * i - s.jitter) as EventTimeMs,
            conditions: ['@'],
            seq: s.seq,
          }),
        );
        const results = [];
        for (const enc of [encodeTrade, viaDecode]) {
          const sent: string[] = [];
          const bus = {
            send: async (topic: string, rs: readonly { key: string; value: Uint8Array }[]) => {
              for (const r of rs) sent.push(`${topic} ${r.key} ${Buffer.from(r.value).toString('hex')}`);
            },
          } as unknown as Bus;
          const task = new AnalyticsTask({ ...opts, bus });
          const dead: string[] = [];
          const ctx: TaskContext = {
            deadletter: (r, reason, detail) => {
              reasons.add(reason);
              dead.push(`${r.offset} ${reason} ${detail}`);
            },
          };
          const records = trades.map((t, i) => ({ ...rec(t), offset: i, value: enc(t) }));
          for (let i = 0; i < records.length; i += batch) {
            task.process(records.slice(i, i + batch), ctx);
            await task.flush();
          }
          results.push({ dead, sent, snapshot: Buffer.from(task.snapshot()).toString('hex') });
        }
        assert.deepEqual(results[0], results[1]);
      }),
      { numRuns: 60 },
    );
    // every way out was taken, and the clean encodings go in place while the others do not
    assert.deepEqual([...reasons].sort(), ['duplicate', 'late', 'non_positive', 'unknown_symbol']);
    const t = trade('AAPL', 1, 1);
    assert.equal(readCleanTradeOf(encodeTrade({ ...t, conditions: ['@'] })), true);
    assert.equal(readCleanTradeOf(viaDecode({ ...t, conditions: ['@'] })), false);
  });
});
