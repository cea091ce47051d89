// The Store contract against SqliteStore (a fresh file database per test), plus what only the
// embedded adapter promises: persistence across close/reopen, chunked batches, typed errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isTickstreamError } from '../src/domain/errors.ts';
import { duration, eventTime, price, quantity, type Trade } from '../src/domain/types.ts';
import { SqliteStore, type Store } from '../src/store/index.ts';
import { CHUNK, DB_FILE } from '../src/store/sqlite/sqlite-store.ts';
import { storeContract } from './contract/store.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'tickstream-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `db-${n++}`);

storeContract('sqlite', async () => SqliteStore.open(freshDir()));

const T0 = Date.UTC(2024, 0, 16);
const trade = (i: number, p = 100): Trade => ({
  symbol: 'AAPL',
  price: price(p),
  size: quantity(1),
  time: eventTime(T0 + i),
  conditions: [],
  seq: i,
});
const all = { from: eventTime(T0), to: eventTime(T0 + 1_000_000) };

const opened = async (dir = ':memory:'): Promise<Store> => {
  const s = SqliteStore.open(dir);
  await s.migrate();
  return s;
};

describe('SqliteStore', () => {
  it('persists across close and reopen (data, checkpoint, schema)', async () => {
    const dir = join(freshDir(), 'nested', 'deeper');
    const s1 = await opened(dir);
    assert.ok(existsSync(join(dir, DB_FILE)));
    await s1.upsertTrades([trade(1), trade(2)]);
    const cp = {
      processor: 'analytics',
      partition: 2,
      offsets: { trades: 17 },
      state: new Uint8Array([1, 0, 2]),
      updatedAt: 5,
    };
    await s1.saveCheckpoint(cp);
    await s1.close();

    const s2 = SqliteStore.open(dir);
    // Queries work without migrate after a reopen: the schema is in the file. migrate still is a no-op.
    assert.deepEqual(await s2.trades('AAPL', all), [trade(1), trade(2)]);
    assert.deepEqual(await s2.loadCheckpoint('analytics', 2), cp);
    await s2.migrate();
    assert.equal((await s2.trades('AAPL', all)).length, 2);
    await s2.close();
  });

  it('unbounded ranges: Infinity and MAX_SAFE_INTEGER bounds are clamped, not errors', async () => {
    const s = await opened();
    await s.upsertTrades([trade(1)]);
    assert.equal((await s.trades('AAPL', { from: eventTime(-Infinity), to: eventTime(Infinity) })).length, 1);
    assert.equal(
      (await s.trades('AAPL', { from: eventTime(0), to: eventTime(Number.MAX_SAFE_INTEGER) })).length,
      1,
    );
    await s.close();
  });

  it('a batch larger than one chunk is written whole, duplicates across chunks collapsing', async () => {
    const s = await opened();
    const count = 2 * CHUNK + 17;
    const batch = Array.from({ length: count }, (_, i) => trade(i));
    batch.push(trade(0, 55)); // same key as the first row, in the last chunk: it wins
    await s.upsertTrades(batch);
    const got = await s.trades('AAPL', all);
    assert.equal(got.length, count);
    assert.equal(got[0]!.price, 55);
    assert.equal(got[count - 1]!.seq, count - 1);
    await s.close();
  });

  it('a failing row rolls back its whole chunk and rejects with a typed error', async () => {
    const s = await opened();
    const bad = { ...trade(2), time: eventTime(Number.NaN) };
    await assert.rejects(s.upsertTrades([trade(1), bad]), (e) => isTickstreamError(e, 'VALIDATION_FAILED'));
    const unbindable = { ...trade(3), conditions: undefined as unknown as string[] };
    await assert.rejects(s.upsertTrades([trade(1), unbindable]), (e) => isTickstreamError(e));
    assert.deepEqual(await s.trades('AAPL', all), []);
    await s.close();
  });

  it('rejects bad limits and NaN bounds as STORE_QUERY_INVALID', async () => {
    const s = await opened();
    await assert.rejects(s.lastFills(1, -1), (e) => isTickstreamError(e, 'STORE_QUERY_INVALID'));
    await assert.rejects(s.trades('AAPL', all, 1.5), (e) => isTickstreamError(e, 'STORE_QUERY_INVALID'));
    await assert.rejects(
      s.candles('AAPL', duration(60_000), { from: eventTime(Number.NaN), to: eventTime(1) }),
      (e) => isTickstreamError(e, 'STORE_QUERY_INVALID'),
    );
    await s.close();
  });

  it('before migrate a fresh file has no tables; after close every call is STORE_UNAVAILABLE', async () => {
    const s = SqliteStore.open(':memory:');
    await assert.rejects(s.trades('AAPL', all), (e) => isTickstreamError(e, 'STORE_QUERY_INVALID'));
    await s.migrate();
    await s.close();
    await s.close(); // idempotent
    await assert.rejects(
      s.trades('AAPL', all),
      (e) => isTickstreamError(e, 'STORE_UNAVAILABLE') && !e.retryable,
    );
    await assert.rejects(s.upsertTrades([trade(1)]), (e) => isTickstreamError(e, 'STORE_UNAVAILABLE'));
    await assert.rejects(s.migrate(), (e) => isTickstreamError(e, 'STORE_UNAVAILABLE'));
  });

  it('a second connection to the same file sees committed writes (WAL readers)', async () => {
    const dir = freshDir();
    const writer = await opened(dir);
    const reader = SqliteStore.open(dir);
    await writer.upsertTrades([trade(1)]);
    assert.equal((await reader.trades('AAPL', all)).length, 1);
    await writer.upsertTrades([trade(2)]);
    assert.equal((await reader.trades('AAPL', all)).length, 2);
    await reader.close();
    await writer.close();
  });
});
