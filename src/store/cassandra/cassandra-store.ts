// The production Store on Apache Cassandra (cassandra-driver). Tables and keys: ./schema.ts and
// src/store/schema.md. What this adapter adds to the embedded store's behaviour:
//
// - Time-series tables are partitioned by UTC day. A range query reads the days that hold rows from
//   `partition_index` (written before the rows), then each day's partition in order: an open range
//   (from 0 to +∞) visits only the days present, never every calendar day.
// - Writes are grouped by partition and deduplicated (writer.ts), then sent as UNLOGGED batches of the
//   partitions that share replicas (routed token-aware to one of them; ~16 KiB each), with
//   `concurrency` requests in flight. A call that fails part-way may have written some rows: every
//   write is an idempotent upsert, so the caller retries or replays from its checkpoint.
// - A row and its view (position + holder, alert + alert-by-user, rule + rule-by-symbol, deadletter +
//   its source pointer) go in one LOGGED batch: Cassandra applies all of it eventually or none.
// - Batches are encoded by batch-encode.ts: the driver's bytes, written into one buffer instead of ~30
//   small ones per row.
// - A checkpoint's state larger than one request can carry is written in chunks (checkpoints.ts).
// - Client-side timestamps (the driver's monotonic generator) order the writes of one process: the
//   later call wins even if its request overtakes the earlier one.
import { Client } from 'cassandra-driver';
import { TickstreamError } from '../../domain/errors.ts';
import type {
  Alert,
  AlertRule,
  Candle,
  Deadletter,
  Fill,
  PortfolioValue,
  Position,
  Trade,
} from '../../domain/types.ts';
import { mergeFirmShards } from '../firm-merge.ts';
import { type Checkpoint, dayOf, type FirmStatRow, type Store, type TimeRange } from '../port.ts';
import { setFastBatchEncoding } from './batch-encode.ts';
import { clampTime, DayCache, int32, int64, limitArg, NO_LIMIT } from './bounds.ts';
import { CheckpointTable } from './checkpoints.ts';
import { type CassandraConfig, clientOptions } from './client.ts';
import { DEADLETTER_OFFSET_BUCKET, SERIES, type Statements, statements } from './cql.ts';
import { toStoreError } from './errors.ts';
import {
  blob,
  conditionsJson,
  indicatorsJson,
  type Row,
  toAlert,
  toAlertRule,
  toCandle,
  toDeadletter,
  toFill,
  toFirmStatRow,
  toHolder,
  toPortfolioValue,
  toPosition,
  toTrade,
} from './rows.ts';
import {
  HOLDER_SHARDS,
  holderShard,
  keyspaceDdl,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersionDdl,
} from './schema.ts';
import { encodeBar, encodePrint } from './value-cells.ts';
import {
  type KeyTypes,
  LOGGED,
  mapBounded,
  type Params,
  PartitionGroups,
  PREPARED,
  ReplicaCache,
  type Route,
  runBounded,
  type WriteMode,
  type WriteTuning,
  writeGroups,
} from './writer.ts';

/** Tuning knobs beyond the config file (benchmarks compare them); defaults are what was measured best. */
export interface CassandraStoreOptions {
  /** Overrides store.cassandra.writeMode (see config.ts). */
  writeMode?: WriteMode;
  /** Rows per batch (default 200). */
  maxBatchRows?: number;
  /**
   * Estimated data per multi-partition batch (default 16 KiB, under the server's default 50 KiB
   * batch_size_fail_threshold; set batch_size_warn_threshold above it to keep the log quiet).
   */
  maxBatchBytes?: number;
  /** Day partitions read at once by an unlimited range query. */
  readConcurrency?: number;
  /** Overrides store.cassandra.checkpointChunkBytes (tests use chunks smaller than the config allows). */
  checkpointChunkBytes?: number;
}

// Every Client in the process encodes batches through the driver's one BatchRequest prototype, so the
// one-buffer encoder is a process-wide switch, set once here (benchmarks flip it to compare).
setFastBatchEncoding(true);

/** Partition key column types of the tables written through writeGroups (their params lead with them). */
const KEYS = {
  TEXT1: ['text'],
  TEXT2: ['text', 'text'],
  CANDLE: ['text', 'bigint', 'text'],
  USER_DAY: ['bigint', 'text'],
} as const satisfies Record<string, KeyTypes>;

