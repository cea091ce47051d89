// The Store port: query-first tables (one per query shape) with idempotent upserts. The SQLite adapter
// is the embedded default, Cassandra the production one; test/contract/store.contract.ts runs against both.
import type {
  Alert,
  AlertRule,
  Candle,
  Deadletter,
  EventTimeMs,
  Fill,
  PortfolioValue,
  Position,
  Trade,
} from '../domain/types.ts';

/** Firm-level figures for one bucket of one day (volume by symbol and side, top traders, sector mix). */
export interface FirmStatRow {
  /** UTC day, 'YYYY-MM-DD'. */
  day: string;
  /** Bucket start in ms (event time). */
  bucket: number;
  /** A JSON-serialisable document with the figures of that bucket. */
  stats: FirmStats;
  /**
   * The partition (of users) whose figures these are; several shards of one bucket add up. Absent in
   * what `firmStats` returns, which merges the shards of each bucket.
   */
  shard?: number;
}

export interface FirmStats {
  volumeBySymbol: Record<string, { buy: number; sell: number; notional: number }>;
  topTraders: { user: number; notional: number }[];
  sectorMix: Record<string, number>;
  fills: number;
}

export interface Checkpoint {
  processor: string;
  partition: number;
  /** Next input offset to read per input topic ("topic" → offset). */
  offsets: Record<string, number>;
  /** Opaque snapshot of the partition's keyed state. */
  state: Uint8Array;
  updatedAt: number;
}

export interface TimeRange {
  from: EventTimeMs;
  /** Exclusive. */
  to: EventTimeMs;
}

export interface Store {
  /** Creates keyspace/tables if missing. Idempotent. */
  migrate(): Promise<void>;

  upsertTrades(trades: readonly Trade[]): Promise<void>;
  upsertCandles(candles: readonly Candle[]): Promise<void>;
  upsertAlerts(alerts: readonly Alert[]): Promise<void>;
  upsertPositions(positions: readonly Position[]): Promise<void>;
  upsertFills(fills: readonly Fill[]): Promise<void>;
  upsertPortfolioValues(values: readonly PortfolioValue[]): Promise<void>;
  upsertFirmStats(rows: readonly FirmStatRow[]): Promise<void>;
  upsertAlertRules(rules: readonly AlertRule[]): Promise<void>;
  /** Keyed by (sourceTopic, partition, offset): a replayed record's deadletter replaces its earlier row. */
  insertDeadletters(rows: readonly Deadletter[]): Promise<void>;

  /** Candles of one symbol and interval with start in [from, to), ascending by start. */
  candles(symbol: string, intervalMs: number, range: TimeRange): Promise<Candle[]>;
  /** Trades of one symbol with time in [from, to), ascending by (time, seq). */
  trades(symbol: string, range: TimeRange, limit?: number): Promise<Trade[]>;
  /** Alerts of one symbol in [from, to), ascending by time. */
  alertsBySymbol(symbol: string, range: TimeRange): Promise<Alert[]>;
  /** Alerts of user-defined rules for one user, newest first. */
  alertsByUser(user: number, limit?: number): Promise<Alert[]>;
  /** A user's positions (open and closed-with-realized-P&L), by symbol. */
  positions(user: number): Promise<Position[]>;
  /** Users holding a symbol (non-zero quantity), ascending by user. */
  holders(symbol: string, limit?: number): Promise<{ user: number; quantity: number }[]>;
  /** A user's value history in [from, to), ascending. */
  portfolioHistory(user: number, range: TimeRange): Promise<PortfolioValue[]>;
  /** A user's last fills, newest first. */
  lastFills(user: number, limit: number): Promise<Fill[]>;
  /** Firm statistics of one day, ascending by bucket. */
  firmStats(day: string): Promise<FirmStatRow[]>;
  /** All rules, or those of one symbol; in no particular order. */
  alertRules(symbol?: string): Promise<AlertRule[]>;
  /** The latest deadletters, newest first (by time). */
  deadletters(limit: number): Promise<Deadletter[]>;

  /** State and input offsets in one atomic write. */
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
  loadCheckpoint(processor: string, partition: number): Promise<Checkpoint | undefined>;

  close(): Promise<void>;
}

/** UTC day bucket 'YYYY-MM-DD' of an event time: the partition bound of day-bucketed tables. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
