// The embedded Store: one SQLite file (node:sqlite, synchronous) in WAL mode.
//
// node:sqlite blocks the event loop while a statement runs, so every call is kept bounded: a batch is
// written in chunks of CHUNK rows, each chunk one transaction (one fsync-free WAL append at
// synchronous=NORMAL), and the loop is yielded to between chunks. A batch larger than one chunk is
// therefore not atomic as a whole; that is fine because every write is an idempotent upsert and the
// caller replays from its checkpoint after a failure. A checkpoint is a single row: always atomic.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
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
import { clampTime, DayCache, limitArg } from './bounds.ts';
import {
  conditionsJson,
  indicatorsJson,
  type Row,
  toAlert,
  toAlertRule,
  toCandle,
  toCheckpoint,
  toDeadletter,
  toFill,
  toFirmStatRow,
  toHolder,
  toPortfolioValue,
  toPosition,
  toTrade,
} from './rows.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';
import { toStoreError } from './sqlite-errors.ts';
import { prepareStatements, type Statements } from './statements.ts';

/** Rows per transaction: large enough to amortise the commit, small enough to keep a call in the low ms. */
export const CHUNK = 2000;
const BUSY_TIMEOUT_MS = 5000;
export const DB_FILE = 'tickstream.db';

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class SqliteStore implements Store {
  private readonly db: DatabaseSync;
  private stmts: Statements | undefined;
  private closed = false;
  // Separate caches per writer would not help: calls never interleave within a chunk.
  private readonly days = new DayCache();

  private constructor(db: DatabaseSync) {
    this.db = db;
  }

  /** Opens (creating if needed) `dir/tickstream.db`; `':memory:'` gives a private in-memory database. */
  static open(dir: string): SqliteStore {
    let db: DatabaseSync;
    try {
      if (dir === ':memory:') {
        db = new DatabaseSync(':memory:');
      } else {
        mkdirSync(dir, { recursive: true });
        db = new DatabaseSync(join(dir, DB_FILE));
      }
    } catch (cause) {
      throw new TickstreamError('STORE_UNAVAILABLE', `cannot open store in ${dir}`, {
        cause,
        retryable: false,
      });
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // WAL: readers (HTTP API) never block the writer (processors); NORMAL: no fsync per commit,
      // durable at checkpoints of the WAL; a power loss may lose the last commits, which replay restores.
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
    } catch (cause) {
      db.close();
      throw toStoreError(cause, 'configure');
    }
    return new SqliteStore(db);
  }

  async migrate(): Promise<void> {
    const db = this.open();
    this.tx('migrate', () => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)',
      );
      const row = db.prepare('SELECT version FROM schema_version WHERE id = 1').get();
      const current = typeof row?.version === 'number' ? row.version : 0;
      if (current > SCHEMA_VERSION) {
        throw new TickstreamError(
          'STORE_UNAVAILABLE',
          `store schema version ${current} is newer than this build's ${SCHEMA_VERSION}`,
          { retryable: false },
        );
      }
      for (const m of MIGRATIONS) if (m.version > current) db.exec(m.sql);
      db.prepare(
        'INSERT INTO schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
      ).run(SCHEMA_VERSION);
    });
  }

  upsertTrades(trades: readonly Trade[]): Promise<void> {
    return this.batch('upsertTrades', trades, (s, t) => {
      s.upsertTrade.run(
        t.symbol,
        this.days.day(t.time),
        t.time,
        t.seq,
        t.price,
        t.size,
        conditionsJson(t.conditions),
      );
    });
  }

  upsertCandles(candles: readonly Candle[]): Promise<void> {
    return this.batch('upsertCandles', candles, (s, c) => {
      s.upsertCandle.run(
        c.symbol,
        c.intervalMs,
        this.days.day(c.start),
        c.start,
        c.open,
        c.high,
        c.low,
        c.close,
        c.volume,
        c.vwap,
        c.trades,
        c.final ? 1 : 0,
        indicatorsJson(c.indicators),
      );
    });
  }

  upsertAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.batch('upsertAlerts', alerts, (s, a) => {
      const user = a.user ?? null;
      s.upsertAlertBySymbol.run(
        a.symbol,
        this.days.day(a.time),
        a.time,
        a.id,
        a.kind,
        a.value,
        a.threshold,
        user,
        a.message,
      );
      if (user !== null) {
        s.upsertAlertByUser.run(user, a.time, a.id, a.symbol, a.kind, a.value, a.threshold, a.message);
      }
    });
  }

  upsertPositions(positions: readonly Position[]): Promise<void> {
    return this.batch('upsertPositions', positions, (s, p) => {
      s.upsertPosition.run(p.user, p.symbol, p.quantity, p.avgCost, p.realizedPnl, p.updatedAt);
      // The holders index follows the position in the same transaction: a flat position is no holder.
      if (p.quantity !== 0) s.upsertHolder.run(p.symbol, p.user, p.quantity);
      else s.deleteHolder.run(p.symbol, p.user);
    });
  }

  upsertFills(fills: readonly Fill[]): Promise<void> {
    return this.batch('upsertFills', fills, (s, f) => {
      s.upsertFill.run(f.user, f.time, f.fillId, f.symbol, f.side, f.quantity, f.price);
    });
  }

  upsertPortfolioValues(values: readonly PortfolioValue[]): Promise<void> {
    return this.batch('upsertPortfolioValues', values, (s, v) => {
      s.upsertPortfolioValue.run(
        v.user,
        this.days.day(v.time),
        v.time,
        v.value,
        v.cost,
        v.realizedPnl,
        v.unrealizedPnl,
        v.dayChange,
      );
    });
  }

  upsertFirmStats(rows: readonly FirmStatRow[]): Promise<void> {
    return this.batch('upsertFirmStats', rows, (s, r) => {
      s.upsertFirmStats.run(r.day, r.bucket, r.shard ?? 0, JSON.stringify(r.stats));
    });
  }

  upsertAlertRules(rules: readonly AlertRule[]): Promise<void> {
    return this.batch('upsertAlertRules', rules, (s, r) => {
      s.upsertAlertRule.run(r.id, r.user, r.symbol, r.kind, r.threshold);
    });
  }

  insertDeadletters(rows: readonly Deadletter[]): Promise<void> {
    return this.batch('insertDeadletters', rows, (s, d) => {
      s.insertDeadletter.run(d.time, d.sourceTopic, d.partition, d.offset, d.reason, d.detail, d.payload);
    });
  }

  async candles(symbol: string, intervalMs: number, range: TimeRange): Promise<Candle[]> {
    return this.guard('candles', (s) => {
      const [from, fromDay, to, toDay] = this.bounds(range);
      if (from >= to) return [];
      return s.candles.all(symbol, intervalMs, fromDay, from, symbol, intervalMs, toDay, to).map(toCandle);
    });
  }

  async trades(symbol: string, range: TimeRange, limit?: number): Promise<Trade[]> {
    return this.guard('trades', (s) => {
      const lim = limitArg(limit);
      const [from, fromDay, to, toDay] = this.bounds(range);
      if (from >= to) return [];
      return s.trades.all(symbol, fromDay, from, symbol, toDay, to, lim).map(toTrade);
    });
  }

  async alertsBySymbol(symbol: string, range: TimeRange): Promise<Alert[]> {
    return this.guard('alertsBySymbol', (s) => {
      const [from, fromDay, to, toDay] = this.bounds(range);
      if (from >= to) return [];
      return s.alertsBySymbol.all(symbol, fromDay, from, symbol, toDay, to).map(toAlert);
    });
  }

  async alertsByUser(user: number, limit?: number): Promise<Alert[]> {
    return this.guard('alertsByUser', (s) => s.alertsByUser.all(user, limitArg(limit)).map(toAlert));
  }

  async positions(user: number): Promise<Position[]> {
    return this.guard('positions', (s) => s.positions.all(user).map(toPosition));
  }

  async holders(symbol: string, limit?: number): Promise<{ user: number; quantity: number }[]> {
    return this.guard('holders', (s) => s.holders.all(symbol, limitArg(limit)).map(toHolder));
  }

  async portfolioHistory(user: number, range: TimeRange): Promise<PortfolioValue[]> {
    return this.guard('portfolioHistory', (s) => {
      const [from, fromDay, to, toDay] = this.bounds(range);
      if (from >= to) return [];
      return s.portfolioHistory.all(user, fromDay, from, user, toDay, to).map(toPortfolioValue);
    });
  }

  async lastFills(user: number, limit: number): Promise<Fill[]> {
    return this.guard('lastFills', (s) => s.lastFills.all(user, limitArg(limit)).map(toFill));
  }

  async firmStats(day: string): Promise<FirmStatRow[]> {
    return this.guard('firmStats', (s) => mergeFirmShards(s.firmStats.all(day).map(toFirmStatRow)));
  }

  async alertRules(symbol?: string): Promise<AlertRule[]> {
    return this.guard('alertRules', (s) =>
      (symbol === undefined ? s.alertRules.all() : s.alertRulesBySymbol.all(symbol)).map(toAlertRule),
    );
  }

  async deadletters(limit: number): Promise<Deadletter[]> {
    return this.guard('deadletters', (s) => s.deadletters.all(limitArg(limit)).map(toDeadletter));
  }

  async saveCheckpoint(c: Checkpoint): Promise<void> {
    this.guard('saveCheckpoint', (s) =>
      s.saveCheckpoint.run(c.processor, c.partition, JSON.stringify(c.offsets), c.state, c.updatedAt),
    );
  }

  async loadCheckpoint(processor: string, partition: number): Promise<Checkpoint | undefined> {
    return this.guard('loadCheckpoint', (s) => {
      const row: Row | undefined = s.loadCheckpoint.get(processor, partition);
      return row === undefined ? undefined : toCheckpoint(row);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stmts = undefined;
    this.db.close();
  }

  // ——— internals ———

  private open(): DatabaseSync {
    if (this.closed) throw new TickstreamError('STORE_UNAVAILABLE', 'store is closed', { retryable: false });
    return this.db;
  }

  /** Statements, prepared on first use (after migrate: preparing needs the tables). */
  private statements(): Statements {
    this.open();
    if (this.stmts === undefined) this.stmts = prepareStatements(this.db);
    return this.stmts;
  }

  /** [from, dayOf(from), to, dayOf(to)] for a row-value range seek; see bounds.ts for why that is exact. */
  private bounds(range: TimeRange): [number, string, number, string] {
    const from = clampTime(range.from);
    const to = clampTime(range.to);
    return [from, dayOf(from), to, dayOf(to)];
  }

  /** Runs fn in BEGIN IMMEDIATE … COMMIT (IMMEDIATE: take the write lock up front, no upgrade deadlock). */
  private tx(op: string, fn: () => void): void {
    const db = this.open();
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (cause) {
      throw toStoreError(cause, op);
    }
    try {
      fn();
      db.exec('COMMIT');
    } catch (cause) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw toStoreError(cause, op);
    }
  }

  private async batch<T>(
    op: string,
    rows: readonly T[],
    write: (s: Statements, row: T) => void,
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      if (i > 0) await yieldToLoop();
      const end = Math.min(rows.length, i + CHUNK);
      this.tx(op, () => {
        const s = this.statements();
        for (let j = i; j < end; j++) write(s, rows[j]!);
      });
    }
  }

  private guard<R>(op: string, fn: (s: Statements) => R): R {
    try {
      return fn(this.statements());
    } catch (cause) {
      throw toStoreError(cause, op);
    }
  }
}
