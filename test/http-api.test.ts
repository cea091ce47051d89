// The HTTP edge on a running embedded pipeline: health and metrics, queries, lazy portfolio valuation,
// user-defined alert rules that reach the analytics processors, and bad requests answered with 400s.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBus, openStore } from '../src/app/adapters.ts';
import { encodeRule, PriceFeed } from '../src/app/feeds.ts';
import { Ingest } from '../src/app/ingest.ts';
import { MarketFlow, splitEvents } from '../src/app/market-flow.ts';
import { Pipeline } from '../src/app/pipeline.ts';
import type { Bus } from '../src/bus/port.ts';
import { parseConfig } from '../src/config.ts';
import { TOPICS } from '../src/domain/topics.ts';
import type { Fill, Trade } from '../src/domain/types.ts';
import { Universe } from '../src/domain/universe.ts';
import { EngineMetrics } from '../src/engine/metrics.ts';
import { HttpServer } from '../src/server/http.ts';
import { DETERMINISTIC_START_MS } from '../src/sources/simulator.ts';
import type { Store } from '../src/store/port.ts';

const until = async (what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

describe('HTTP API on the embedded pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-http-'));
  const universe = Universe.default();
  const metrics = new EngineMetrics();
  let bus: Bus;
  let store: Store;
  let pipeline: Pipeline;
  let prices: PriceFeed;
  let http: HttpServer;
  let base = '';
  const trades: Trade[] = [];
  const fills: Fill[] = [];
  let flow: MarketFlow;
  let ingest: Ingest;

  const feed = async (events: number): Promise<void> => {
    const s = splitEvents(Array.from({ length: events }, () => flow.next()));
    trades.push(...s.trades);
    fills.push(...s.fills);
    await ingest.trades(s.trades);
    await ingest.fills(s.fills);
  };

  before(async () => {
    const config = parseConfig({
      dataDir: dir,
      bus: { partitions: 2 },
      engine: { checkpointIntervalMs: 50 },
    });
    bus = await openBus(config);
    store = await openStore(config);
    pipeline = new Pipeline({ config, bus, store, universe, metrics }).start();
    prices = new PriceFeed(bus, universe);
    prices.start();
    http = new HttpServer({
      host: '127.0.0.1',
      port: 0,
      api: {
        store,
        universe,
        prices: prices.prices,
        publishRule: (rule) => bus.send(TOPICS.alertRules, [{ key: rule.id, value: encodeRule(rule) }]),
      },
      registry: metrics.registry,
      health: { health: async () => ({ status: 'ok', detail: {} }) },
    });
    const a = await http.listen();
    base = `http://127.0.0.1:${a.port}`;
    ingest = new Ingest(bus, metrics);
    flow = new MarketFlow({
      universe,
      seed: 3,
      startTime: DETERMINISTIC_START_MS,
      tradeRate: 1000,
      fillRate: 200,
      users: 50,
    });
    await feed(5000);
  });

  after(async () => {
    await http.close();
    await prices.stop();
    await pipeline.stop();
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const r = await fetch(base + path);
    const text = await r.text();
    return {
      status: r.status,
      body: r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };
  const post = async (path: string, body: string): Promise<{ status: number; body: unknown }> => {
    const r = await fetch(base + path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    return { status: r.status, body: await r.json() };
  };

  it('serves health and Prometheus metrics', async () => {
    assert.equal((await get('/health')).status, 200);
    await until(
      'trades counted',
      async () => metrics.recordsIn.sum({ processor: 'analytics' }) >= trades.length,
    );
    const m = await get('/metrics');
    assert.equal(m.status, 200);
    assert.match(String(m.body), /# TYPE tickstream_records_in_total counter/);
    assert.match(String(m.body), /tickstream_records_in_total\{processor="analytics",topic="trades"\} \d+/);
  });

  it('answers candle queries once the sinks wrote them', async () => {
    const symbol = (trades[0] as Trade).symbol;
    await until(
      'candles stored',
      async () => ((await get(`/api/candles?symbol=${symbol}&interval=1s`)).body as unknown[]).length > 0,
    );
    const r = await get(`/api/candles?symbol=${symbol}&interval=1m&from=${DETERMINISTIC_START_MS}`);
    assert.equal(r.status, 200);
    const candles = r.body as { symbol: string; intervalMs: number }[];
    assert.ok(candles.length > 0 && candles.every((c) => c.symbol === symbol && c.intervalMs === 60_000));
  });

  it('values a portfolio when read: value = Σ quantity × last price', async () => {
    const user = (fills[0] as Fill).user;
    await until(
      'positions stored',
      async () => ((await get(`/api/users/${user}/positions`)).body as unknown[]).length > 0,
    );
    await until(
      'prices seen',
      async () => !Number.isNaN(prices.prices.price(universe.index((trades.at(-1) as Trade).symbol))),
    );
    const r = await get(`/api/users/${user}/portfolio`);
    assert.equal(r.status, 200);
    const p = r.body as {
      value: number;
      positions: { quantity: number; last: number | null; avgCost: number }[];
      sectors: Record<string, number>;
    };
    const expected = p.positions.reduce((a, x) => a + x.quantity * (x.last ?? x.avgCost), 0);
    assert.ok(Math.abs(p.value - expected) < 1e-6 * Math.max(1, Math.abs(expected)));
    const shares = Object.values(p.sectors).reduce((a, b) => a + b, 0);
    assert.ok(p.positions.length === 0 || Math.abs(shares - 1) < 1e-9, 'sector shares add up to 1');
  });

  it('lists who holds a symbol: users whose fills net to a non-zero quantity, ascending by user, limited', async () => {
    // Expected from the fills fed, independently of the position book: net quantity per symbol and user.
    const net = new Map<string, Map<number, number>>();
    for (const f of fills) {
      const bySymbol = net.get(f.symbol) ?? new Map<number, number>();
      net.set(f.symbol, bySymbol);
      bySymbol.set(f.user, (bySymbol.get(f.user) ?? 0) + (f.side === 'buy' ? 1 : -1) * f.quantity);
    }
    const holdersOf = (s: string) =>
      [...(net.get(s) ?? [])]
        .filter(([, quantity]) => quantity !== 0)
        .sort((a, b) => a[0] - b[0])
        .map(([user, quantity]) => ({ user, quantity }));
    // The symbol with the most holders.
    const sym = [...net.keys()].reduce((a, b) => (holdersOf(b).length > holdersOf(a).length ? b : a));
    const expected = holdersOf(sym);
    assert.ok(expected.length >= 3, `the tape gives ${sym} several holders`);
    let last: unknown;
    await until('holders stored', async () => {
      last = (await get(`/api/symbols/${encodeURIComponent(sym)}/holders?limit=10000`)).body;
      return JSON.stringify(last) === JSON.stringify(expected);
    }).catch(() => assert.deepEqual(last, expected));
    const two = await get(`/api/symbols/${encodeURIComponent(sym)}/holders?limit=2`);
    assert.equal(two.status, 200);
    assert.deepEqual(two.body, expected.slice(0, 2));
    assert.equal((await get('/api/symbols/ZZZZ/holders')).status, 404);
    for (const path of [
      '/api/symbols/aapl/holders',
      '/api/symbols/%E0%A4%A/holders',
      `/api/symbols/${'A'.repeat(5000)}/holders`,
      '/api/symbols/ZZZZ/holders?limit=0',
      `/api/symbols/${encodeURIComponent(sym)}/holders?limit=0`,
      `/api/symbols/${encodeURIComponent(sym)}/holders?user=1`,
    ]) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      assert.equal((r.body as { error: { code: string } }).error.code, 'BAD_REQUEST', path);
    }
  });

  it('rejects bad requests with 400 and a stable code, unknown routes with 404', async () => {
    for (const path of [
      '/api/candles?symbol=aapl',
      '/api/candles?symbol=AAPL&interval=forever',
      '/api/candles?symbol=AAPL&from=yesterday',
      '/api/candles?symbol=AAPL&extra=1',
      '/api/trades?symbol=AAPL&limit=999999999',
      '/api/alerts',
      `/api/candles?symbol=${'A'.repeat(5000)}`,
    ]) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      assert.equal((r.body as { error: { code: string } }).error.code, 'BAD_REQUEST', path);
    }
    assert.equal((await get('/api/nothing')).status, 404);
    assert.equal((await post('/api/alert-rules', '{"id":')).status, 400);
    assert.equal(
      (
        await post(
          '/api/alert-rules',
          JSON.stringify({ id: 'x', user: 1, symbol: 'AAPL', kind: 'price_above', threshold: 1, more: 1 }),
        )
      ).status,
      400,
    );
    assert.equal(
      (
        await post(
          '/api/alert-rules',
          JSON.stringify({ id: 'x', user: 1, symbol: 'ZZZZ', kind: 'price_above', threshold: 1 }),
        )
      ).status,
      400,
    );
    assert.equal(
      (
        await post(
          '/api/alert-rules',
          JSON.stringify({ id: 'x', user: 1, symbol: 'AAPL', kind: 'price_above', threshold: -1 }),
        )
      ).status,
      400,
    );
    assert.equal((await post('/api/alert-rules', 'x'.repeat(100_000))).status, 400);
    assert.equal((await get('/health')).status, 200, 'still serving after bad input');
  });

  it('a user-defined rule posted over HTTP reaches the analytics and fires once per crossing', async () => {
    const symbol = (trades.at(-1) as Trade).symbol;
    const last = prices.prices.price(universe.index(symbol));
    const rule = { id: 'r-http-1', user: 77, symbol, kind: 'price_above', threshold: last * 0.5 };
    assert.equal((await post('/api/alert-rules', JSON.stringify(rule))).status, 201);
    await new Promise((r) => setTimeout(r, 300)); // let the rule feed deliver it before the next trades
    await feed(3000);
    await until(
      'rule alert stored',
      async () => ((await get('/api/users/77/alerts')).body as unknown[]).length > 0,
    );
    const alerts = (await get('/api/users/77/alerts')).body as { kind: string; symbol: string }[];
    assert.equal(alerts.length, 1, 'fires once: the price stays above the threshold');
    assert.deepEqual([alerts[0]?.kind, alerts[0]?.symbol], ['price_above', symbol]);
    const rules = (await get('/api/alert-rules')).body as { id: string }[];
    assert.ok(rules.some((r) => r.id === 'r-http-1'));
  });
});
