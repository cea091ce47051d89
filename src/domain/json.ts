// JSON at the edges (HTTP, files, websockets) → domain records. Hand-written checks rather than a schema
// library so every rejection maps to a precise DeadletterReason: wrong or extra keys are unknown_shape,
// a string where a number belongs is invalid_field, the value rules are those of validate.ts.
// Symbol membership (unknown_symbol) is validateTrade's job: these functions do not know the universe.
import type { EventTimeMs, Fill, Trade } from './types.ts';
import { accept, checkFill, checkTrade, type Rejection, reject, show, type Verdict } from './validate.ts';

export { DEFAULT_MAX_JSON_BYTES, findDuplicateKey, parseJsonLine } from './json-line.ts';

const TRADE_KEYS: ReadonlySet<string> = new Set(['symbol', 'price', 'size', 'time', 'conditions', 'seq']);
const TRADE_REQUIRED = ['symbol', 'price', 'size', 'time'] as const;
const FILL_KEYS: ReadonlySet<string> = new Set([
  'fillId',
  'user',
  'symbol',
  'side',
  'quantity',
  'price',
  'time',
]);
const FILL_REQUIRED = [...FILL_KEYS];

/** The object's own keys are all allowed and the required ones present; otherwise unknown_shape. */
export const checkShape = (
  what: string,
  v: unknown,
  allowed: ReadonlySet<string>,
  required: readonly string[],
): Rejection | undefined => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return reject('unknown_shape', `${what} must be a JSON object, got ${show(v)}`);
  }
  for (const k of Object.keys(v)) {
    if (!allowed.has(k)) return reject('unknown_shape', `${what} has unknown field ${show(k)}`);
  }
  for (const k of required) {
    if (!Object.hasOwn(v, k)) return reject('unknown_shape', `${what} is missing field ${k}`);
  }
  return undefined;
};

// Strict ISO 8601 with a mandatory zone; anchored, no nested quantifiers (linear time on any input).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Event time from a number of milliseconds or an ISO 8601 string; range checks happen in checkTrade/checkFill. */
export const timeFromJson = (v: unknown): number | Rejection => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string')
    return reject('invalid_field', `time must be ms or an ISO 8601 string, got ${show(v)}`);
  if (v.length > 40 || !ISO_TIME.test(v))
    return reject('bad_timestamp', `time ${show(v)} is not ISO 8601 with a zone`);
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? reject('bad_timestamp', `time ${show(v)} is not a valid date`) : ms;
};

const isRejection = (v: unknown): v is Rejection => typeof v === 'object' && v !== null;

export function tradeFromJson(v: unknown): Verdict<Trade> {
  const shape = checkShape('trade', v, TRADE_KEYS, TRADE_REQUIRED);
  if (shape !== undefined) return shape;
  const o = v as Record<string, unknown>;
  const time = timeFromJson(o.time);
  if (isRejection(time)) return time;
  const t = {
    symbol: o.symbol,
    price: o.price,
    size: o.size,
    time: time as EventTimeMs,
    conditions: o.conditions === undefined || o.conditions === null ? [] : o.conditions,
    seq: o.seq === undefined ? 0 : o.seq,
  } as Trade; // field types are unchecked until checkTrade below
  return checkTrade(t) ?? accept(t);
}

export function fillFromJson(v: unknown): Verdict<Fill> {
  const shape = checkShape('fill', v, FILL_KEYS, FILL_REQUIRED);
  if (shape !== undefined) return shape;
  const o = v as Record<string, unknown>;
  const time = timeFromJson(o.time);
  if (isRejection(time)) return time;
  const f = {
    fillId: o.fillId,
    user: o.user,
    symbol: o.symbol,
    side: o.side,
    quantity: o.quantity,
    price: o.price,
    time: time as EventTimeMs,
  } as Fill;
  return checkFill(f) ?? accept(f);
}
