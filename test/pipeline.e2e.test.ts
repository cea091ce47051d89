// End to end on the embedded default: simulated market → bus → analytics and portfolios → sinks →
// SQLite, with hostile records injected at the bus edge. Checks invariants computed independently
// from the input (candle volumes and counts, OHLC ordering, positions = Σ signed fills) and the
// reconciliation records in = processed + deadlettered.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBus, openStore } from '../src/app/adapters.ts';
import { Ingest } from '../src/app/ingest.ts';
import { MarketFlow, splitEvents } from '../src/app/market-flow.ts';
import { Pipeline } from '../src/app/pipeline.ts';
import type { Bus } from '../src/bus/port.ts';
import { parseConfig } from '../src/config.ts';
import { encodeTrade } from '../src/domain/codec.ts';
import { TOPICS } from '../src/domain/topics.ts';
import type { EventTimeMs, Fill, Price, Quantity, Trade } from '../src/domain/types.ts';
import { Universe } from '../src/domain/universe.ts';
import { EngineMetrics } from '../src/engine/metrics.ts';
import { DETERMINISTIC_START_MS } from '../src/sources/simulator.ts';
import type { Store } from '../src/store/port.ts';

const TRADES = 40_000;
const INTERVALS = [1000, 60_000, 300_000, 3_600_000];
const ALL: { from: EventTimeMs; to: EventTimeMs } = { from: 0 as EventTimeMs, to: 8.64e15 as EventTimeMs };

