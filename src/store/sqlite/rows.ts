// Row → domain mapping. node:sqlite types every column as a union; these readers narrow it and fail
// loudly (a typed error, not a wrong value) if the file holds something this schema never writes.

import type { SQLOutputValue } from 'node:sqlite';
import { TickstreamError } from '../../domain/errors.ts';
import { rowMappers } from '../rows.ts';

export type Row = Record<string, SQLOutputValue>;

const corrupt = (col: string, want: string, got: SQLOutputValue): TickstreamError =>
  new TickstreamError('STORE_QUERY_INVALID', `column ${col}: expected ${want}, got ${typeof got}`);

const num = (r: Row, col: string): number => {
  const v = r[col];
  if (typeof v !== 'number') throw corrupt(col, 'number', v ?? null);
  return v;
};
const str = (r: Row, col: string): string => {
  const v = r[col];
  if (typeof v !== 'string') throw corrupt(col, 'string', v ?? null);
  return v;
};
const bytes = (r: Row, col: string): Uint8Array => {
  const v = r[col];
  if (!(v instanceof Uint8Array)) throw corrupt(col, 'blob', v ?? null);
  return v;
};
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
} = rowMappers<Row>({
  num,
  // SQLite INTEGER columns come back as exact numbers (every value was written from a safe integer).
  long: num,
  str,
  // SQLite has no boolean type: the schema stores 0/1.
  bool: (r, col) => num(r, col) !== 0,
  bytes,
  has,
});
