// Timestamps as they appear on trade tapes, to epoch milliseconds:
//   - ISO 8601: 2024-01-02T14:30:00.123Z, with an offset, or without a zone (then read in the tape's
//     time zone, like every other local time on the tape); fractions beyond milliseconds are truncated.
//   - epoch milliseconds: 11 or more digits (1704205800123).
//   - TAQ: HHMMSSmmm (093000123, or 93000123 with the leading zero dropped) or HH:MM:SS[.fraction]
//     (the TIME_M column, with up to nanoseconds), local time of the trade date given by a DATE column
//     or the --date option.
// Ten bare digits are rejected: that is epoch seconds, and guessing the unit would shift times 1000×.
// Every pattern is anchored with no nested quantifiers, so matching is linear on any input.
import type { DeadletterReason } from '../domain/types.ts';

export type TimeResult = number | { reason: DeadletterReason; detail: string };

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const DIGITS = /^\d{1,19}$/;
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;

export const DEFAULT_TAPE_TIME_ZONE = 'America/New_York';

const bad = (detail: string): TimeResult => ({ reason: 'bad_timestamp', detail });

const fractionMs = (f: string | undefined): number =>
  f === undefined ? 0 : Number(f.slice(0, 3).padEnd(3, '0'));

/** Offset of `timeZone` from UTC at instant `utcMs`, in ms (New York in winter: -5 h). */
export const zoneOffsetMs = (utcMs: number, timeZone: string): number => {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return local - Math.floor(utcMs / 1000) * 1000;
};

/**
 * Resolves local dates to the UTC instant of their local midnight, caching per date. The offset is the
 * one in force at midday, which holds from 04:00 on every date (US clocks change at 02:00), i.e. for
 * the whole extended trading session.
 */
export class TapeCalendar {
  readonly timeZone: string;
  private readonly cache = new Map<string, number>();

  constructor(timeZone: string = DEFAULT_TAPE_TIME_ZONE) {
    zoneOffsetMs(0, timeZone); // throws RangeError now, not on the first line, for an unknown zone
    this.timeZone = timeZone;
  }

  /** UTC ms of local midnight of `date` (YYYY-MM-DD or YYYYMMDD), or undefined if it is not a date. */
  midnight(date: string): number | undefined {
    const hit = this.cache.get(date);
    if (hit !== undefined) return hit;
    const m = DATE.exec(date);
    if (m === null) return undefined;
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const d = Number(m[3]);
    const utcMidnight = Date.UTC(y, mo - 1, d);
    const check = new Date(utcMidnight);
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d)
      return undefined;
    const v = utcMidnight - zoneOffsetMs(utcMidnight + 12 * 3600_000, this.timeZone);
    if (this.cache.size > 10_000) this.cache.clear(); // a tape spans few dates; bound it anyway
    this.cache.set(date, v);
    return v;
  }

  /** Parses one tape timestamp; `midnight` is the trade date's local midnight (UTC ms) if known. */
  parse(text: string, midnight: number | undefined): TimeResult {
    const s = text.trim();
    if (s.length === 0) return bad('empty time');
    if (s.length > 40) return bad('time longer than 40 characters');
    if (DIGITS.test(s)) {
      if (s.length >= 11) return Number(s);
      if (s.length === 10) return bad(`time ${s} looks like epoch seconds; give milliseconds`);
      const hhmmss = s.padStart(9, '0');
      return this.clockTime(
        Number(hhmmss.slice(0, 2)),
        Number(hhmmss.slice(2, 4)),
        Number(hhmmss.slice(4, 6)),
        Number(hhmmss.slice(6, 9)),
        midnight,
        s,
      );
    }
    const c = CLOCK.exec(s);
    if (c !== null)
      return this.clockTime(Number(c[1]), Number(c[2]), Number(c[3]), fractionMs(c[4]), midnight, s);
    const m = ISO.exec(s);
    if (m === null) return bad(`time ${JSON.stringify(s)} is not ISO 8601, epoch ms, HHMMSSmmm or HH:MM:SS`);
    const [, y, mo, d, h, mi, sec, frac, zone] = m;
    const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
    const check = new Date(base);
    // Date.UTC rolls 2024-02-30 over to March: a field that changed was out of range.
    if (
      check.getUTCFullYear() !== Number(y) ||
      check.getUTCMonth() !== Number(mo) - 1 ||
      check.getUTCDate() !== Number(d) ||
      Number(h) > 23 ||
      Number(mi) > 59 ||
      Number(sec ?? 0) > 59
    ) {
      return bad(`time ${JSON.stringify(s)} is not a valid date and time`);
    }
    const ms = base + fractionMs(frac);
    if (zone === undefined) {
      const mid = this.midnight(`${y}-${mo}-${d}`);
      return mid === undefined
        ? bad(`bad date in ${s}`)
        : mid + (ms - Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    }
    if (zone === 'Z') return ms;
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
    return ms - offset;
  }

  private clockTime(
    h: number,
    m: number,
    s: number,
    ms: number,
    midnight: number | undefined,
    raw: string,
  ): TimeResult {
    if (h > 23 || m > 59 || s > 59) return bad(`time ${raw} is not a valid time of day`);
    if (midnight === undefined) return bad(`time of day ${raw} needs a trade date (DATE column or --date)`);
    return midnight + ((h * 60 + m) * 60 + s) * 1000 + ms;
  }
}
