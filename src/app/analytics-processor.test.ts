import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveAnalyticsConfig } from '../analytics/config.ts';
import type { Bus, BusRecord } from '../bus/port.ts';
import { encodeTrade } from '../domain/codec.ts';
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