describe('embedded pipeline end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-e2e-'));
  const universe = Universe.default();
  const metrics = new EngineMetrics();
  let bus: Bus;
  let store: Store;
  let pipeline: Pipeline;
  const trades: Trade[] = [];
  const fills: Fill[] = [];
  const injected: { reason: string; value: Uint8Array; key: string }[] = [];

  before(async () => {
    const config = parseConfig({
      dataDir: dir,
      bus: { partitions: 4 },
      engine: { allowedLatenessMs: 2000, checkpointIntervalMs: 50 },
    });
    bus = await openBus(config);
    store = await openStore(config);
    pipeline = new Pipeline({ config, bus, store, universe, metrics }).start();
    const ingest = new Ingest(bus, metrics);
    const flow = new MarketFlow({
      universe,
      seed: 7,
      startTime: DETERMINISTIC_START_MS,
      tradeRate: 2000,
      fillRate: 500,
      users: 300,
    });
    while (trades.length < TRADES) {
      const batch = Array.from({ length: 1000 }, () => flow.next());
      const s = splitEvents(batch);
      trades.push(...s.trades);
      fills.push(...s.fills);
      await ingest.trades(s.trades);
      await ingest.fills(s.fills);
    }
    // Hostile records, as a foreign producer could write them straight onto the trades topic.
    const good = trades[trades.length - 1] as Trade;
    const mk = (over: Partial<Trade>): Uint8Array =>
      encodeTrade({ ...good, seq: 9_000_000 + injected.length, ...over });
    injected.push(
      { reason: 'decode_error', key: 'AAPL', value: new Uint8Array([0, 0, 0, 0, 1, 0xff, 0xff, 0xff]) },
      { reason: 'non_finite', key: good.symbol, value: mk({ price: Number.NaN as Price }) },
      { reason: 'non_finite', key: good.symbol, value: mk({ size: Number.POSITIVE_INFINITY as Quantity }) },
      { reason: 'non_positive', key: good.symbol, value: mk({ size: -5 as Quantity }) },
      { reason: 'non_positive', key: good.symbol, value: mk({ price: 0 as Price }) },
      { reason: 'unknown_symbol', key: 'ZZZZZ', value: mk({ symbol: 'ZZZZZ' }) },
      { reason: 'bad_timestamp', key: good.symbol, value: mk({ time: 5 as EventTimeMs }) },
      { reason: 'oversized', key: good.symbol, value: new Uint8Array(200_000) },
      { reason: 'duplicate', key: good.symbol, value: encodeTrade(good) },
      { reason: 'late', key: good.symbol, value: mk({ time: (good.time - 60_000) as EventTimeMs }) },
    );
    await bus.send(
      TOPICS.trades,
      injected.map((i) => ({ key: i.key, value: i.value })),
    );
    await pipeline.finish();
  });

  after(async () => {
    await pipeline.stop();
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles: records in = processed + deadlettered', () => {
    const labels = { processor: 'analytics' };
    const inn = metrics.recordsIn.sum(labels);
    assert.equal(inn, trades.length + injected.length);
    assert.equal(metrics.recordsProcessed.sum(labels) + metrics.recordsDeadlettered.sum(labels), inn);
    assert.equal(metrics.recordsDeadlettered.sum(labels), injected.length);
  });

  it('sends each bad record to deadletter with its reason and original bytes', async () => {
    const rows = (await store.deadletters(1000)).filter((d) => d.sourceTopic === TOPICS.trades);
    assert.equal(rows.length, injected.length);
    const reasons = rows.map((r) => r.reason).sort();
    assert.deepEqual(reasons, injected.map((i) => i.reason).sort());
    const dup = rows.find((r) => r.reason === 'duplicate');
    assert.deepEqual(
      new Uint8Array(dup?.payload ?? []),
      new Uint8Array(injected.find((i) => i.reason === 'duplicate')?.value ?? [1]),
    );
  });

  it('candles: Σ volume = Σ trade size and Σ count = trades, per symbol and interval; low ≤ open, close ≤ high', async () => {
    const bySymbol = new Map<string, { volume: number; count: number }>();
    for (const t of trades) {
      const s = bySymbol.get(t.symbol) ?? { volume: 0, count: 0 };
      s.volume += t.size;
      s.count++;
      bySymbol.set(t.symbol, s);
    }
    let checked = 0;
    for (const [symbol, expected] of [...bySymbol].slice(0, 60)) {
      for (const interval of INTERVALS) {
        const candles = await store.candles(symbol, interval, ALL);
        const volume = candles.reduce((a, c) => a + c.volume, 0);
        const count = candles.reduce((a, c) => a + c.trades, 0);
        assert.equal(volume, expected.volume, `${symbol} ${interval} volume`);
        assert.equal(count, expected.count, `${symbol} ${interval} count`);
        for (const c of candles) {
          assert.ok(c.final, 'every window closed at end of input');
          assert.ok(
            c.low <= Math.min(c.open, c.close) && Math.max(c.open, c.close) <= c.high,
            `${symbol} OHLC`,
          );
          assert.ok(
            c.low - c.vwap <= 1e-9 * c.low && c.vwap - c.high <= 1e-9 * c.high,
            'vwap within the range',
          );
        }
        checked++;
      }
    }
    assert.equal(checked, 240);
  });

  it('candle OHLC equals an independent recomputation from the trades', async () => {
    const symbol = (trades[0] as Trade).symbol;
    const mine = trades.filter((t) => t.symbol === symbol);
    const buckets = new Map<number, Trade[]>();
    for (const t of mine) {
      const b = Math.floor(t.time / 60_000) * 60_000;
      buckets.set(b, [...(buckets.get(b) ?? []), t]);
    }
    const candles = await store.candles(symbol, 60_000, ALL);
    assert.equal(candles.length, buckets.size);
    for (const c of candles) {
      const ts = (buckets.get(c.start) ?? []).sort((a, b) => a.time - b.time || a.seq - b.seq);
      assert.equal(c.open, ts[0]?.price);
      assert.equal(c.close, ts.at(-1)?.price);
      assert.equal(c.high, Math.max(...ts.map((t) => t.price)));
      assert.equal(c.low, Math.min(...ts.map((t) => t.price)));
      const vwap = ts.reduce((a, t) => a + t.price * t.size, 0) / ts.reduce((a, t) => a + t.size, 0);
      assert.ok(Math.abs(c.vwap - vwap) <= 1e-9 * vwap, 'vwap');
    }
  });

  it('indicators appear once warmed up (SMA 5 on 1 s candles)', async () => {
    const symbol = (trades[0] as Trade).symbol;
    const candles = await store.candles(symbol, 1000, ALL);
    assert.ok(candles.length > 10);
    const c = candles[9];
    assert.ok(c?.indicators.sma?.[5] !== undefined, 'sma 5 after 10 bars');
    const closes = candles.slice(5, 10).map((x) => x.close);
    assert.ok(Math.abs((c?.indicators.sma?.[5] ?? 0) - closes.reduce((a, b) => a + b, 0) / 5) < 1e-9);
  });

  it('positions = Σ signed fills per user and symbol', async () => {
    const expected = new Map<string, number>();
    for (const f of fills) {
      const k = `${f.user}:${f.symbol}`;
      expected.set(k, (expected.get(k) ?? 0) + (f.side === 'buy' ? f.quantity : -f.quantity));
    }
    const users = [...new Set(fills.map((f) => f.user))];
    assert.ok(users.length > 100);
    let n = 0;
    for (const u of users) {
      for (const p of await store.positions(u)) {
        assert.equal(p.quantity, expected.get(`${u}:${p.symbol}`) ?? 0, `user ${u} ${p.symbol}`);
        n++;
      }
    }
    const nonZero = [...expected.values()].filter((q) => q !== 0).length;
    assert.ok(n >= nonZero, `every open position stored (${n} ≥ ${nonZero})`);
  });

  it('keeps the raw tape and the last fills', async () => {
    const t = trades[100] as Trade;
    const tape = await store.trades(t.symbol, { from: t.time, to: (t.time + 1) as EventTimeMs });
    assert.ok(tape.some((x) => x.seq === t.seq && x.price === t.price));
    const f = fills[0] as Fill;
    const last = await store.lastFills(f.user, 1000);
    assert.ok(last.some((x) => x.fillId === f.fillId));
  });

  it('writes firm statistics whose volumes add up to the fills', async () => {
    const day = new Date(DETERMINISTIC_START_MS).toISOString().slice(0, 10);
    const rows = await store.firmStats(day);
    assert.ok(rows.length > 0);
    let volume = 0;
    for (const r of rows) for (const v of Object.values(r.stats.volumeBySymbol)) volume += v.buy + v.sell;
    assert.equal(
      volume,
      fills.reduce((a, f) => a + f.quantity, 0),
    );
  });
});
