// Row → domain mapping. The driver types every column as `any`; these readers narrow each value and
// fail loudly (a typed error, not a wrong value) if a row holds something this schema never writes.
// `bigint` columns arrive as Long (the driver's default): every value was written from a safe integer,
// so toNumber() is exact.
import { types } from 'cassandra-driver';
import { TickstreamError } from '../../domain/errors.ts';
import type { Candle, Trade } from '../../domain/types.ts';
import { rowMappers } from '../rows.ts';

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
/** Binds a Uint8Array to a blob column without copying (the driver accepts only Buffer). */
export const blob = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const has = (r: Row, col: string): boolean => r[col] !== null && r[col] !== undefined;

export { conditionsJson, indicatorsJson } from '../rows.ts';

const mappers = rowMappers<Row>({ num, long, str, bool, bytes, has });

/**
 * The row with its value cell's fields in place of the value columns (schema v3 names the fields as
 * the columns they replaced), or the row itself when it has no such cell (written before v3).
 */
const withValues = (r: Row, cell: string, keys: readonly string[]): Row => {
  const v = r[cell];
  if (v === null || v === undefined) return r;
  if (typeof v !== 'object') throw corrupt(cell, 'a user-defined type value', v);
  const out: Record<string, unknown> = { ...(v as Row) };
  for (const k of keys) out[k] = r[k];
  return out;
};

export const toCandle = (r: Row): Candle =>
  mappers.toCandle(withValues(r, 'bar', ['symbol', 'interval_ms', 'start_ms']));
export const toTrade = (r: Row): Trade => mappers.toTrade(withValues(r, 'print', ['symbol', 'time', 'seq']));

export const {
  toAlert,
  toPosition,
  toHolder,
  toPortfolioValue,
  toFill,
  toFirmStatRow,
  toAlertRule,
  toDeadletter,
  toCheckpoint,
} = mappers;
