// Time bounds, day buckets and LIMIT arguments for the Cassandra adapter. The storable time range and
// the day labels are the embedded store's (src/store/sqlite/bounds.ts): both adapters must agree on
// which rows exist and which day bucket a row belongs to, so the rules are shared, not copied.
import { TickstreamError } from '../../domain/errors.ts';
import { clampTime, DayCache, MAX_TIME, MIN_TIME } from '../sqlite/bounds.ts';

export { clampTime, DayCache, MAX_TIME, MIN_TIME };

/** CQL LIMIT must be positive and fit an int. */
export const NO_LIMIT = 2_147_483_647;

/** undefined → no limit; otherwise a non-negative safe integer (0 is answered without a query). */
export const limitArg = (limit: number | undefined): number => {
  if (limit === undefined) return NO_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TickstreamError('STORE_QUERY_INVALID', `limit must be a non-negative integer, got ${limit}`);
  }
  return Math.min(limit, NO_LIMIT);
};

/**
 * A value bound to a `bigint` column. The driver turns a JS number into a 64-bit integer with
 * Long.fromNumber, which silently truncates 1.5 to 1 and NaN to 0: refuse those instead.
 */
export const int64 = (v: number, what: string): number => {
  if (!Number.isSafeInteger(v)) {
    throw new TickstreamError('VALIDATION_FAILED', `${what} must be a safe integer, got ${v}`);
  }
  return v;
};

/** A value bound to an `int` column (partition numbers, shards). */
export const int32 = (v: number, what: string): number => {
  if (!Number.isInteger(v) || v < -2_147_483_648 || v > 2_147_483_647) {
    throw new TickstreamError('VALIDATION_FAILED', `${what} must be a 32-bit integer, got ${v}`);
  }
  return v;
};
