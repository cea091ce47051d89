// Row → domain mapping shared by the store adapters. Each adapter supplies the column readers for its
// driver (node:sqlite gives numbers and 0/1 for booleans; cassandra-driver gives Long for bigint and
// real booleans); the mapping from columns to records is written once, here.
import { TickstreamError } from '../domain/errors.ts';
import type {
  Alert,
  AlertKind,
  AlertRule,
  Candle,
  Deadletter,
  DeadletterReason,
  DurationMs,
  EventTimeMs,
  Fill,
  IndicatorValues,
  PortfolioValue,
  Position,
  Price,
  ProcTimeMs,
  Quantity,
  Side,
  Trade,
} from '../domain/types.ts';
import type { Checkpoint, FirmStatRow, FirmStats } from './port.ts';

/** Reads one typed column of a row, failing with a typed error if it holds something else. */
export interface ColumnReader<R> {
  /** A double (or small int) column. */
  num(r: R, col: string): number;
  /** A 64-bit integer column (times, offsets, ids), as an exact safe integer. */
  long(r: R, col: string): number;
  str(r: R, col: string): string;
  bool(r: R, col: string): boolean;
  bytes(r: R, col: string): Uint8Array;
  /** Whether a nullable column has a value. */
  has(r: R, col: string): boolean;
}

/** JSON for the conditions column; the common empty case skips the serializer. */
export const conditionsJson = (c: readonly string[]): string => (c.length === 0 ? '[]' : JSON.stringify(c));
/** JSON for the indicators column; a warming-up candle has none, so the serializer is skipped. */
export const indicatorsJson = (i: IndicatorValues): string => {
  for (const _ in i) return JSON.stringify(i);
  return '{}';
};

const checkpointOffsets = (text: string): Record<string, number> => {
  let offsets: unknown;
  try {
    offsets = JSON.parse(text);
  } catch (cause) {
    throw new TickstreamError('CHECKPOINT_CORRUPT', 'checkpoint offsets are not JSON', { cause });
  }
  if (typeof offsets !== 'object' || offsets === null || Array.isArray(offsets)) {
    throw new TickstreamError('CHECKPOINT_CORRUPT', 'checkpoint offsets are not an object');
  }
  for (const v of Object.values(offsets)) {
    if (typeof v !== 'number')
      throw new TickstreamError('CHECKPOINT_CORRUPT', 'checkpoint offset is not a number');
  }
  return offsets as Record<string, number>;
};

export const rowMappers = <R>(c: ColumnReader<R>) => {
  // JSON columns are only ever written by the adapters from typed values, so the parse is trusted.
  const json = <T>(r: R, col: string): T => JSON.parse(c.str(r, col)) as T;
  return {
    toTrade: (r: R): Trade => ({
      symbol: c.str(r, 'symbol'),
      price: c.num(r, 'price') as Price,
      size: c.num(r, 'size') as Quantity,
      time: c.long(r, 'time') as EventTimeMs,
      conditions: json<string[]>(r, 'conditions'),
      seq: c.long(r, 'seq'),
    }),
    toCandle: (r: R): Candle => ({
      symbol: c.str(r, 'symbol'),
      intervalMs: c.long(r, 'interval_ms') as DurationMs,
      start: c.long(r, 'start_ms') as EventTimeMs,
      open: c.num(r, 'open') as Price,
      high: c.num(r, 'high') as Price,
      low: c.num(r, 'low') as Price,
      close: c.num(r, 'close') as Price,
      volume: c.num(r, 'volume') as Quantity,
      vwap: c.num(r, 'vwap') as Price,
      trades: c.long(r, 'trades'),
      final: c.bool(r, 'final'),
      indicators: json<IndicatorValues>(r, 'indicators'),
    }),
    /** Alerts from either table; `user` is present only when the row has one. */
    toAlert: (r: R): Alert => {
      const a: Alert = {
        symbol: c.str(r, 'symbol'),
        time: c.long(r, 'time') as EventTimeMs,
        kind: c.str(r, 'kind') as AlertKind,
        value: c.num(r, 'value'),
        threshold: c.num(r, 'threshold'),
        id: c.str(r, 'id'),
        message: c.str(r, 'message'),
      };
      if (c.has(r, 'user_id')) a.user = c.long(r, 'user_id');
      return a;
    },
    toPosition: (r: R): Position => ({
      user: c.long(r, 'user_id'),
      symbol: c.str(r, 'symbol'),
      quantity: c.num(r, 'quantity'),
      avgCost: c.num(r, 'avg_cost') as Price,
      realizedPnl: c.num(r, 'realized_pnl'),
      updatedAt: c.long(r, 'updated_at') as EventTimeMs,
    }),
    toHolder: (r: R): { user: number; quantity: number } => ({
      user: c.long(r, 'user_id'),
      quantity: c.num(r, 'quantity'),
    }),
    toPortfolioValue: (r: R): PortfolioValue => ({
      user: c.long(r, 'user_id'),
      time: c.long(r, 'time') as EventTimeMs,
      value: c.num(r, 'value'),
      cost: c.num(r, 'cost'),
      realizedPnl: c.num(r, 'realized_pnl'),
      unrealizedPnl: c.num(r, 'unrealized_pnl'),
      dayChange: c.num(r, 'day_change'),
    }),
    toFill: (r: R): Fill => ({
      fillId: c.str(r, 'fill_id'),
      user: c.long(r, 'user_id'),
      symbol: c.str(r, 'symbol'),
      side: c.str(r, 'side') as Side,
      quantity: c.num(r, 'quantity') as Quantity,
      price: c.num(r, 'price') as Price,
      time: c.long(r, 'time') as EventTimeMs,
    }),
    toFirmStatRow: (r: R): FirmStatRow => ({
      day: c.str(r, 'day'),
      bucket: c.long(r, 'bucket'),
      stats: json<FirmStats>(r, 'stats'),
    }),
    toAlertRule: (r: R): AlertRule => ({
      id: c.str(r, 'id'),
      user: c.long(r, 'user_id'),
      symbol: c.str(r, 'symbol'),
      kind: c.str(r, 'kind') as AlertRule['kind'],
      threshold: c.num(r, 'threshold'),
    }),
    toDeadletter: (r: R): Deadletter => ({
      sourceTopic: c.str(r, 'source_topic'),
      partition: c.num(r, 'src_partition'),
      offset: c.long(r, 'src_offset'),
      reason: c.str(r, 'reason') as DeadletterReason,
      detail: c.str(r, 'detail'),
      payload: c.bytes(r, 'payload'),
      time: c.long(r, 'time') as ProcTimeMs,
    }),
    toCheckpoint: (r: R): Checkpoint => ({
      processor: c.str(r, 'processor'),
      partition: c.num(r, 'part'),
      offsets: checkpointOffsets(c.str(r, 'offsets')),
      state: c.bytes(r, 'state'),
      updatedAt: c.long(r, 'updated_at'),
    }),
  };
};
