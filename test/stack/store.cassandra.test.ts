// The Store contract against a real Cassandra node (scripts/stack/stack.sh start cassandra), plus what
// only this adapter promises: typed errors from the driver, open ranges through the day index.
// Runs only with STACK_TESTS=1 (scripts/test.sh sets it after starting the stack); otherwise the
// whole file is skipped.
//
// Each run uses a keyspace of its own, created once for the file and dropped at the end: Cassandra
// schema changes take about a second each, and a fresh keyspace keeps runs independent of each other
// (the deadletter cases read "the newest rows", which earlier runs' future-dated rows would displace).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'cassandra-driver';
import { ConfigSchema } from '../../src/config.ts';
import { isTickstreamError } from '../../src/domain/errors.ts';
import { type Candle, duration, eventTime, price, quantity, type Trade } from '../../src/domain/types.ts';
import { CassandraStore } from '../../src/store/cassandra/index.ts';
import {
  keyspaceDdl,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersionDdl,
} from '../../src/store/cassandra/schema.ts';
import { storeContract } from '../contract/store.contract.ts';

const enabled = process.env.STACK_TESTS === '1';
const contactPoint = `127.0.0.1:${process.env.STACK_CASSANDRA_PORT ?? '9042'}`;
const keyspace = `tickstream_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const cfg = ConfigSchema.parse({
  store: { kind: 'cassandra', cassandra: { contactPoints: [contactPoint], keyspace } },
}).store.cassandra;

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 16);
const trade = (symbol: string, time: number, seq: number): Trade => ({
  symbol,
  price: price(100 + seq),
  size: quantity(1),
  time: eventTime(time),
  conditions: [],
  seq,
});

describe('CassandraStore', {
  skip: enabled ? false : 'set STACK_TESTS=1 with the local stack running',
}, () => {
  before(async () => {
    // Drop keyspaces left behind by runs that died before their `after` (keeps the node small).
    const admin = new Client({ contactPoints: [contactPoint], localDataCenter: cfg.localDataCenter });
    try {
      await admin.connect();
      const rs = await admin.execute('SELECT keyspace_name FROM system_schema.keyspaces');
      for (const r of rs.rows) {
        const name = String(r.keyspace_name);
        if (name.startsWith('tickstream_test_') && name !== keyspace)
          await admin.execute(`DROP KEYSPACE IF EXISTS ${name}`);
      }
    } finally {
      await admin.shutdown();
    }
    const store = await CassandraStore.connect(cfg);
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
  });
  after(async () => {
    const admin = new Client({ contactPoints: [contactPoint], localDataCenter: cfg.localDataCenter });
    try {
      await admin.connect();
      await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    } finally {
      await admin.shutdown();
    }
  });

  storeContract('cassandra', () => CassandraStore.connect(cfg));

  describe('adapter specifics', () => {
    it('a keyspace at schema version 1 migrates to the latest; a second migrate changes nothing', async () => {
      const ks = `tickstream_test_m${randomUUID().replaceAll('-', '').slice(0, 11)}`;
      const admin = new Client({ contactPoints: [contactPoint], localDataCenter: cfg.localDataCenter });
      await admin.connect();
      const tables = async (): Promise<string[]> =>
        (
          await admin.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [ks])
        ).rows
          .map((r) => String(r.table_name))
          .sort();
      const version = async (): Promise<unknown> =>
        (await admin.execute(`SELECT version FROM ${ks}.schema_version WHERE id = 0`)).first()?.version;
      try {
        // What a build with only migration 1 left behind, with a fill in v1's unbucketed table.
        await admin.execute(keyspaceDdl(ks, cfg.localDataCenter, 1));
        await admin.execute(schemaVersionDdl(ks));
        for (const ddl of MIGRATIONS[0]!.statements(ks)) await admin.execute(ddl);
        await admin.execute(`INSERT INTO ${ks}.schema_version (id, version) VALUES (0, 1)`);
        await admin.execute(`INSERT INTO ${ks}.fills_by_user (user_id, time, fill_id) VALUES (1, 2, 'kept')`);
        await admin.execute(
          `INSERT INTO ${ks}.checkpoints (processor, part, offsets, state, updated_at) VALUES ('v1proc', 2, '{"trades":9}', 0x040506, 3)`,
        );
        // A candle and a trade in v1's value columns (v3 moved the values into one cell each).
        const t0 = Date.UTC(2024, 0, 2, 15, 30);
        await admin.execute(
          `INSERT INTO ${ks}.candles_by_symbol_interval_day (symbol, interval_ms, day, start_ms, open, high, low, close, volume, vwap, trades, final, indicators)
           VALUES ('OLD', 60000, '2024-01-02', ${t0}, 1, 2, 0.5, 1.5, 10, 1.25, 3, true, '{"rsi":50}')`,
        );
        await admin.execute(
          `INSERT INTO ${ks}.trades_by_symbol_day (symbol, day, time, seq, price, size, conditions)
           VALUES ('OLD', '2024-01-02', ${t0}, 7, 1.5, 10, '["@"]')`,
        );
        for (const [tbl, key] of [
          ['candles', 'OLD/60000'],
          ['trades', 'OLD'],
        ]) {
          await admin.execute(
            `INSERT INTO ${ks}.partition_index (tbl, key, day) VALUES (?, ?, '2024-01-02')`,
            [tbl, key],
          );
        }
        const v1Tables = await tables();
        assert.ok(!v1Tables.includes('fills_by_user_day'));

        const store = await CassandraStore.connect({ ...cfg, keyspace: ks });
        try {
          await store.migrate();
          assert.equal(await version(), SCHEMA_VERSION);
          const latest = await tables();
          assert.deepEqual(
            latest,
            [
              ...v1Tables,
              'alerts_by_user_day',
              'checkpoint_chunks',
              'fills_by_user_day',
              'holders_by_symbol_shard',
            ].sort(),
          );
          // A checkpoint saved by v1 (no chunk columns) still loads.
          const v1 = await store.loadCheckpoint('v1proc', 2);
          assert.deepEqual(v1?.offsets, { trades: 9 });
          assert.deepEqual(v1?.state, new Uint8Array([4, 5, 6]));
          // Rows written before v3 read from their columns; a v3 write of the same candle replaces
          // them, and new rows carry only the key and the value cell.
          const day = { from: eventTime(t0), to: eventTime(t0 + 86_400_000) };
          const oldCandle = {
            symbol: 'OLD',
            intervalMs: duration(60_000),
            start: eventTime(t0),
            open: price(1),
            high: price(2),
            low: price(0.5),
            close: price(1.5),
            volume: quantity(10),
            vwap: price(1.25),
            trades: 3,
            final: true,
            indicators: { rsi: 50 },
          };
          const oldTrade = {
            symbol: 'OLD',
            price: price(1.5),
            size: quantity(10),
            time: eventTime(t0),
            conditions: ['@'],
            seq: 7,
          };
          assert.deepEqual(await store.candles('OLD', 60_000, day), [oldCandle]);
          assert.deepEqual(await store.trades('OLD', day), [oldTrade]);
          const revised = { ...oldCandle, close: price(1.75), trades: 4, indicators: { rsi: 55 } };
          const next = { ...oldCandle, start: eventTime(t0 + 60_000), final: false };
          await store.upsertCandles([revised, next]);
          await store.upsertTrades([{ ...oldTrade, seq: 8, price: price(1.6) }]);
          assert.deepEqual(await store.candles('OLD', 60_000, day), [revised, next]);
          assert.deepEqual(await store.trades('OLD', day), [oldTrade, { ...oldTrade, seq: 8, price: 1.6 }]);
          const raw = (
            await admin.execute(
              `SELECT open, indicators, bar FROM ${ks}.candles_by_symbol_interval_day WHERE symbol = 'OLD' AND interval_ms = 60000 AND day = '2024-01-02' AND start_ms = ${t0 + 60_000}`,
            )
          ).first();
          assert.equal(raw?.open, null);
          assert.equal(raw?.indicators, null);
          assert.equal(raw?.bar?.close, 1.5);
          // v1's table and its row are left alone (an upgrade never drops data).
          assert.equal(
            (await admin.execute(`SELECT fill_id FROM ${ks}.fills_by_user`)).first()?.fill_id,
            'kept',
          );
          await store.migrate();
          assert.deepEqual(await tables(), latest);
          assert.equal(await version(), SCHEMA_VERSION);
        } finally {
          await store.close();
        }
      } finally {
        await admin.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
        await admin.shutdown();
      }
    });

    it('checkpoint state past the 16 MiB request limit: chunked, read back whole; replaced generations deleted', async () => {
      const store = await CassandraStore.connect(cfg);
      const admin = new Client({ contactPoints: [contactPoint], localDataCenter: cfg.localDataCenter });
      await admin.connect();
      const processor = `big-${randomUUID().slice(0, 8)}`;
      // Generations of this processor's partition 5 that still have chunks (DISTINCT over partition keys).
      const generations = async (): Promise<string[]> =>
        (
          await admin.execute(
            `SELECT DISTINCT processor, part, generation FROM ${keyspace}.checkpoint_chunks`,
          )
        ).rows
          .filter((r) => r.processor === processor && r.part === 5)
          .map((r) => String(r.generation));
      try {
        // 20 MiB: one request of it was refused ("Request is too big ... 16777216") before chunking.
        const state = new Uint8Array(20 * 1024 * 1024);
        for (let i = 0; i < state.length; i += 4096) state[i] = (i >> 12) & 0xff;
        state[state.length - 1] = 7;
        const c = { processor, partition: 5, offsets: { fills: 123 }, state, updatedAt: 1_700_000_000_000 };
        await store.saveCheckpoint(c);
        const back = await store.loadCheckpoint(processor, 5);
        assert.equal(back?.state.length, state.length);
        assert.ok(Buffer.from(back!.state).equals(Buffer.from(state)), 'state bytes');
        assert.deepEqual(back?.offsets, { fills: 123 });
        const [first] = await generations();
        assert.equal((await generations()).length, 1);
        // A second large checkpoint replaces the first generation; a small one replaces that.
        await store.saveCheckpoint({
          ...c,
          state: state.subarray(0, 3 * 1024 * 1024),
          updatedAt: c.updatedAt + 1,
        });
        const second = await generations();
        assert.equal(second.length, 1);
        assert.notEqual(second[0], first);
        await store.saveCheckpoint({ ...c, state: new Uint8Array([1, 2]), updatedAt: c.updatedAt + 2 });
        assert.deepEqual(await generations(), []);
        assert.deepEqual((await store.loadCheckpoint(processor, 5))?.state, new Uint8Array([1, 2]));
        // A fresh instance (no memory of what it wrote) also deletes the generation it replaces.
        await store.saveCheckpoint({ ...c, updatedAt: c.updatedAt + 3 });
        const other = await CassandraStore.connect(cfg);
        try {
          await other.saveCheckpoint({ ...c, state: new Uint8Array([3]), updatedAt: c.updatedAt + 4 });
        } finally {
          await other.close();
        }
        assert.deepEqual(await generations(), []);
      } finally {
        await admin.shutdown();
        await store.close();
      }
    });

    it('a chunked checkpoint that lost a chunk, or claims more than its chunks hold, is CHECKPOINT_CORRUPT', async () => {
      const store = await CassandraStore.connect(cfg, { checkpointChunkBytes: 1000 });
      const admin = new Client({ contactPoints: [contactPoint], localDataCenter: cfg.localDataCenter });
      await admin.connect();
      const processor = `lost-${randomUUID().slice(0, 8)}`;
      try {
        const state = Uint8Array.from({ length: 4500 }, (_, i) => i % 256);
        // The last chunk lost, then (in a new generation) a middle one.
        for (const [seq, updatedAt] of [
          [4, 1],
          [2, 2],
        ] as const) {
          await store.saveCheckpoint({ processor, partition: 0, offsets: { t: 1 }, state, updatedAt });
          assert.deepEqual((await store.loadCheckpoint(processor, 0))?.state, state);
          const head = (
            await admin.execute(
              `SELECT generation, chunks FROM ${keyspace}.checkpoints WHERE processor = ? AND part = 0`,
              [processor],
            )
          ).first();
          assert.equal(head?.chunks, 5);
          await admin.execute(
            `DELETE FROM ${keyspace}.checkpoint_chunks WHERE processor = ? AND part = 0 AND generation = ? AND seq = ?`,
            [processor, head?.generation, seq],
            { prepare: true },
          );
          await assert.rejects(store.loadCheckpoint(processor, 0), (e) =>
            isTickstreamError(e, 'CHECKPOINT_CORRUPT'),
          );
        }
        // A head row whose size its chunks cannot hold: refused before anything is allocated for it.
        await admin.execute(
          `UPDATE ${keyspace}.checkpoints SET state_size = ? WHERE processor = ? AND part = 0`,
          [2 ** 50, processor],
          { prepare: true },
        );
        await assert.rejects(
          store.loadCheckpoint(processor, 0),
          (e) => isTickstreamError(e, 'CHECKPOINT_CORRUPT') && /cannot hold/.test(e.message),
        );
      } finally {
        await admin.shutdown();
        await store.close();
      }
    });

    it('open ranges (0 to +Infinity) read every day present, in order, across years', async () => {
      const store = await CassandraStore.connect(cfg);
      try {
        const sym = `OPEN-${randomUUID().slice(0, 8)}`;
        const times = [T0 + 400 * DAY, T0 - 3000 * DAY, T0, T0 + DAY - 1, T0 + DAY];
        await store.upsertTrades(times.map((t, i) => trade(sym, t, i)));
        const all = await store.trades(sym, { from: eventTime(0), to: eventTime(Number.POSITIVE_INFINITY) });
        assert.deepEqual(
          all.map((t) => t.time),
          [...times].sort((a, b) => a - b),
        );
        const limited = await store.trades(
          sym,
          { from: eventTime(0), to: eventTime(Number.MAX_SAFE_INTEGER) },
          3,
        );
        assert.deepEqual(
          limited.map((t) => t.time),
          [T0 - 3000 * DAY, T0, T0 + DAY - 1],
        );
        // A second instance (empty index cache) writing the same day again changes nothing.
        const other = await CassandraStore.connect(cfg);
        try {
          await other.upsertTrades([trade(sym, T0 + 5, 99)]);
        } finally {
          await other.close();
        }
        assert.equal((await store.trades(sym, { from: eventTime(T0), to: eventTime(T0 + DAY) })).length, 3);
      } finally {
        await store.close();
      }
    });

    it('a batch much larger than one partition chunk, over many partitions, reads back whole', async () => {
      const store = await CassandraStore.connect(cfg);
      try {
        const syms = Array.from({ length: 7 }, (_, i) => `BIG${i}-${randomUUID().slice(0, 8)}`);
        const candles: Candle[] = [];
        for (let k = 0; k < 1200; k++) {
          const start = T0 - DAY + k * 120_000; // two days of 2-minute bars
          candles.push({
            symbol: syms[k % syms.length]!,
            intervalMs: duration(60_000),
            start: eventTime(start),
            open: price(k),
            high: price(k + 1),
            low: price(k - 1),
            close: price(k + 0.5),
            volume: quantity(k * 10),
            vwap: price(k + 0.25),
            trades: k,
            final: true,
            indicators: {},
          });
        }
        await store.upsertCandles(candles);
        for (const s of syms) {
          const want = candles.filter((c) => c.symbol === s).map((c) => c.start);
          const got = await store.candles(s, 60_000, {
            from: eventTime(0),
            to: eventTime(Number.POSITIVE_INFINITY),
          });
          assert.deepEqual(
            got.map((c) => c.start),
            want,
          );
        }
      } finally {
        await store.close();
      }
    });

    it('typed errors: bad values are VALIDATION_FAILED, an unreachable cluster STORE_UNAVAILABLE (retryable)', async () => {
      const store = await CassandraStore.connect(cfg);
      try {
        await assert.rejects(store.upsertTrades([trade('X', T0, 1.5)]), (e) =>
          isTickstreamError(e, 'VALIDATION_FAILED'),
        );
        await assert.rejects(store.trades('X', { from: eventTime(Number.NaN), to: eventTime(1) }), (e) =>
          isTickstreamError(e, 'STORE_QUERY_INVALID'),
        );
        await assert.rejects(store.lastFills(1, -1), (e) => isTickstreamError(e, 'STORE_QUERY_INVALID'));
      } finally {
        await store.close();
      }
      await assert.rejects(
        store.positions(1),
        (e) => isTickstreamError(e, 'STORE_UNAVAILABLE') && !e.retryable,
      );
      // Port 9 (discard) on loopback: nothing listens, the connection is refused.
      await assert.rejects(
        CassandraStore.connect({ ...cfg, contactPoints: ['127.0.0.1:9'] }),
        (e) => isTickstreamError(e, 'STORE_UNAVAILABLE') && e.retryable,
      );
    });

    it('a query against a missing keyspace is STORE_QUERY_INVALID', async () => {
      const store = await CassandraStore.connect({ ...cfg, keyspace: `${keyspace}_missing` });
      try {
        await assert.rejects(store.positions(1), (e) => isTickstreamError(e, 'STORE_QUERY_INVALID'));
      } finally {
        await store.close();
      }
    });
  });
});
