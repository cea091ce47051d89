// A sink's write is not awaited by the processing path, so records keep arriving while it is in flight
// (or being retried while the database is down): none of them may be lost, and an older value must never
// overwrite a newer one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusRecord } from '../bus/port.ts';
import { encodeCandle } from '../domain/codec.ts';
import { TickstreamError } from '../domain/errors.ts';
import { TOPICS } from '../domain/topics.ts';
import type { Candle, DurationMs, EventTimeMs, Price, Quantity } from '../domain/types.ts';
import { Universe } from '../domain/universe.ts';
import type { Store } from '../store/port.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { storeSinks } from './sinks.ts';

const candle = (close: number, final: boolean): Candle => ({
  symbol: 'AAPL',
  intervalMs: 1000 as DurationMs,
  start: Date.UTC(2024, 0, 2) as EventTimeMs,
  open: 100 as Price,
  high: Math.max(100, close) as Price,
  low: Math.min(100, close) as Price,
  close: close as Price,
  volume: 10 as Quantity,
  vwap: 100 as Price,
  trades: 2,
  final,
  indicators: {},
});
let offset = 0;
const rec = (c: Candle): BusRecord => ({
  topic: TOPICS.candles,
  partition: 0,
  offset: offset++,
  key: c.symbol,
  value: encodeCandle(c),
  timestamp: Date.now(),
});
const ctx = { deadletter: () => assert.fail('no deadletters expected') };

/** A real store whose candle writes wait for a gate, and fail first when told to. */
const gated = (store: Store) => {
  let open: () => void = () => {};
  let gate = new Promise<void>((r) => {
    open = r;
  });
  let failNext = false;
  const wrapped = Object.create(store) as Store;
  wrapped.upsertCandles = async (rows) => {
    await gate;
    if (failNext) {
      failNext = false;
      throw new TickstreamError('STORE_UNAVAILABLE', 'injected outage');
    }
    return store.upsertCandles(rows);
  };
  return {
    store: wrapped,
    release: () => open(),
    close: () => {
      gate = new Promise((r) => {
        open = r;
      });
    },
    failOnce: () => {
      failNext = true;
    },
  };
};

describe('store sinks while a write is in flight', () => {
  const setup = async () => {
    const real = SqliteStore.open(':memory:');
    await real.migrate();
    const g = gated(real);
    const spec = storeSinks({ store: g.store, universe: Universe.default(), tape: false }).find(
      (s) => s.topic === TOPICS.candles,
    );
    assert.ok(spec);
    return { real, g, task: spec.createTask(0, undefined) };
  };
  const range = { from: 0 as EventTimeMs, to: 8.64e15 as EventTimeMs };

  it('keeps records that arrive during a write for the next one', async () => {
    const { real, g, task } = await setup();
    task.process([rec(candle(101, false))], ctx);
    const first = task.flush();
    task.process([rec(candle(102, true))], ctx); // arrives while the first write waits
    g.release();
    await first;
    await task.flush();
    const [c] = await real.candles('AAPL', 1000, range);
    assert.deepEqual([c?.close, c?.final], [102, true]);
  });

  it('a failed write is retried with the newer value winning', async () => {
    const { real, g, task } = await setup();
    g.failOnce();
    task.process([rec(candle(101, false))], ctx);
    const first = task.flush();
    task.process([rec(candle(103, true))], ctx);
    g.release();
    await assert.rejects(first);
    await task.flush(); // the runtime's retry
    const [c] = await real.candles('AAPL', 1000, range);
    assert.deepEqual([c?.close, c?.final], [103, true]);
  });
});
