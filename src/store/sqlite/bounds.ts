// Query and write bounds: day buckets for the day-partitioned tables, time clamping, LIMIT arguments.
//
// Range queries seek with row values: (key…, day, time) >= (key…, dayOf(from), from) and
// < (key…, dayOf(to), to). That equals `from <= time < to` only because the 'YYYY-MM-DD' label sorts
// like the time it comes from, which holds for years 0000–9999. Times outside are rejected on write
// and clamped on read (so `to: Number.MAX_SAFE_INTEGER` or `Infinity` mean "no upper bound").
import { TickstreamError } from '../../domain/errors.ts';
import { dayOf } from '../port.ts';

const DAY_MS = 86_400_000;
/** 0000-01-01T00:00:00.000Z */
export const MIN_TIME = -62_167_219_200_000;
/** 9999-12-31T23:59:59.999Z, exclusive: a clamped `to` of MAX_TIME still covers every storable time. */
export const MAX_TIME = 253_402_300_799_999;

/**
 * dayOf with a one-entry cache: a batch is mostly one day, so this avoids a Date and two strings per
 * row on the write path. Rejects times whose label would not sort.
 */
export class DayCache {
  private start = 0;
  private end = 0;
  private label = '';

  day(ms: number): string {
    if (ms >= this.start && ms < this.end) return this.label;
    if (!(ms >= MIN_TIME && ms < MAX_TIME)) {
      throw new TickstreamError('VALIDATION_FAILED', `time ${ms} is outside the storable range`);
    }
    const start = Math.floor(ms / DAY_MS) * DAY_MS;
    this.start = start;
    this.end = start + DAY_MS;
    this.label = dayOf(start);
    return this.label;
  }
}

/** A query bound clamped into the storable range; NaN is a caller bug. */
export const clampTime = (ms: number): number => {
  if (Number.isNaN(ms)) throw new TickstreamError('STORE_QUERY_INVALID', 'time bound is NaN');
  return Math.max(MIN_TIME, Math.min(ms, MAX_TIME));
};

/** LIMIT argument: undefined means none (-1 in SQLite); otherwise a non-negative integer. */
export const limitArg = (limit: number | undefined): number => {
  if (limit === undefined) return -1;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TickstreamError('STORE_QUERY_INVALID', `limit must be a non-negative integer, got ${limit}`);
  }
  return limit;
};