/** Rows (a row and its view rows) per logged batch: keeps each batch well under the 5 KiB warning. */
const LOGGED_ROWS = 8;
/** Index entries remembered as written; cleared (and rewritten, harmlessly) beyond this. */
const INDEX_CACHE_MAX = 100_000;
const SEP = '\u0001';

export class CassandraStore implements Store {
  private readonly client: Client;
  private readonly cfg: CassandraConfig;
  private readonly q: Statements;
  private readonly tuning: WriteTuning;
  private readonly readConcurrency: number;
  private readonly days = new DayCache();
  /** partition_index rows this instance has written (tbl, key, day), so each is written once. */
  private readonly indexed = new Set<string>();
  private readonly replicas = new ReplicaCache();
  private readonly checkpoints: CheckpointTable;
  private closed = false;

  private constructor(client: Client, cfg: CassandraConfig, options: CassandraStoreOptions) {
    this.client = client;
    this.cfg = cfg;
    this.q = statements(cfg.keyspace);
    this.tuning = {
      mode: options.writeMode ?? cfg.writeMode,
      maxBatchRows: options.maxBatchRows ?? 200,
      maxBatchBytes: options.maxBatchBytes ?? 16 * 1024,
      concurrency: cfg.concurrency,
    };
    this.readConcurrency = options.readConcurrency ?? 4;
    this.checkpoints = new CheckpointTable(
      client,
      this.q,
      options.checkpointChunkBytes ?? cfg.checkpointChunkBytes,
    );
  }

  /** Connects to the cluster (not to the keyspace: `migrate` creates it if missing). */
  static async connect(cfg: CassandraConfig, options: CassandraStoreOptions = {}): Promise<CassandraStore> {
    if (!/^[a-z][a-z0-9_]{0,47}$/.test(cfg.keyspace)) {
      // Config validation already checks this; the keyspace is spliced into CQL, so check again.
      throw new TickstreamError('CONFIG_INVALID', `invalid keyspace name ${cfg.keyspace}`);
    }
    const client = new Client(clientOptions(cfg));
    try {
      await client.connect();
    } catch (cause) {
      await client.shutdown().catch(() => undefined);
      throw toStoreError(cause, `connect to ${cfg.contactPoints.join(',')}`);
    }
    return new CassandraStore(client, cfg, options);
  }

