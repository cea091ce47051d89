// Validation of trades and fills at the edges. Every check returns a reason from DeadletterReason so a
// rejected record lands in deadletter with something an operator can act on.
//
// Checks come in two layers: `checkTrade`/`checkFill` need nothing but the record (the codecs and JSON
// parsers run them), `validateTrade`/`validateFill` add the universe (unknown_symbol). Checks return
// `undefined` when the record is fine so the hot path allocates nothing but the final verdict.
// Nothing here reads the wall clock: the same record gets the same verdict at any time (replays).
import type { DeadletterReason, Fill, Trade } from './types.ts';
import type { Universe } from './universe.ts';

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: DeadletterReason; detail: string };
export type Rejection = { ok: false; reason: DeadletterReason; detail: string };

export const accept = <T>(value: T): Verdict<T> => ({ ok: true, value });
export const reject = (reason: DeadletterReason, detail: string): Rejection => ({
  ok: false,
  reason,
  detail,
});

export const MAX_SYMBOL_LEN = 16;
export const MAX_CONDITIONS = 16;
export const MAX_CONDITION_LEN = 8;
export const MAX_FILL_ID_LEN = 64;
export const MAX_USER = 2 ** 31 - 1;
/** Largest integer an Avro long round-trips through avsc (it refuses ±(2^53 - 1) as a potential precision loss). */
export const MAX_LONG = 2 ** 53 - 2;
/** 1990-01-01T00:00:00Z: older event times are corrupt or in seconds instead of milliseconds. */
export const MIN_TIME_MS = Date.UTC(1990, 0, 1);
/** 2100-01-01T00:00:00Z: later event times are corrupt or in microseconds instead of milliseconds. */
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);

/** A bounded, printable rendering of an untrusted value for a detail message. */
export const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
};

/** Printable ASCII without spaces (0x21..0x7e), 1..max characters. */
export const checkToken = (name: string, v: unknown, max: number): Rejection | undefined => {
  if (typeof v !== 'string') return reject('invalid_field', `${name} must be a string, got ${show(v)}`);
  if (v.length === 0 || v.length > max) {
    return reject('invalid_field', `${name} must have 1..${max} characters, got ${v.length}`);
  }
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x21 || c > 0x7e)
      return reject('invalid_field', `${name} has a non-printable or non-ASCII character`);
  }
  return undefined;
};

/** Any string of at most max characters (free text such as messages). */
export const checkText = (name: string, v: unknown, max: number): Rejection | undefined => {
  if (typeof v !== 'string') return reject('invalid_field', `${name} must be a string, got ${show(v)}`);
  if (v.length > max)
    return reject('invalid_field', `${name} must have at most ${max} characters, got ${v.length}`);
  return undefined;
};

export const checkFinite = (name: string, v: unknown): Rejection | undefined => {
  if (typeof v !== 'number') return reject('invalid_field', `${name} must be a number, got ${show(v)}`);
  if (!Number.isFinite(v)) return reject('non_finite', `${name} is ${v}`);
  return undefined;
};

export const checkPositive = (name: string, v: unknown): Rejection | undefined => {
  const r = checkFinite(name, v);
  if (r !== undefined) return r;
  if ((v as number) <= 0) return reject('non_positive', `${name} must be > 0, got ${v}`);
  return undefined;
};

export const checkNonNegative = (name: string, v: unknown): Rejection | undefined => {
  const r = checkFinite(name, v);
  if (r !== undefined) return r;
  if ((v as number) < 0) return reject('invalid_field', `${name} must be >= 0, got ${v}`);
  return undefined;
};

/** An integer in [min, max]; type and range problems are invalid_field, NaN/Infinity non_finite. */
export const checkInt = (name: string, v: unknown, min: number, max: number): Rejection | undefined => {
  const r = checkFinite(name, v);
  if (r !== undefined) return r;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    return reject('invalid_field', `${name} must be an integer in ${min}..${max}, got ${v}`);
  }
  return undefined;
};

/** Milliseconds since the epoch, integer, within [MIN_TIME_MS, MAX_TIME_MS]. */
export const checkTime = (name: string, v: unknown): Rejection | undefined => {
  const r = checkFinite(name, v);
  if (r !== undefined) return r;
  if (!Number.isInteger(v)) return reject('bad_timestamp', `${name} must be whole milliseconds, got ${v}`);
  if ((v as number) < MIN_TIME_MS || (v as number) > MAX_TIME_MS) {
    return reject('bad_timestamp', `${name} ${v} is outside 1990-01-01..2100-01-01`);
  }
  return undefined;
};

export const checkUser = (name: string, v: unknown): Rejection | undefined => checkInt(name, v, 0, MAX_USER);

const checkConditions = (v: unknown): Rejection | undefined => {
  if (!Array.isArray(v)) return reject('invalid_field', `conditions must be an array, got ${show(v)}`);
  if (v.length > MAX_CONDITIONS) {
    return reject('invalid_field', `conditions must have at most ${MAX_CONDITIONS} items, got ${v.length}`);
  }
  for (let i = 0; i < v.length; i++) {
    const r = checkToken(`conditions[${i}]`, v[i], MAX_CONDITION_LEN);
    if (r !== undefined) return r;
  }
  return undefined;
};

/** Everything about a trade that does not need the universe. Order: symbol, price, size, time, conditions, seq. */
export const checkTrade = (t: Trade): Rejection | undefined => {
  if (typeof t !== 'object' || t === null)
    return reject('unknown_shape', `a trade must be an object, got ${show(t)}`);
  return (
    checkToken('symbol', t.symbol, MAX_SYMBOL_LEN) ??
    checkPositive('price', t.price) ??
    checkPositive('size', t.size) ??
    checkTime('time', t.time) ??
    checkConditions(t.conditions) ??
    checkInt('seq', t.seq, 0, MAX_LONG)
  );
};

export const checkSide = (v: unknown): Rejection | undefined =>
  v === 'buy' || v === 'sell'
    ? undefined
    : reject('invalid_field', `side must be "buy" or "sell", got ${show(v)}`);

/** Everything about a fill that does not need the universe. Order: fillId, user, symbol, side, quantity, price, time. */
export const checkFill = (f: Fill): Rejection | undefined => {
  if (typeof f !== 'object' || f === null)
    return reject('unknown_shape', `a fill must be an object, got ${show(f)}`);
  return (
    checkToken('fillId', f.fillId, MAX_FILL_ID_LEN) ??
    checkUser('user', f.user) ??
    checkToken('symbol', f.symbol, MAX_SYMBOL_LEN) ??
    checkSide(f.side) ??
    checkPositive('quantity', f.quantity) ??
    checkPositive('price', f.price) ??
    checkTime('time', f.time)
  );
};

/** The verdict for a symbol outside the universe, as validateTrade and validateFill give it. */
export const unknownSymbol = (symbol: string): Rejection =>
  reject('unknown_symbol', `symbol ${show(symbol)} is not in the universe`);

const checkKnown = (symbol: string, universe: Universe): Rejection | undefined =>
  universe.has(symbol) ? undefined : unknownSymbol(symbol);

export function validateTrade(t: Trade, universe: Universe): Verdict<Trade> {
  return checkTrade(t) ?? checkKnown(t.symbol, universe) ?? accept(t);
}

export function validateFill(f: Fill, universe: Universe): Verdict<Fill> {
  return checkFill(f) ?? checkKnown(f.symbol, universe) ?? accept(f);
}
