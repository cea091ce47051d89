// The Store contract: every adapter (SQLite now, Cassandra later) registers these cases with its own
// factory. They must also pass against a long-lived shared database, so each case writes under names
// of its own (random symbols, users, days, topics) and never counts rows it did not write; and since
// a real cluster is slow in unpredictable ways, nothing here looks at a clock.
import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Alert,
  type AlertRule,
  type Candle,
  type Deadletter,
  duration,
  eventTime,
  type Fill,
  type IndicatorValues,
  type PortfolioValue,
  type Position,
  price,
  procTime,
  quantity,
  type Trade,
} from '../../src/domain/types.ts';
import type { Checkpoint, Store } from '../../src/store/port.ts';
import { dayOf } from '../../src/store/port.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A UTC midnight: ranges around it cross a day bucket. */
const MIDNIGHT = Date.UTC(2024, 0, 16);

/** A name no other test (or earlier run against a shared database) uses. */
const uniq = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 13)}`;
/** A user id of its own: random in a wide range, then consecutive ids from there. */
const userBase = (): number => randomInt(1_000_000, 2 ** 31 - 100);

const trade = (symbol: string, time: number, seq: number, p = 100, extra: Partial<Trade> = {}): Trade => ({
  symbol,
  price: price(p),
  size: quantity(10),
  time: eventTime(time),
  conditions: [],
  seq,
  ...extra,
});

const candle = (symbol: string, intervalMs: number, start: number, extra: Partial<Candle> = {}): Candle => ({
  symbol,
  intervalMs: duration(intervalMs),
  start: eventTime(start),
  open: price(100),
  high: price(101.5),
  low: price(99.25),
  close: price(100.75),
  volume: quantity(1234.5),
  vwap: price(100.3125),
  trades: 17,
  final: true,
  indicators: {},
  ...extra,
});

const alert = (symbol: string, time: number, id: string, extra: Partial<Alert> = {}): Alert => ({
  symbol,
  time: eventTime(time),
  kind: 'pct_move',
  value: 3.25,
  threshold: 3,
  id,
  message: `${symbol} moved`,
  ...extra,
});

const position = (user: number, symbol: string, qty: number, extra: Partial<Position> = {}): Position => ({
  user,
  symbol,
  quantity: qty,
  avgCost: price(50.5),
  realizedPnl: 0,
  updatedAt: eventTime(MIDNIGHT),
  ...extra,
});

const pv = (user: number, time: number, value: number): PortfolioValue => ({
  user,
  time: eventTime(time),
  value,
  cost: value - 10.125,
  realizedPnl: 1.5,
  unrealizedPnl: 8.625,
  dayChange: -0.375,
});

const fill = (user: number, fillId: string, time: number, extra: Partial<Fill> = {}): Fill => ({
  fillId,
  user,
  symbol: 'AAPL',
  side: 'buy',
  quantity: quantity(5),
  price: price(187.31),
  time: eventTime(time),
  ...extra,
});

/**
 * Checkpoints compared field by field, the state bytes without assert's diff: a diff of two 70 kB
 * arrays that differ takes minutes, and a failing test must fail fast.
 */
const assertCheckpoint = (got: Checkpoint | undefined, want: Checkpoint): void => {
  assert.ok(got, 'checkpoint missing');
  assert.ok(got.state instanceof Uint8Array, 'state is not a Uint8Array');
  assert.equal(got.state.length, want.state.length, 'state length');
  const firstDiff = got.state.findIndex((b, i) => b !== want.state[i]);
  assert.equal(firstDiff, -1, `state differs first at byte ${firstDiff}`);
  assert.deepEqual({ ...got, state: null }, { ...want, state: null });
};

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function storeContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
    });

    it('migrate is idempotent: a second call keeps the schema and the data', async () => {
      const sym = uniq('MIG');
      await store.upsertTrades([trade(sym, MIDNIGHT, 1)]);
      await store.migrate();
      await store.upsertTrades([trade(sym, MIDNIGHT + 1, 2)]);
      const got = await store.trades(sym, { from: eventTime(MIDNIGHT), to: eventTime(MIDNIGHT + 2) });
      assert.deepEqual(got, [trade(sym, MIDNIGHT, 1), trade(sym, MIDNIGHT + 1, 2)]);
    });

    describe('trades', () => {
      it('round-trips every field, ordered by (time, seq), only the asked symbol', async () => {
        const sym = uniq('TRD');
        const a = trade(sym, MIDNIGHT - 1000, 1, 123.456789012345, { size: quantity(0.0012345) });
        const b = trade(sym, MIDNIGHT, 1, 0.1 + 0.2, { conditions: ['@', 'F', 'I'] });
        const c = trade(sym, MIDNIGHT, 2, 1e-7, { conditions: ['ñ,"quoted"\\', ''] });
        const d = trade(sym, MIDNIGHT + 500, 7, 99999.99, { size: quantity(2 ** 40) });
        const other = trade(uniq('TRD'), MIDNIGHT, 1);
        await store.upsertTrades([d, other, c, a, b]);
        const got = await store.trades(sym, {
          from: eventTime(MIDNIGHT - 1000),
          to: eventTime(MIDNIGHT + 501),
        });
        assert.deepEqual(got, [a, b, c, d]);
      });

      it('range is [from, to): from included, to excluded; empty and inverted ranges are empty', async () => {
        const sym = uniq('TRD');
        await store.upsertTrades([0, 1, 2, 3].map((i) => trade(sym, MIDNIGHT + i, 1)));
        const q = (from: number, to: number) =>
          store.trades(sym, { from: eventTime(from), to: eventTime(to) });
        assert.deepEqual(
          (await q(MIDNIGHT + 1, MIDNIGHT + 3)).map((t) => t.time),
          [MIDNIGHT + 1, MIDNIGHT + 2],
        );
        assert.deepEqual(await q(MIDNIGHT + 1, MIDNIGHT + 1), []);
        assert.deepEqual(await q(MIDNIGHT + 3, MIDNIGHT), []);
        assert.deepEqual(
          (await q(MIDNIGHT + 3, MIDNIGHT + 4)).map((t) => t.time),
          [MIDNIGHT + 3],
        );
      });

      it('limit takes the first rows in order; 0 gives none; absent gives all', async () => {
        const sym = uniq('TRD');
        const all = [5, 4, 3, 2, 1].map((s) => trade(sym, MIDNIGHT + 10, s));
        await store.upsertTrades(all);
        const range = { from: eventTime(MIDNIGHT), to: eventTime(MIDNIGHT + DAY) };
        assert.deepEqual(
          (await store.trades(sym, range, 2)).map((t) => t.seq),
          [1, 2],
        );
        assert.deepEqual(await store.trades(sym, range, 0), []);
        assert.equal((await store.trades(sym, range)).length, 5);
        assert.equal((await store.trades(sym, range, 100)).length, 5);
      });

      it('a range spanning UTC days returns rows of every day, in order', async () => {
        const sym = uniq('TRD');
        const times = [MIDNIGHT - 1, MIDNIGHT, MIDNIGHT + DAY + 5, MIDNIGHT - DAY];
        await store.upsertTrades(times.map((t, i) => trade(sym, t, i)));
        const got = await store.trades(sym, {
          from: eventTime(MIDNIGHT - 1),
          to: eventTime(MIDNIGHT + DAY + 6),
        });
        assert.deepEqual(
          got.map((t) => t.time),
          [MIDNIGHT - 1, MIDNIGHT, MIDNIGHT + DAY + 5],
        );
        assert.notEqual(dayOf(MIDNIGHT - 1), dayOf(MIDNIGHT));
        const fromMidnight = await store.trades(sym, {
          from: eventTime(MIDNIGHT),
          to: eventTime(MIDNIGHT + 2 * DAY),
        });
        assert.deepEqual(
          fromMidnight.map((t) => t.time),
          [MIDNIGHT, MIDNIGHT + DAY + 5],
        );
      });

      it('an upsert of the same (symbol, time, seq) keeps one row with the latest values', async () => {
        const sym = uniq('TRD');
        await store.upsertTrades([trade(sym, MIDNIGHT, 1, 10, { conditions: ['X'] })]);
        const latest = trade(sym, MIDNIGHT, 1, 11, { size: quantity(3), conditions: ['Y', 'Z'] });
        await store.upsertTrades([latest]);
        // Duplicates within one batch: the last one wins too.
        const last = trade(sym, MIDNIGHT + 1, 2, 20.5);
        await store.upsertTrades([trade(sym, MIDNIGHT + 1, 2, 20), last]);
        const got = await store.trades(sym, { from: eventTime(MIDNIGHT), to: eventTime(MIDNIGHT + 2) });
        assert.deepEqual(got, [latest, last]);
      });
    });

    describe('candles', () => {
      it('round-trips OHLCV, final flag and indicators; intervals are separate series', async () => {
        const sym = uniq('CDL');
        const indicators: IndicatorValues = {
          sma: { 5: 101.2, 20: 99.876543210123 },
          ema: { 12: 100.1 },
          rsi: 55.5,
          bollinger: { upper: 103.3, middle: 100.0000001, lower: 96.7 },
        };
        const m1 = candle(sym, MIN, MIDNIGHT, { indicators, final: false, trades: 0 });
        const m1b = candle(sym, MIN, MIDNIGHT + MIN, { close: price(1 / 3), vwap: price(Math.PI) });
        const h1 = candle(sym, HOUR, MIDNIGHT, { volume: quantity(0.5) });
        await store.upsertCandles([h1, m1b, m1]);
        const range = { from: eventTime(MIDNIGHT), to: eventTime(MIDNIGHT + HOUR) };
        assert.deepEqual(await store.candles(sym, MIN, range), [m1, m1b]);
        assert.deepEqual(await store.candles(sym, HOUR, range), [h1]);
        assert.deepEqual(await store.candles(sym, 5 * MIN, range), []);
      });

      it('a provisional candle is replaced by its final upsert (one row, latest values)', async () => {
        const sym = uniq('CDL');
        await store.upsertCandles([
          candle(sym, MIN, MIDNIGHT, { final: false, close: price(1), indicators: { rsi: 1 } }),
        ]);
        const fin = candle(sym, MIN, MIDNIGHT, { final: true, close: price(2), indicators: {} });
        await store.upsertCandles([fin]);
        assert.deepEqual(
          await store.candles(sym, MIN, { from: eventTime(MIDNIGHT), to: eventTime(MIDNIGHT + MIN) }),
          [fin],
        );
      });

      it('range bounds are [from, to) on start and span day buckets', async () => {
        const sym = uniq('CDL');
        const starts = [-2, -1, 0, 1, 2].map((k) => MIDNIGHT + k * MIN);
        await store.upsertCandles(starts.map((s) => candle(sym, MIN, s)));
        const got = await store.candles(sym, MIN, {
          from: eventTime(MIDNIGHT - MIN),
          to: eventTime(MIDNIGHT + MIN),
        });
        assert.deepEqual(
          got.map((c) => c.start),
          [MIDNIGHT - MIN, MIDNIGHT],
        );
        const wide = await store.candles(sym, MIN, {
          from: eventTime(MIDNIGHT - DAY),
          to: eventTime(MIDNIGHT + DAY),
        });
        assert.deepEqual(
          wide.map((c) => c.start),
          starts,
        );
      });
    });

    describe('alerts', () => {
      it('by symbol: [from, to) ascending by time, with and without a user', async () => {
        const sym = uniq('ALR');
        const user = userBase();
        const a1 = alert(sym, MIDNIGHT - 5, uniq('a'), { kind: 'volume_zscore', value: 4.2, threshold: 3.5 });
        const a2 = alert(sym, MIDNIGHT + 5, uniq('a'), { kind: 'price_above', user });
        const a3 = alert(sym, MIDNIGHT + 10, uniq('a'));
        await store.upsertAlerts([a3, a1, a2]);
        assert.deepEqual(
          await store.alertsBySymbol(sym, { from: eventTime(MIDNIGHT - 5), to: eventTime(MIDNIGHT + 10) }),
          [a1, a2],
        );
        assert.deepEqual(
          await store.alertsBySymbol(uniq('ALR'), { from: eventTime(0), to: eventTime(MIDNIGHT + DAY) }),
          [],
        );
      });

      it('by user: only alerts with that user, newest first, limited', async () => {
        const user = userBase();
        const [s1, s2] = [uniq('ALR'), uniq('ALR')];
        const u1 = alert(s1, MIDNIGHT - HOUR, uniq('u'), { user, kind: 'price_below' });
        const u2 = alert(s2, MIDNIGHT, uniq('u'), { user });
        const u3 = alert(s1, MIDNIGHT + HOUR, uniq('u'), { user, message: 'third' });
        const otherUser = alert(s1, MIDNIGHT + 2 * HOUR, uniq('u'), { user: user + 1 });
        const noUser = alert(s1, MIDNIGHT + 3 * HOUR, uniq('u'));
        await store.upsertAlerts([u2, noUser, u1, otherUser, u3]);
        assert.deepEqual(await store.alertsByUser(user), [u3, u2, u1]);
        assert.deepEqual(await store.alertsByUser(user, 2), [u3, u2]);
        assert.deepEqual(await store.alertsByUser(user + 1), [otherUser]);
        // u1 is the day before: a limit of 3 crosses into it.
        assert.deepEqual(await store.alertsByUser(user, 3), [u3, u2, u1]);
        assert.deepEqual(await store.alertsByUser(user, 0), []);
      });

      it('an upsert of the same alert id keeps one row in both views with the latest values', async () => {
        const sym = uniq('ALR');
        const user = userBase();
        const id = uniq('dup');
        await store.upsertAlerts([alert(sym, MIDNIGHT, id, { user, value: 1, message: 'first' })]);
        const latest = alert(sym, MIDNIGHT, id, { user, value: 2, message: 'second' });
        await store.upsertAlerts([latest]);
        assert.deepEqual(
          await store.alertsBySymbol(sym, { from: eventTime(MIDNIGHT), to: eventTime(MIDNIGHT + 1) }),
          [latest],
        );
        assert.deepEqual(await store.alertsByUser(user), [latest]);
      });
    });

    describe('positions and holders', () => {
      it('positions of a user by symbol; upsert replaces; holders follow non-zero quantity', async () => {
        const u = userBase();
        const [a, b, c] = [uniq('A'), uniq('B'), uniq('C')].sort();
        await store.upsertPositions([
          position(u, c!, 1),
          position(u, a!, 10, { avgCost: price(12.345) }),
          position(u, b!, 2),
          position(u + 1, a!, -5, { realizedPnl: -3.5 }),
        ]);
        assert.deepEqual(
          (await store.positions(u)).map((p) => [p.symbol, p.quantity]),
          [
            [a, 10],
            [b, 2],
            [c, 1],
          ],
        );
        assert.deepEqual(await store.holders(a!), [
          { user: u, quantity: 10 },
          { user: u + 1, quantity: -5 },
        ]);
        assert.deepEqual(await store.holders(a!, 1), [{ user: u, quantity: 10 }]);

        // u closes a: the position stays (realized P&L is history), the holder row goes.
        const closed = position(u, a!, 0, { realizedPnl: 12.5, updatedAt: eventTime(MIDNIGHT + 1) });
        await store.upsertPositions([closed]);
        const ps = await store.positions(u);
        assert.equal(ps.length, 3);
        assert.deepEqual(ps[0], closed);
        assert.deepEqual(await store.holders(a!), [{ user: u + 1, quantity: -5 }]);

        // Reopening makes u a holder again, with the latest quantity.
        await store.upsertPositions([position(u, a!, 7), position(u, a!, 8)]);
        assert.deepEqual(await store.holders(a!), [
          { user: u, quantity: 8 },
          { user: u + 1, quantity: -5 },
        ]);
        assert.deepEqual(await store.holders(uniq('NONE')), []);
        assert.deepEqual(await store.positions(u + 2), []);
      });

      it('holders of a symbol among many users: ascending by user, any limit, flat ones left out', async () => {
        const base = userBase();
        const sym = uniq('H');
        // 50 users (ids far apart and adjacent, so a sharded store spreads them), every 7th flat.
        const users = Array.from({ length: 50 }, (_, i) => base + (i % 2 === 0 ? i : i * 1_000));
        await store.upsertPositions(users.map((u, i) => position(u, sym, i % 7 === 0 ? 0 : i + 1)));
        const expected = users
          .map((u, i) => ({ user: u, quantity: i % 7 === 0 ? 0 : i + 1 }))
          .filter((h) => h.quantity !== 0)
          .sort((a, b) => a.user - b.user);
        assert.deepEqual(await store.holders(sym), expected);
        for (const n of [1, 3, 17, expected.length, expected.length + 5]) {
          assert.deepEqual(await store.holders(sym, n), expected.slice(0, n), `limit ${n}`);
        }
      });
    });

    describe('portfolio history', () => {
      it('[from, to) ascending across a day boundary; same (user, time) keeps the latest', async () => {
        const u = userBase();
        const times = [MIDNIGHT - MIN, MIDNIGHT - 1, MIDNIGHT, MIDNIGHT + MIN];
        await store.upsertPortfolioValues([...times].reverse().map((t, i) => pv(u, t, 1000 + i)));
        await store.upsertPortfolioValues([pv(u + 1, MIDNIGHT, 5)]);
        const latest = pv(u, MIDNIGHT, 2024.0625);
        await store.upsertPortfolioValues([latest]);
        const got = await store.portfolioHistory(u, {
          from: eventTime(MIDNIGHT - 1),
          to: eventTime(MIDNIGHT + MIN),
        });
        assert.deepEqual(got, [pv(u, MIDNIGHT - 1, 1002), latest]);
      });
    });

    describe('fills', () => {
      it('last fills of a user, newest first, limited; same fill upserted twice is one row', async () => {
        const u = userBase();
        const fs = [0, 1, 2, 3, 4].map((i) =>
          fill(u, uniq('f'), MIDNIGHT + i * 1000, { side: i % 2 ? 'sell' : 'buy' }),
        );
        await store.upsertFills([
          fs[2]!,
          fs[0]!,
          fs[4]!,
          fs[1]!,
          fs[3]!,
          fill(u + 1, uniq('f'), MIDNIGHT + 9000),
        ]);
        const latest = { ...fs[4]!, price: price(190.01), quantity: quantity(6) };
        await store.upsertFills([latest]);
        assert.deepEqual(await store.lastFills(u, 3), [latest, fs[3], fs[2]]);
        assert.deepEqual(await store.lastFills(u, 10), [latest, fs[3], fs[2], fs[1], fs[0]]);
        assert.deepEqual(await store.lastFills(u, 0), []);
      });

      it('last fills across days: newest day first, a limit that ends inside an earlier day', async () => {
        const u = userBase();
        // Two days back, the day before, and today; several fills a day, written out of order.
        const times = [-2 * DAY + 5, -2 * DAY + 9, -DAY - 1, -DAY + 3, -DAY + 7, 0, 4].map(
          (d) => MIDNIGHT + d,
        );
        const fs = times.map((t) => fill(u, uniq('f'), t));
        await store.upsertFills([fs[3]!, fs[6]!, fs[0]!, fs[5]!, fs[2]!, fs[4]!, fs[1]!]);
        const newestFirst = [...fs].reverse();
        for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) {
          assert.deepEqual(await store.lastFills(u, n), newestFirst.slice(0, n), `limit ${n}`);
        }
      });
    });

    describe('firm statistics', () => {
      it('rows of one day ascending by bucket, JSON document intact, upsert replaces', async () => {
        // A random day far from any real one, so a shared database holds nothing else for it.
        const dayStart = Date.UTC(2200, 0, 1) + randomInt(0, 200_000) * DAY;
        const day = dayOf(dayStart);
        const row = (bucket: number, fills: number) => ({
          day,
          bucket: dayStart + bucket * MIN,
          stats: {
            volumeBySymbol: {
              AAPL: { buy: 10, sell: 2.5, notional: 1234.5678 },
              'BRK.B': { buy: 0, sell: 1, notional: 0.1 },
            },
            topTraders: [
              { user: 7, notional: 999.99 },
              { user: 3, notional: 1e-9 },
            ],
            sectorMix: { Tech: 0.75, Energy: 0.25 },
            fills,
          },
        });
        await store.upsertFirmStats([
          row(2, 20),
          row(0, 1),
          row(1, 10),
          { ...row(0, 99), day: dayOf(dayStart + DAY) },
        ]);
        const latest = { ...row(1, 11), stats: { ...row(1, 11).stats, topTraders: [] } };
        await store.upsertFirmStats([latest]);
        assert.deepEqual(await store.firmStats(day), [row(0, 1), latest, row(2, 20)]);
      });

      it('shards of one bucket (one per partition of users) are merged when read', async () => {
        const dayStart = Date.UTC(2300, 0, 1) + randomInt(0, 200_000) * DAY;
        const day = dayOf(dayStart);
        const shard = (n: number, user: number, buy: number) => ({
          day,
          bucket: dayStart,
          shard: n,
          stats: {
            volumeBySymbol: { AAPL: { buy, sell: 1, notional: buy * 10 } },
            topTraders: [{ user, notional: buy * 10 }],
            sectorMix: { Tech: buy * 10 },
            fills: buy,
          },
        });
        await store.upsertFirmStats([shard(0, 1, 5), shard(1, 2, 7), shard(1, 2, 8)]);
        assert.deepEqual(await store.firmStats(day), [
          {
            day,
            bucket: dayStart,
            stats: {
              volumeBySymbol: { AAPL: { buy: 13, sell: 2, notional: 130 } },
              topTraders: [{ user: 2, notional: 80 }],
              sectorMix: { Tech: 130 },
              fills: 13,
            },
          },
        ]);
      });
    });

    describe('alert rules', () => {
      it('all rules or one symbol’s; upsert by id replaces', async () => {
        const [s1, s2] = [uniq('RUL'), uniq('RUL')];
        const u = userBase();
        const r = (
          id: string,
          symbol: string,
          threshold: number,
          kind: AlertRule['kind'] = 'price_above',
        ): AlertRule => ({
          id,
          user: u,
          symbol,
          kind,
          threshold,
        });
        const ids = [uniq('r'), uniq('r'), uniq('r')];
        await store.upsertAlertRules([
          r(ids[0]!, s1, 100),
          r(ids[1]!, s1, 5, 'pct_move'),
          r(ids[2]!, s2, 90, 'price_below'),
        ]);
        const updated = r(ids[0]!, s1, 101.5);
        await store.upsertAlertRules([updated]);
        const forS1 = (await store.alertRules(s1)).sort(byId);
        assert.deepEqual(forS1, [updated, r(ids[1]!, s1, 5, 'pct_move')].sort(byId));
        const mine = (await store.alertRules()).filter((x) => ids.includes(x.id)).sort(byId);
        assert.deepEqual(
          mine,
          [updated, r(ids[1]!, s1, 5, 'pct_move'), r(ids[2]!, s2, 90, 'price_below')].sort(byId),
        );
      });
    });

    describe('deadletters', () => {
      it('appended with reason, source and original bytes; read newest first, limited', async () => {
        const topic = uniq('dl');
        // In the future, so they are the newest rows even in a shared database.
        const t = Date.now() + 10 * DAY;
        const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
        const all256 = Uint8Array.from({ length: 256 }, (_, i) => i);
        const rows: Deadletter[] = [
          {
            sourceTopic: topic,
            partition: 0,
            offset: 41,
            reason: 'decode_error',
            detail: 'truncated buffer',
            payload: new Uint8Array(backing.buffer, 2, 3), // a view with an offset: only its own bytes
            time: procTime(t + 1),
          },
          {
            sourceTopic: topic,
            partition: 3,
            offset: 2 ** 40,
            reason: 'late',
            detail: '',
            payload: new Uint8Array(0),
            time: procTime(t + 2),
          },
          {
            sourceTopic: topic,
            partition: 1,
            offset: 0,
            reason: 'oversized',
            detail: 'ünïcode ✓',
            payload: all256,
            time: procTime(t + 3),
          },
        ];
        await store.insertDeadletters(rows);
        const expected = [rows[2]!, rows[1]!, { ...rows[0]!, payload: new Uint8Array([1, 2, 3]) }];
        const got = (await store.deadletters(1000)).filter((d) => d.sourceTopic === topic);
        assert.deepEqual(got, expected);
        assert.deepEqual(await store.deadletters(2), expected.slice(0, 2));
        assert.deepEqual(await store.deadletters(0), []);
      });

      it('a replayed record replaces its deadletter row (keyed by source, partition, offset)', async () => {
        const topic = uniq('dl');
        const t = Date.now() + 20 * DAY;
        const row: Deadletter = {
          sourceTopic: topic,
          partition: 2,
          offset: 7,
          reason: 'late',
          detail: 'first',
          payload: new Uint8Array([1]),
          time: procTime(t),
        };
        await store.insertDeadletters([row]);
        await store.insertDeadletters([{ ...row, detail: 'again', time: procTime(t + 1) }]);
        const got = (await store.deadletters(1000)).filter((d) => d.sourceTopic === topic);
        assert.equal(got.length, 1);
        assert.equal(got[0]?.detail, 'again');
      });
    });

    describe('checkpoints', () => {
      it('missing → undefined; save/load round-trips offsets and binary state; save overwrites', async () => {
        const processor = uniq('proc');
        assert.equal(await store.loadCheckpoint(processor, 3), undefined);
        const state = new Uint8Array(70_000);
        state.set(Uint8Array.from({ length: 256 }, (_, i) => i));
        state.set(randomBytes(60_000), 256);
        const first = {
          processor,
          partition: 3,
          offsets: { trades: 42, fills: 0 },
          state,
          updatedAt: 1_700_000_000_123,
        };
        await store.saveCheckpoint(first);
        assertCheckpoint(await store.loadCheckpoint(processor, 3), first);
        assert.equal(await store.loadCheckpoint(processor, 4), undefined);
        assert.equal(await store.loadCheckpoint(uniq('proc'), 3), undefined);

        const second = {
          processor,
          partition: 3,
          offsets: { trades: 2 ** 40 },
          state: new Uint8Array([0, 255, 0]),
          updatedAt: 1_700_000_000_456,
        };
        await store.saveCheckpoint(second);
        assertCheckpoint(await store.loadCheckpoint(processor, 3), second);

        const empty = { processor, partition: 4, offsets: {}, state: new Uint8Array(0), updatedAt: 1 };
        await store.saveCheckpoint(empty);
        assertCheckpoint(await store.loadCheckpoint(processor, 4), empty);
        assertCheckpoint(await store.loadCheckpoint(processor, 3), second);
      });

      it('a state of several MiB round-trips, and large and small states replace each other', async () => {
        const processor = uniq('proc');
        const big = (n: number, seed: number) => {
          const b = new Uint8Array(n);
          for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 11)) & 0xff;
          return b;
        };
        const at = (state: Uint8Array, updatedAt: number, offset: number) => ({
          processor,
          partition: 0,
          offsets: { portfolio: offset },
          state,
          updatedAt,
        });
        const steps = [
          at(big(3 * 1024 * 1024 + 17, 1), 10, 100),
          at(big(5 * 1024 * 1024, 2), 11, 200),
          at(new Uint8Array([9, 8, 7]), 12, 300),
          at(big(2 * 1024 * 1024 + 1, 3), 13, 400),
        ];
        for (const c of steps) {
          await store.saveCheckpoint(c);
          assertCheckpoint(await store.loadCheckpoint(processor, 0), c);
        }
      });
    });

    describe('property: candles read back as the last write per key', () => {
      // Finite doubles of any magnitude; -0 is folded to 0 (x + 0), as stores need not keep its sign.
      const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0);
      const periods = fc.dictionary(fc.integer({ min: 1, max: 200 }).map(String), anyDouble, {
        maxKeys: 3,
        noNullPrototype: true,
      });
      const indicators: fc.Arbitrary<IndicatorValues> = fc.record(
        {
          sma: periods,
          ema: periods,
          rsi: anyDouble,
          bollinger: fc.record(
            { upper: anyDouble, middle: anyDouble, lower: anyDouble },
            { noNullPrototype: true },
          ),
        },
        { requiredKeys: [], noNullPrototype: true },
      );
      const op = fc.record({
        interval: fc.constantFrom(MIN, HOUR),
        k: fc.integer({ min: -8, max: 7 }),
        ohlc: fc.tuple(anyDouble, anyDouble, anyDouble, anyDouble, anyDouble, anyDouble),
        trades: fc.nat(),
        final: fc.boolean(),
        indicators,
      });

      it('random batch, random order, duplicates, split into random batches', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(op, { minLength: 1, maxLength: 60 }),
            fc.integer({ min: 1, max: 25 }),
            async (ops, batch) => {
              const sym = uniq('PROP');
              const written = ops.map((o) =>
                candle(sym, o.interval, MIDNIGHT + o.k * o.interval, {
                  open: price(o.ohlc[0]),
                  high: price(o.ohlc[1]),
                  low: price(o.ohlc[2]),
                  close: price(o.ohlc[3]),
                  volume: quantity(o.ohlc[4]),
                  vwap: price(o.ohlc[5]),
                  trades: o.trades,
                  final: o.final,
                  indicators: o.indicators,
                }),
              );
              for (let i = 0; i < written.length; i += batch)
                await store.upsertCandles(written.slice(i, i + batch));

              const last = new Map<string, Candle>();
              for (const c of written) last.set(`${c.intervalMs}:${c.start}`, c);
              for (const interval of [MIN, HOUR]) {
                const expected = [...last.values()]
                  .filter((c) => c.intervalMs === interval)
                  .sort((a, b) => a.start - b.start);
                const got = await store.candles(sym, interval, {
                  from: eventTime(MIDNIGHT - 8 * interval),
                  to: eventTime(MIDNIGHT + 8 * interval),
                });
                assert.deepEqual(got, expected);
              }
            },
          ),
          { numRuns: 40 },
        );
      });
    });
  });
}
