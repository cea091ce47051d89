import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Universe } from '../domain/universe.ts';
import { backoffDelay, type FeedBatch, type FeedStatus, finnhubFeed } from './finnhub-feed.ts';
import { startTestWsServer } from './ws-test-server.ts';

test('backoff doubles from the initial delay up to the cap', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 10, 100].map((a) => backoffDelay(a, 500, 30_000)),
    [500, 1000, 2000, 4000, 30_000, 30_000],
  );
});

test('subscribes, yields trades and rejects, and resubscribes after a dropped connection', {
  timeout: 20_000,
}, async () => {
  const server = await startTestWsServer();
  const ac = new AbortController();
  const statuses: FeedStatus['state'][] = [];
  const feed = finnhubFeed({
    url: server.url,
    symbols: ['AAPL', 'MSFT'],
    signal: ac.signal,
    initialBackoffMs: 20,
    universe: Universe.default(),
    onStatus: (s) => statuses.push(s.state),
  });
  const it = feed[Symbol.asyncIterator]();
  const batches: FeedBatch[] = [];
  const next = async (): Promise<FeedBatch> => {
    const r = await it.next();
    assert.equal(r.done, false);
    batches.push(r.value as FeedBatch);
    return r.value as FeedBatch;
  };
  try {
    const pending = next(); // starts the connection
    const c1 = await server.waitFor(1, 2);
    assert.deepEqual(
      c1.received.map((m) => JSON.parse(m)),
      [
        { type: 'subscribe', symbol: 'AAPL' },
        { type: 'subscribe', symbol: 'MSFT' },
      ],
    );
    const msg = JSON.stringify({
      type: 'trade',
      data: [
        { s: 'AAPL', p: 190.5, t: 1704205800000, v: 100, c: ['1'] },
        { s: 'MSFT', p: -1, t: 1704205800001, v: 5 },
        { s: 'NOPE', p: 10, t: 1704205800002, v: 5 },
        { s: 'MSFT', p: 410, t: 1704205800003, v: 7 },
      ],
    });
    c1.send(msg);
    c1.send('{"type":"ping"}');
    c1.send('not json');
    const b1 = await pending;
    const trades = [...b1.trades];
    const rejects = [...b1.rejects];
    while (trades.length < 2 || rejects.length < 3) {
      const b = await next();
      trades.push(...b.trades);
      rejects.push(...b.rejects);
    }
    assert.deepEqual(
      trades.map((t) => [t.symbol, t.price, t.size, t.time, t.seq]),
      [
        ['AAPL', 190.5, 100, 1704205800000, 1],
        ['MSFT', 410, 7, 1704205800003, 2],
      ],
    );
    assert.deepEqual(
      rejects.map((r) => [r.reason, r.message]),
      [
        ['non_positive', 1],
        ['unknown_symbol', 1],
        ['decode_error', 3], // the ping (message 2) is neither a trade nor a reject
      ],
    );
    assert.equal(rejects[0]?.raw, msg);

    c1.drop();
    const after = next(); // the generator is lazy: it reconnects while a next() is pending
    const c2 = await server.waitFor(2, 2);
    assert.equal(c2.received.length, 2, 'subscribed again after reconnecting');
    c2.send(JSON.stringify({ type: 'trade', data: [{ s: 'AAPL', p: 191, t: 1704205860000, v: 1 }] }));
    let again = await after;
    while (again.trades.length === 0) again = await next();
    assert.equal(again.trades[0]?.seq, 3, 'seq keeps counting across reconnects');
    assert.ok(
      statuses.includes('closed') && statuses.filter((s) => s === 'open').length === 2,
      statuses.join(),
    );
  } finally {
    ac.abort();
    await it.return?.(undefined);
    await server.close();
  }
});