  async migrate(): Promise<void> {
    const ks = this.cfg.keyspace;
    await this.run('migrate', async () => {
      await this.client.execute(keyspaceDdl(ks, this.cfg.localDataCenter, this.cfg.replicationFactor));
      await this.client.execute(schemaVersionDdl(ks));
      const row = (await this.client.execute(this.q.schemaVersion, [], PREPARED)).first();
      const current = typeof row?.version === 'number' ? row.version : 0;
      if (current > SCHEMA_VERSION) {
        throw new TickstreamError(
          'STORE_UNAVAILABLE',
          `store schema version ${current} is newer than this build's ${SCHEMA_VERSION}`,
          { retryable: false },
        );
      }
      if (current === SCHEMA_VERSION) return;
      // One DDL statement at a time: concurrent schema changes on one coordinator are not faster and
      // risk disagreement. The driver waits for schema agreement after each.
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        for (const ddl of m.statements(ks)) await this.client.execute(ddl);
        await this.client.execute(this.q.setSchemaVersion, [m.version], PREPARED);
      }
    });
  }

  // ——— writes ———

  upsertTrades(trades: readonly Trade[]): Promise<void> {
    return this.run('upsertTrades', async () => {
      const g = new PartitionGroups();
      const index: [string, string][] = [];
      for (const t of trades) {
        const day = this.days.day(t.time);
        const time = int64(t.time, 'trade time');
        const seq = int64(t.seq, 'trade seq');
        const params = [t.symbol, day, time, seq, encodePrint(t, conditionsJson(t.conditions))];
        if (g.add(t.symbol + SEP + day, `${time}:${seq}`, params)) index.push([t.symbol, day]);
      }
      await this.index(SERIES.trades, index);
      await writeGroups(this.client, this.q.upsertTrade, g, this.tuning, this.route(KEYS.TEXT2));
    });
  }

  upsertCandles(candles: readonly Candle[]): Promise<void> {
    return this.run('upsertCandles', async () => {
      const g = new PartitionGroups();
      const index: [string, string][] = [];
      for (const c of candles) {
        const day = this.days.day(c.start);
        const interval = int64(c.intervalMs, 'candle interval');
        const start = int64(c.start, 'candle start');
        const bar = encodeBar(c, int64(c.trades, 'candle trades'), indicatorsJson(c.indicators));
        const params = [c.symbol, interval, day, start, bar];
        // '/' keeps the index key readable in cqlsh; unambiguous since the interval is last and numeric.
        const series = `${c.symbol}/${interval}`;
        if (g.add(series + SEP + day, String(start), params)) index.push([series, day]);
      }
      await this.index(SERIES.candles, index);
      await writeGroups(this.client, this.q.upsertCandle, g, this.tuning, this.route(KEYS.CANDLE));
    });
  }

  upsertAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.run('upsertAlerts', async () => {
      const last = new Map<string, Alert>();
      const index: [string, string][] = [];
      const userIndex: [string, string][] = [];
      const symbolDays = new Set<string>();
      const userDays = new Set<string>();
      for (const a of alerts) {
        const day = this.days.day(a.time);
        int64(a.time, 'alert time');
        last.set(a.symbol + SEP + day + SEP + a.time + SEP + a.id, a);
        const symbolDay = a.symbol + SEP + day;
        if (!symbolDays.has(symbolDay)) {
          symbolDays.add(symbolDay);
          index.push([a.symbol, day]);
        }
        if (a.user !== undefined) {
          const user = String(int64(a.user, 'alert user'));
          const userDay = user + SEP + day;
          if (!userDays.has(userDay)) {
            userDays.add(userDay);
            userIndex.push([user, day]);
          }
        }
      }
      await this.index(SERIES.alerts, index);
      await this.index(SERIES.alertsByUser, userIndex);
      const rows = [...last.values()];
      await this.logged(rows, (a) => {
        const day = this.days.day(a.time);
        const user = a.user ?? null;
        const out = [
          {
            query: this.q.upsertAlertBySymbol,
            params: [a.symbol, day, a.time, a.id, a.kind, a.value, a.threshold, user, a.message],
          },
        ];
        if (user !== null) {
          out.push({
            query: this.q.upsertAlertByUser,
            params: [user, day, a.time, a.id, a.symbol, a.kind, a.value, a.threshold, a.message],
          });
        }
        return out;
      });
    });
  }

  upsertPositions(positions: readonly Position[]): Promise<void> {
    return this.run('upsertPositions', async () => {
      const last = new Map<string, Position>();
      for (const p of positions) {
        int64(p.user, 'position user');
        int64(p.updatedAt, 'position updatedAt');
        last.set(p.user + SEP + p.symbol, p);
      }
      // The holders index follows the position in the same logged batch: a flat position is no holder.
      await this.logged([...last.values()], (p) => [
        {
          query: this.q.upsertPosition,
          params: [p.user, p.symbol, p.quantity, p.avgCost, p.realizedPnl, p.updatedAt],
        },
        p.quantity !== 0
          ? { query: this.q.upsertHolder, params: [p.symbol, holderShard(p.user), p.user, p.quantity] }
          : { query: this.q.deleteHolder, params: [p.symbol, holderShard(p.user), p.user] },
      ]);
    });
  }

  upsertFills(fills: readonly Fill[]): Promise<void> {
    return this.run('upsertFills', async () => {
      const g = new PartitionGroups();
      const index: [string, string][] = [];
      for (const f of fills) {
        const day = this.days.day(f.time);
        const user = int64(f.user, 'fill user');
        const time = int64(f.time, 'fill time');
        const params = [user, day, time, f.fillId, f.symbol, f.side, f.quantity, f.price];
        if (g.add(user + SEP + day, time + SEP + f.fillId, params)) index.push([String(user), day]);
      }
      await this.index(SERIES.fills, index);
      await writeGroups(this.client, this.q.upsertFill, g, this.tuning, this.route(KEYS.USER_DAY));
    });
  }

  upsertPortfolioValues(values: readonly PortfolioValue[]): Promise<void> {
    return this.run('upsertPortfolioValues', async () => {
      const g = new PartitionGroups();
      const index: [string, string][] = [];
      for (const v of values) {
        const day = this.days.day(v.time);
        const user = int64(v.user, 'portfolio user');
        const time = int64(v.time, 'portfolio time');
        const params = [user, day, time, v.value, v.cost, v.realizedPnl, v.unrealizedPnl, v.dayChange];
        if (g.add(user + SEP + day, String(time), params)) index.push([String(user), day]);
      }
      await this.index(SERIES.portfolio, index);
      await writeGroups(this.client, this.q.upsertPortfolioValue, g, this.tuning, this.route(KEYS.USER_DAY));
    });
  }

  upsertFirmStats(rows: readonly FirmStatRow[]): Promise<void> {
    return this.run('upsertFirmStats', async () => {
      const g = new PartitionGroups();
      for (const r of rows) {
        const bucket = int64(r.bucket, 'firm stats bucket');
        const shard = int32(r.shard ?? 0, 'firm stats shard');
        g.add(r.day, bucket + SEP + shard, [r.day, bucket, shard, JSON.stringify(r.stats)]);
      }
      await writeGroups(this.client, this.q.upsertFirmStats, g, this.tuning, this.route(KEYS.TEXT1));
    });
  }

  upsertAlertRules(rules: readonly AlertRule[]): Promise<void> {
    return this.run('upsertAlertRules', async () => {
      const last = new Map<string, AlertRule>();
      for (const r of rules) last.set(r.id, { ...r, user: int64(r.user, 'rule user') });
      const rows = [...last.values()];
      // The by-symbol view must lose the rule's old row when the rule moves to another symbol: read the
      // current symbol first. Rules change rarely (user actions), so a read per rule is fine.
      const before = await mapBounded(rows.length, this.tuning.concurrency, async (i) => {
        const row = (await this.client.execute(this.q.alertRuleSymbol, [rows[i]!.id], PREPARED)).first();
        return typeof row?.symbol === 'string' ? row.symbol : undefined;
      });
      await this.logged(
        rows.map((r, i) => [r, before[i]] as const),
        ([r, old]) => {
          const out = [
            {
              query: this.q.upsertAlertRule,
              params: [r.id, r.user, r.symbol, r.kind, r.threshold] as Params,
            },
            {
              query: this.q.upsertAlertRuleBySymbol,
              params: [r.symbol, r.id, r.user, r.kind, r.threshold] as Params,
            },
          ];
          if (old !== undefined && old !== r.symbol) {
            out.push({ query: this.q.deleteAlertRuleBySymbol, params: [old, r.id] });
          }
          return out;
        },
      );
    });
  }

  insertDeadletters(rows: readonly Deadletter[]): Promise<void> {
    return this.run('insertDeadletters', async () => {
      const last = new Map<string, Deadletter>();
      const index: [string, string][] = [];
      const seen = new Set<string>();
      for (const d of rows) {
        int32(d.partition, 'deadletter partition');
        int64(d.offset, 'deadletter offset');
        const day = this.days.day(int64(d.time, 'deadletter time'));
        last.set(d.sourceTopic + SEP + d.partition + SEP + d.offset, d);
        if (!seen.has(day)) {
          seen.add(day);
          index.push(['', day]);
        }
      }
      await this.index(SERIES.deadletters, index);
      const list = [...last.values()];
      // A replayed record replaces its row, which may sit in another day partition or at another time:
      // find it through the source pointer, then delete it, write the new row and move the pointer in one
      // logged batch. Deadletters are rare, so the read per row costs little.
      const before = await mapBounded(list.length, this.tuning.concurrency, async (i) => {
        const d = list[i]!;
        const bucket = Math.floor(d.offset / DEADLETTER_OFFSET_BUCKET);
        const row = (
          await this.client.execute(
            this.q.deadletterSource,
            [d.sourceTopic, d.partition, bucket, d.offset],
            PREPARED,
          )
        ).first();
        return row === null || row === undefined
          ? undefined
          : { day: String(row.day), time: row.time as unknown };
      });
      await this.logged(
        list.map((d, i) => [d, before[i]] as const),
        ([d, old]) => {
          const day = this.days.day(d.time);
          const bucket = Math.floor(d.offset / DEADLETTER_OFFSET_BUCKET);
          const out: { query: string; params: Params }[] = [];
          if (old !== undefined && (old.day !== day || String(old.time) !== String(d.time))) {
            out.push({
              query: this.q.deleteDeadletter,
              params: [old.day, old.time, d.sourceTopic, d.partition, d.offset],
            });
          }
          out.push(
            {
              query: this.q.insertDeadletter,
              params: [
                day,
                d.time,
                d.sourceTopic,
                d.partition,
                d.offset,
                d.reason,
                d.detail,
                blob(d.payload),
              ],
            },
            {
              query: this.q.upsertDeadletterSource,
              params: [d.sourceTopic, d.partition, bucket, d.offset, day, d.time],
            },
          );
          return out;
        },
      );
    });
  }

  // ——— reads ———

  async candles(symbol: string, intervalMs: number, range: TimeRange): Promise<Candle[]> {
    return this.run('candles', async () => {
      const interval = int64(intervalMs, 'candle interval');
      const rows = await this.acrossDays(
        SERIES.candles,
        `${symbol}/${interval}`,
        range,
        undefined,
        (day, from, to) => [symbol, interval, day, from, to],
        this.q.candles,
      );
      return rows.map(toCandle);
    });
  }

  async trades(symbol: string, range: TimeRange, limit?: number): Promise<Trade[]> {
    return this.run('trades', async () => {
      const rows = await this.acrossDays(
        SERIES.trades,
        symbol,
        range,
        limitArg(limit),
        (day, from, to, lim) => [symbol, day, from, to, lim],
        this.q.trades,
      );
      return rows.map(toTrade);
    });
  }

  async alertsBySymbol(symbol: string, range: TimeRange): Promise<Alert[]> {
    return this.run('alertsBySymbol', async () => {
      const rows = await this.acrossDays(
        SERIES.alerts,
        symbol,
        range,
        undefined,
        (day, from, to) => [symbol, day, from, to],
        this.q.alertsBySymbol,
      );
      return rows.map(toAlert);
    });
  }

  async alertsByUser(user: number, limit?: number): Promise<Alert[]> {
    return this.run('alertsByUser', async () =>
      (await this.userNewest(SERIES.alertsByUser, this.q.alertsByUser, user, limit)).map(toAlert),
    );
  }

  async positions(user: number): Promise<Position[]> {
    return this.run('positions', async () =>
      (await this.select(this.q.positions, [int64(user, 'user')])).map(toPosition),
    );
  }

  async holders(symbol: string, limit?: number): Promise<{ user: number; quantity: number }[]> {
    return this.run('holders', async () => {
      const lim = limitArg(limit);
      if (lim === 0) return [];
      // Each shard is ascending by user: the first `lim` of each, merged, hold the first `lim` overall.
      const shards = await mapBounded(HOLDER_SHARDS, this.readConcurrency, async (shard) =>
        (await this.select(this.q.holders, [symbol, shard, lim], lim)).map(toHolder),
      );
      const all = shards.flat().sort((a, b) => a.user - b.user);
      return all.length > lim ? all.slice(0, lim) : all;
    });
  }

  async portfolioHistory(user: number, range: TimeRange): Promise<PortfolioValue[]> {
    return this.run('portfolioHistory', async () => {
      const u = int64(user, 'user');
      const rows = await this.acrossDays(
        SERIES.portfolio,
        String(u),
        range,
        undefined,
        (day, from, to) => [u, day, from, to],
        this.q.portfolioHistory,
      );
      return rows.map(toPortfolioValue);
    });
  }

  async lastFills(user: number, limit: number): Promise<Fill[]> {
    return this.run('lastFills', async () =>
      (await this.userNewest(SERIES.fills, this.q.lastFills, user, limit)).map(toFill),
    );
  }

  async firmStats(day: string): Promise<FirmStatRow[]> {
    return this.run('firmStats', async () =>
      mergeFirmShards((await this.select(this.q.firmStats, [day])).map(toFirmStatRow)),
    );
  }

  async alertRules(symbol?: string): Promise<AlertRule[]> {
    return this.run('alertRules', async () =>
      (symbol === undefined
        ? await this.select(this.q.alertRules, [])
        : await this.select(this.q.alertRulesBySymbol, [symbol])
      ).map(toAlertRule),
    );
  }

  async deadletters(limit: number): Promise<Deadletter[]> {
    return this.run('deadletters', async () => {
      const rows = await this.newestDays(
        SERIES.deadletters,
        '',
        limitArg(limit),
        this.q.deadletters,
        (day, lim) => [day, lim],
      );
      return rows.map(toDeadletter);
    });
  }

  // ——— checkpoints ———

  async saveCheckpoint(c: Checkpoint): Promise<void> {
    await this.run('saveCheckpoint', () => this.checkpoints.save(c));
  }

  async loadCheckpoint(processor: string, partition: number): Promise<Checkpoint | undefined> {
    return this.run('loadCheckpoint', () => this.checkpoints.load(processor, partition));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.shutdown();
  }

  // ——— internals ———

  private route(key: KeyTypes): Route {
    return { keyspace: this.cfg.keyspace, key, cache: this.replicas };
  }

  /** Runs one port operation: refuses after close, maps every failure to a typed store error. */
  private async run<R>(op: string, fn: () => Promise<R>): Promise<R> {
    if (this.closed) throw new TickstreamError('STORE_UNAVAILABLE', 'store is closed', { retryable: false });
    try {
      return await fn();
    } catch (cause) {
      throw toStoreError(cause, op);
    }
  }

  /** All rows of a query (following pages), or the first `limit`. */
  private async select(query: string, params: Params, limit = NO_LIMIT): Promise<Row[]> {
    let rs = await this.client.execute(query, params, PREPARED);
    const out: Row[] = rs.rows as Row[];
    while (rs.pageState !== null && rs.pageState !== undefined && out.length < limit) {
      rs = await this.client.execute(query, params, { prepare: true, pageState: rs.pageState });
      for (const r of rs.rows) out.push(r as Row);
    }
    return out.length > limit ? out.slice(0, limit) : out;
  }

  /**
   * Rows of a day-bucketed series in [from, to): the days present (from partition_index), each day's
   * partition in order. With a limit, days are read one after the other until it is reached; without,
   * `readConcurrency` days at a time.
   */
  private async acrossDays(
    tbl: string,
    key: string,
    range: TimeRange,
    limit: number | undefined,
    bind: (day: string, from: number, to: number, limit: number) => Params,
    query: string,
  ): Promise<Row[]> {
    const from = clampTime(range.from);
    const to = clampTime(range.to);
    if (from >= to || limit === 0) return [];
    // `to` is exclusive: its own day holds rows only if to is past that day's midnight.
    const days = await this.select(this.q.daysAsc, [tbl, key, dayOf(from), dayOf(to - 1)]);
    if (limit === undefined) {
      const perDay = await mapBounded(days.length, this.readConcurrency, (i) =>
        this.select(query, bind(String(days[i]!.day), from, to, NO_LIMIT)),
      );
      return perDay.flat();
    }
    const out: Row[] = [];
    for (const d of days) {
      const remaining = limit - out.length;
      for (const r of await this.select(query, bind(String(d.day), from, to, remaining), remaining))
        out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * The first `limit` rows of a series whose day partitions are each ordered newest first: its days
   * from partition_index, newest first, read one after the other until the limit is reached.
   */
  private async newestDays(
    tbl: string,
    key: string,
    limit: number,
    query: string,
    bind: (day: string, limit: number) => Params,
  ): Promise<Row[]> {
    const out: Row[] = [];
    if (limit === 0) return out;
    for (const d of await this.select(this.q.daysDesc, [tbl, key])) {
      const remaining = limit - out.length;
      for (const r of await this.select(query, bind(String(d.day), remaining), remaining)) out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A user's newest rows of a (user_id, day) table whose query binds user, day, limit. */
  private userNewest(tbl: string, query: string, user: number, limit: number | undefined): Promise<Row[]> {
    const u = int64(user, 'user');
    return this.newestDays(tbl, String(u), limitArg(limit), query, (day, lim) => [u, day, lim]);
  }

  /**
   * Records (tbl, key, day) in partition_index before the rows are written, so a reader that sees a
   * row also finds its day. Entries this instance already wrote are skipped.
   */
  private async index(tbl: string, entries: readonly [string, string][]): Promise<void> {
    const todo: Params[] = [];
    const keys: string[] = [];
    for (const [key, day] of entries) {
      const k = tbl + SEP + key + SEP + day;
      if (this.indexed.has(k)) continue;
      todo.push([tbl, key, day]);
      keys.push(k);
    }
    if (todo.length === 0) return;
    await runBounded(todo.length, this.tuning.concurrency, async (i) => {
      await this.client.execute(this.q.indexDay, todo[i], PREPARED);
    });
    if (this.indexed.size + keys.length > INDEX_CACHE_MAX) this.indexed.clear();
    for (const k of keys) this.indexed.add(k);
  }

  /** Each item's statements together in LOGGED batches of LOGGED_ROWS items, bounded concurrency. */
  private async logged<T>(
    items: readonly T[],
    statementsOf: (item: T) => { query: string; params: Params }[],
  ): Promise<void> {
    const chunks = Math.ceil(items.length / LOGGED_ROWS);
    await runBounded(chunks, this.tuning.concurrency, async (c) => {
      const batch: { query: string; params: Params }[] = [];
      for (let i = c * LOGGED_ROWS; i < Math.min(items.length, (c + 1) * LOGGED_ROWS); i++) {
        for (const s of statementsOf(items[i]!)) batch.push(s);
      }
      await this.client.batch(batch, LOGGED);
    });
  }
}
