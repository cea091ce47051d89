// Row → domain mapping. The driver types every column as `any`; these readers narrow each value and
// fail loudly (a typed error, not a wrong value) if a row holds something this schema never writes.
// `bigint` columns arrive as Long (the driver's default): every value was written from a safe integer,
// so toNumber() is exact.
import { types } from 'cassandra-driver';
import { TickstreamError } from '../../domain/errors.ts';
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
} from '../../domain/types.ts';
import type { Checkpoint, FirmStatRow, FirmStats } from '../port.ts';

export type Row = Readonly<Record<string, unknown>>;

const corrupt = (col: string, want: string, got: unknown): TickstreamError =>
  new TickstreamError('STORE_QUERY_INVALID', `column ${col}: expected ${want}, got ${typeof got}`);

const num = (r: Row, col: string): number => {
  const v = r[col];
  if (typeof v !== 'number') throw corrupt(col, 'double or int', v);
  return v;
};
const long = (r: Row, col: string): number => {
  const v = r[col];
  if (v instanceof types.Long) return v.toNumber();
  throw corrupt(col, 'bigint', v);
};
const str = (r: Row, col: string): string => {
  const v = r[col];
  if (typeof v !== 'string') throw corrupt(col, 'text', v);
  return v;
};
const bool = (r: Row, col: string): boolean => {
  const v = r[col];
  if (typeof v !== 'boolean') throw corrupt(col, 'boolean', v);
  return v;
};
/** A plain Uint8Array view of the driver's Buffer (already a copy of the network bytes: copyBuffer). */
const bytes = (r: Row, col: string): Uint8Array => {
  const v = r[col];
  // A null blob is how Cassandra returns an empty one written as a zero-length value.
  if (v === null) return new Uint8Array(0);
  if (!(v instanceof Uint8Array)) throw corrupt(col, 'blob', v);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
};
// JSON columns are only ever written by this adapter from typed values, so the parse is trusted.
const json = <T>(r: Row, col: string): T => JSON.parse(str(r, col)) as T;

/** Binds a Uint8Array to a blob column without copying (the driver accepts only Buffer). */
export const blob = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** JSON for the conditions column; the common empty case skips the serializer. */
export const conditionsJson = (c: readonly string[]): string => (c.length === 0 ? '[]' : JSON.stringify(c));
export const indicatorsJson = (i: IndicatorValues): string => {
  // A warming-up candle has no indicators: skip the serializer for the empty object.
  for (const _ in i) return JSON.stringify(i);
  return '{}';
};

export const toTrade = (r: Row): Trade => ({
  symbol: str(r, 'symbol'),
  price: num(r, 'price') as Price,
  size: num(r, 'size') as Quantity,
  time: long(r, 'time') as EventTimeMs,
  conditions: json<string[]>(r, 'conditions'),
  seq: long(r, 'seq'),
});

export const toCandle = (r: Row): Candle => ({
  symbol: str(r, 'symbol'),
  intervalMs: long(r, 'interval_ms') as DurationMs,
  start: long(r, 'start_ms') as EventTimeMs,
  open: num(r, 'open') as Price,
  high: num(r, 'high') as Price,
  low: num(r, 'low') as Price,
  close: num(r, 'close') as Price,
  volume: num(r, 'volume') as Quantity,
  vwap: num(r, 'vwap') as Price,
  trades: long(r, 'trades'),
  final: bool(r, 'final'),
  indicators: json<IndicatorValues>(r, 'indicators'),
});

/** Alerts from either table; `user` is present only when the row has one (optional in the domain type). */
export const toAlert = (r: Row): Alert => {
  const a: Alert = {
    symbol: str(r, 'symbol'),
    time: long(r, 'time') as EventTimeMs,
    kind: str(r, 'kind') as AlertKind,
    value: num(r, 'value'),
    threshold: num(r, 'threshold'),
    id: str(r, 'id'),
    message: str(r, 'message'),
  };
  if (r.user_id !== null && r.user_id !== undefined) a.user = long(r, 'user_id');
  return a;
};

export const toPosition = (r: Row): Position => ({
  user: long(r, 'user_id'),
  symbol: str(r, 'symbol'),
  quantity: num(r, 'quantity'),
  avgCost: num(r, 'avg_cost') as Price,
  realizedPnl: num(r, 'realized_pnl'),
  updatedAt: long(r, 'updated_at') as EventTimeMs,
});

export const toHolder = (r: Row): { user: number; quantity: number } => ({
  user: long(r, 'user_id'),
  quantity: num(r, 'quantity'),
});

export const toPortfolioValue = (r: Row): PortfolioValue => ({
  user: long(r, 'user_id'),
  time: long(r, 'time') as EventTimeMs,
  value: num(r, 'value'),
  cost: num(r, 'cost'),
  realizedPnl: num(r, 'realized_pnl'),
  unrealizedPnl: num(r, 'unrealized_pnl'),
  dayChange: num(r, 'day_change'),
});

export const toFill = (r: Row): Fill => ({
  fillId: str(r, 'fill_id'),
  user: long(r, 'user_id'),
  symbol: str(r, 'symbol'),
  side: str(r, 'side') as Side,
  quantity: num(r, 'quantity') as Quantity,
  price: num(r, 'price') as Price,
  time: long(r, 'time') as EventTimeMs,
});

export const toFirmStatRow = (r: Row): FirmStatRow => ({
  day: str(r, 'day'),
  bucket: long(r, 'bucket'),
  stats: json<FirmStats>(r, 'stats'),
});

export const toAlertRule = (r: Row): AlertRule => ({
  id: str(r, 'id'),
  user: long(r, 'user_id'),
  symbol: str(r, 'symbol'),
  kind: str(r, 'kind') as AlertRule['kind'],
  threshold: num(r, 'threshold'),
});

export const toDeadletter = (r: Row): Deadletter => ({
  sourceTopic: str(r, 'source_topic'),
  partition: num(r, 'src_partition'),
  offset: long(r, 'src_offset'),
  reason: str(r, 'reason') as DeadletterReason,
  detail: str(r, 'detail'),
  payload: bytes(r, 'payload'),
  time: long(r, 'time') as ProcTimeMs,
});

export const toCheckpoint = (r: Row): Checkpoint => {
  let offsets: unknown;
  try {
    offsets = JSON.parse(str(r, 'offsets'));
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
  return {
    processor: str(r, 'processor'),
    partition: num(r, 'part'),
    offsets: offsets as Record<string, number>,
    state: bytes(r, 'state'),
    updatedAt: long(r, 'updated_at'),
  };
};
