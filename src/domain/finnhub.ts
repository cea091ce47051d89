// The Finnhub websocket feed shape: {"type":"trade","data":[{"s":"AAPL","p":190.1,"t":1700000000000,"v":100,"c":["1"]}]}.
// Other message types ({"type":"ping"}, {"type":"error","msg":...}) carry no trades; `other` names them.
// Each item is checked like any trade at the edge (shape, finite positive numbers, timestamps, bounded
// strings); universe membership is left to validateTrade. One bad item rejects only that item.

import { checkShape } from './json.ts';
import { parseJsonLine } from './json-line.ts';
import type { DeadletterReason, EventTimeMs, Price, Quantity, Trade } from './types.ts';
import { checkTrade, MAX_CONDITIONS, show } from './validate.ts';

/** Finnhub batches trades per message; a message larger than this is not a plausible feed message. */
export const MAX_FINNHUB_BYTES = 1024 * 1024;
export const MAX_FINNHUB_TRADES = 5000;

export interface FinnhubParse {
  trades: Trade[];
  rejected: { reason: DeadletterReason; detail: string }[];
  /** The message type when it is not "trade" (e.g. "ping"), cut to 32 characters. */
  other?: string;
}

const MESSAGE_KEYS: ReadonlySet<string> = new Set(['type', 'data']);
const ITEM_KEYS: ReadonlySet<string> = new Set(['s', 'p', 't', 'v', 'c']);
const ITEM_REQUIRED = ['s', 'p', 't', 'v'] as const;

const rejectAll = (reason: DeadletterReason, detail: string): FinnhubParse => ({
  trades: [],
  rejected: [{ reason, detail }],
});

/** Condition codes arrive as strings, sometimes as small integers; normalize to strings. */
const conditionsOf = (c: unknown): string[] | undefined => {
  if (c === undefined || c === null) return [];
  if (!Array.isArray(c) || c.length > MAX_CONDITIONS) return undefined;
  const out: string[] = new Array(c.length);
  for (let i = 0; i < c.length; i++) {
    const x: unknown = c[i];
    if (typeof x === 'string') out[i] = x;
    else if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 1e8) out[i] = String(x);
    else return undefined;
  }
  return out;
};

/**
 * `seq` is the item's index in its message: Finnhub has no sequence numbers, so a live-feed adapter that
 * needs a per-source sequence should overwrite it with its own counter.
 */
export function parseFinnhub(text: string): FinnhubParse {
  const parsed = parseJsonLine(text, MAX_FINNHUB_BYTES);
  if (!parsed.ok) return rejectAll(parsed.reason, parsed.detail);
  const msg = parsed.value;
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return rejectAll('unknown_shape', `message must be a JSON object, got ${show(msg)}`);
  }
  const type = (msg as { type?: unknown }).type;
  if (typeof type !== 'string')
    return rejectAll('unknown_shape', `message type must be a string, got ${show(type)}`);
  if (type !== 'trade') return { trades: [], rejected: [], other: type.slice(0, 32) };

  const shape = checkShape('trade message', msg, MESSAGE_KEYS, ['type', 'data']);
  if (shape !== undefined) return rejectAll(shape.reason, shape.detail);
  const data = (msg as { data: unknown }).data;
  if (!Array.isArray(data)) return rejectAll('unknown_shape', `data must be an array, got ${show(data)}`);
  if (data.length > MAX_FINNHUB_TRADES) {
    return rejectAll('oversized', `data has ${data.length} items, limit ${MAX_FINNHUB_TRADES}`);
  }

  const out: FinnhubParse = { trades: [], rejected: [] };
  for (let i = 0; i < data.length; i++) {
    const item: unknown = data[i];
    const bad = checkShape(`data[${i}]`, item, ITEM_KEYS, ITEM_REQUIRED);
    if (bad !== undefined) {
      out.rejected.push({ reason: bad.reason, detail: bad.detail });
      continue;
    }
    const o = item as Record<string, unknown>;
    const conditions = conditionsOf(o.c);
    if (conditions === undefined) {
      out.rejected.push({
        reason: 'invalid_field',
        detail: `data[${i}].c must be a short list of condition codes`,
      });
      continue;
    }
    const t = {
      symbol: o.s,
      price: o.p as Price,
      size: o.v as Quantity,
      time: o.t as EventTimeMs,
      conditions,
      seq: i,
    } as Trade; // field types are unchecked until checkTrade below
    const r = checkTrade(t);
    if (r === undefined) out.trades.push(t);
    else out.rejected.push({ reason: r.reason, detail: `data[${i}]: ${r.detail}` });
  }
  return out;
}
