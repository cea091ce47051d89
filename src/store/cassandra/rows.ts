// Row → domain mapping. The driver types every column as `any`; these readers narrow each value and
// fail loudly (a typed error, not a wrong value) if a row holds something this schema never writes.
// `bigint` columns arrive as Long (the driver's default): every value was written from a safe integer,
// so toNumber() is exact.
import { types } from 'cassandra-driver';
import { TickstreamError } from '../../domain/errors.ts';
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

export const {
  toTrade,
  toCandle,
  toAlert,
  toPosition,
  toHolder,
  toPortfolioValue,
  toFill,
  toFirmStatRow,
  toAlertRule,
  toDeadletter,
  toCheckpoint,
} = rowMappers<Row>({ num, long, str, bool, bytes, has });
