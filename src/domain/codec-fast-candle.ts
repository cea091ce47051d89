// The fast path of the bus codec for Candle (schemas/candle.v1.avsc): a hand-written Avro reader and
// writer, bound to the registry entry whose schema they implement, as codec-fast.ts does for Trade and
// Fill (and built on the same primitives: codec-fast-read.ts, codec-fast-write.ts). codec.ts routes
// decodeCandle/encodeCandle here and keeps the avsc path (decodeCandleAvsc, encodeCandleAvsc) as the
// reference; codec-fast-candle.test.ts holds the two to the same bytes and the same verdicts.
//
// Reading: one pass that does the bounds pre-scan's checks inline (codec-scan.ts), in its order and
// with its detail texts, so that a verdict is the same whichever path produced it. The labels are the
// pre-scan's paths: union branches are numbered ("indicators.sma<1> block count", "indicators.rsi<1>:
// truncated"). Indicator maps are decoded like avsc does (a plain object, `m[key] = value`, later keys
// overwrite earlier ones); a key that is a canonical period ("1".."10000") is read as a number without
// building a string, and a map of such keys in increasing order is cloned from a template of its key set
// (see MapTemplate) rather than grown key by key. A record that passes every rule of checkCandle while
// being read is accepted at once; any other is handed to checkCandle, which decides and words the
// rejection exactly as on the avsc path.
//
// Writing: avsc's bytes, and avsc's refusals (VALIDATION_FAILED): union values are chosen as avsc's
// unwrapped unions choose them (null or undefined: the null branch; a map or record branch takes any
// object that is not an array or a Buffer; rsi takes any number), map entries in Object.keys order,
// `indicators: undefined` written as all-null like encodeCandle always did. As for trades, longs below
// −2^52 (no valid candle has one) are written exactly where avsc writes a different, positive number.
import { checkCandle, MAX_INDICATOR_PERIOD, MAX_INTERVAL_MS } from './codec-checks.ts';
import { bind, framed, HEADER_BYTES } from './codec-fast.ts';
import { fail, S as R, readDouble, readString, readVarint, start, trailing } from './codec-fast-read.ts';
import {
  begin,
  checkedLong,
  finish,
  invalid,
  notRecord,
  room,
  S as W,
  writeDouble,
  writeLong,
  writeString,
} from './codec-fast-write.ts';
import { latest } from './codec-schemas.ts';
import type { Candle, DurationMs, EventTimeMs, IndicatorValues, Price, Quantity } from './types.ts';
import { accept, MAX_SYMBOL_LEN, MAX_TIME_MS, MIN_TIME_MS, reject, type Verdict } from './validate.ts';

/** The schema the hand-written code implements, field for field (docs and defaults do not matter). */
const CANDLE_V1 = {
  type: 'record',
  name: 'Candle',
  namespace: 'tickstream',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'intervalMs', type: 'long' },
    { name: 'start', type: 'long' },
    { name: 'open', type: 'double' },
    { name: 'high', type: 'double' },
    { name: 'low', type: 'double' },
    { name: 'close', type: 'double' },
    { name: 'volume', type: 'double' },
    { name: 'vwap', type: 'double' },
    { name: 'trades', type: 'long' },
    { name: 'final', type: 'boolean' },
    {
      name: 'indicators',
      type: {
        type: 'record',
        name: 'IndicatorValues',
        fields: [
          { name: 'sma', type: ['null', { type: 'map', values: 'double' }] },
          { name: 'ema', type: ['null', { type: 'map', values: 'double' }] },
          { name: 'rsi', type: ['null', 'double'] },
          {
            name: 'bollinger',
            type: [
              'null',
              {
                type: 'record',
                name: 'Bollinger',
                fields: [
                  { name: 'upper', type: 'double' },
                  { name: 'middle', type: 'double' },
                  { name: 'lower', type: 'double' },
                ],
              },
            ],
          },
        ],
      },
    },
  ],
};

const CANDLE = bind('Candle', CANDLE_V1);

/** Schema id the fast reader handles (-1 when the registry has no matching schema). */
export const FAST_CANDLE_ID = CANDLE?.id ?? -1;
/** Whether the fast writer writes the latest Candle version (otherwise codec.ts encodes with avsc). */
export const FAST_CANDLE_WRITES = CANDLE !== undefined && CANDLE === latest('Candle');

// ---- reading ------------------------------------------------------------------------------------------

/** The pre-scan's labels for one optional indicator map (built once, not per record). */
interface MapLabels {
  union: string;
  map: string;
  count: string;
  size: string;
  key: string;
  value: string;
}

const mapLabels = (name: string): MapLabels => {
  const map = `indicators.${name}<1>`;
  return {
    union: `indicators.${name}`,
    map,
    count: `${map} block count`,
    size: `${map} block size`,
    key: `${map} key`,
    value: `${map}{}`,
  };
};

const SMA = mapLabels('sma');
const EMA = mapLabels('ema');
const RSI = 'indicators.rsi';
const RSI_VALUE = 'indicators.rsi<1>';
const BOLLINGER = 'indicators.bollinger';
const UPPER = 'indicators.bollinger<1>.upper';
const MIDDLE = 'indicators.bollinger<1>.middle';
const LOWER = 'indicators.bollinger<1>.lower';

/** A map entry's smallest encoding (the pre-scan's bound): a 1-byte key length and an 8-byte double. */
const ENTRY_MIN_BYTES = 9;

// Whether every map entry read so far passes checkCandle's rule (canonical period, finite value).
const M = { clean: true };

/** A union index of ["null", X]: 0 or 1, or -1 with the pre-scan's error. */
const readBranch = (what: string): number => {
  const i = readVarint(10, what);
  if (R.pos < 0) return -1;
  if (i === 0 || i === 1) return i;
  fail(`${what}: union index ${i} out of range`);
  return -1;
};

/**
 * A map key that is a canonical period (decimal 1..MAX_INDICATOR_PERIOD, no leading zero, one length
 * byte): its value, with the key read past. Otherwise 0 with nothing read (readString then reads it and
 * reports any error as the pre-scan does).
 */
const readPeriod = (): number => {
  const p = R.pos;
  const s = R.buf;
  if (p >= R.end) return 0;
  const z = s[p]!;
  // Zigzag lengths 1..5 are the bytes 2, 4, 6, 8, 10.
  if (z < 2 || z > 10 || (z & 1) === 1) return 0;
  const e = p + 1 + (z >>> 1);
  if (e > R.end || s[p + 1] === 0x30) return 0;
  let n = 0;
  for (let i = p + 1; i < e; i++) {
    const d = s[i]! - 0x30;
    if (d < 0 || d > 9) return 0;
    n = n * 10 + d;
  }
  if (n > MAX_INDICATOR_PERIOD) return 0;
  R.pos = e;
  return n;
};

/**
 * Maps of canonical periods in increasing order (what Object.keys gives, so every writer of this codec
 * and of avsc) are built by cloning a template with the same keys and overwriting its values: adding
 * numeric keys one by one to `{}` is a runtime call each, and was a quarter of decoding. A few templates
 * are kept per indicator (warm series carry every period, warming ones fewer); the clone is an ordinary
 * object with the same own keys and values as avsc's `{}` + assignments, so the record is the same.
 */
interface MapTemplate {
  periods: Int32Array;
  object: Record<number, number>;
}

/** Entries buffered before the object is built; a longer map is built by assignment. */
const MAX_TEMPLATE_KEYS = 32;
/** Key sets remembered per indicator; past this, the oldest is replaced. */
const MAX_TEMPLATES = 8;
const keyBuf = new Int32Array(MAX_TEMPLATE_KEYS);
const valBuf = new Float64Array(MAX_TEMPLATE_KEYS);
const SMA_TEMPLATES: MapTemplate[] = [];
const EMA_TEMPLATES: MapTemplate[] = [];

const templateFor = (ts: MapTemplate[], n: number): Record<number, number> => {
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!;
    const p = t.periods;
    if (p.length !== n) continue;
    let i = 0;
    while (i < n && p[i] === keyBuf[i]) i++;
    if (i === n) return t.object;
  }
  // JSON.parse sizes the elements store to the keys; 0.5: double elements from the start.
  let text = '{';
  for (let i = 0; i < n; i++) text += `${i === 0 ? '' : ','}"${keyBuf[i]}":0.5`;
  const t: MapTemplate = {
    periods: keyBuf.slice(0, n),
    object: JSON.parse(`${text}}`) as Record<number, number>,
  };
  if (ts.length === MAX_TEMPLATES) ts.shift();
  ts.push(t);
  return t.object;
};

/** The buffered entries [0, n) as an object cloned from its template. */
const fromTemplate = (ts: MapTemplate[], n: number): Record<number, number> => {
  const m = { ...templateFor(ts, n) };
  for (let i = 0; i < n; i++) m[keyBuf[i]!] = valBuf[i]!;
  return m;
};

/**
 * An indicator map (blocks of string → double), decoded with avsc's semantics (`m[key] = value` in
 * order: later duplicates win, a "__proto__" key sets nothing). On failure R.pos is -1 and the result
 * is undefined.
 */
const readMap = (L: MapLabels, ts: MapTemplate[]): Record<number, number> | undefined => {
  // Entries go to keyBuf/valBuf while they are canonical periods in increasing order; at the first that
  // is not (or when the buffer is full) the object is built by assignment from there on.
  let m: Record<string | number, number> | undefined;
  let n = 0;
  for (;;) {
    let count = readVarint(10, L.count);
    if (R.pos < 0) return undefined;
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      const size = readVarint(10, L.size);
      if (R.pos < 0) return undefined;
      if (size < 0 || size > R.end - R.pos) {
        fail(`${L.map}: block size ${size} does not fit`);
        return undefined;
      }
    }
    // Before any entry is read: the claimed count must fit in the bytes that are left.
    if (count * ENTRY_MIN_BYTES > R.end - R.pos) {
      fail(`${L.map}: block of ${count} items cannot fit in ${R.end - R.pos} remaining bytes`);
      return undefined;
    }
    R.budget -= count;
    if (R.budget < 0) {
      fail(`${L.map}: more items than the record has bytes`);
      return undefined;
    }
    for (let i = 0; i < count; i++) {
      const period = readPeriod();
      let key: string | number = period;
      if (period === 0) {
        key = readString(L.key);
        if (R.pos < 0) return undefined;
        M.clean = false;
      }
      const v = readDouble(L.value);
      if (R.pos < 0) return undefined;
      if (!Number.isFinite(v)) M.clean = false;
      if (m === undefined) {
        if (period > 0 && n < MAX_TEMPLATE_KEYS && (n === 0 || period > keyBuf[n - 1]!)) {
          keyBuf[n] = period;
          valBuf[n] = v;
          n++;
          continue;
        }
        m = {};
        for (let j = 0; j < n; j++) m[keyBuf[j]!] = valBuf[j]!;
      }
      m[key] = v;
    }
  }
  if (m !== undefined) return m;
  return n === 0 ? {} : fromTemplate(ts, n);
};

/** Decodes a Candle v1 body that starts at `at` and runs to the end of `b`. */
export const readCandle = (b: Uint8Array, at: number): Verdict<Candle> => {
  start(b, at);
  const symbol = readString('symbol');
  if (R.pos < 0) return reject('decode_error', R.error);
  const symbolClean = R.token && symbol.length <= MAX_SYMBOL_LEN;
  const intervalMs = readVarint(10, 'intervalMs');
  if (R.pos < 0) return reject('decode_error', R.error);
  const startMs = readVarint(10, 'start');
  if (R.pos < 0) return reject('decode_error', R.error);
  const open = readDouble('open');
  if (R.pos < 0) return reject('decode_error', R.error);
  const high = readDouble('high');
  if (R.pos < 0) return reject('decode_error', R.error);
  const low = readDouble('low');
  if (R.pos < 0) return reject('decode_error', R.error);
  const close = readDouble('close');
  if (R.pos < 0) return reject('decode_error', R.error);
  const volume = readDouble('volume');
  if (R.pos < 0) return reject('decode_error', R.error);
  const vwap = readDouble('vwap');
  if (R.pos < 0) return reject('decode_error', R.error);
  const trades = readVarint(10, 'trades');
  if (R.pos < 0) return reject('decode_error', R.error);
  const fp = R.pos;
  if (fp >= R.end) return reject('decode_error', 'final: truncated');
  const fb = R.buf[fp]!;
  if (fb > 1) return reject('decode_error', `final: boolean byte ${fb}`);
  R.pos = fp + 1;

  M.clean = true;
  const iv: IndicatorValues = {};
  let branch = readBranch(SMA.union);
  if (branch === 1) {
    const m = readMap(SMA, SMA_TEMPLATES);
    if (m === undefined) return reject('decode_error', R.error);
    iv.sma = m;
  }
  if (R.pos < 0) return reject('decode_error', R.error);
  branch = readBranch(EMA.union);
  if (branch === 1) {
    const m = readMap(EMA, EMA_TEMPLATES);
    if (m === undefined) return reject('decode_error', R.error);
    iv.ema = m;
  }
  if (R.pos < 0) return reject('decode_error', R.error);
  branch = readBranch(RSI);
  if (branch === 1) iv.rsi = readDouble(RSI_VALUE);
  if (R.pos < 0) return reject('decode_error', R.error);
  branch = readBranch(BOLLINGER);
  if (branch === 1) {
    // Checked after each read: a failed read leaves R.pos at -1, which the next one must not reuse.
    const upper = readDouble(UPPER);
    if (R.pos < 0) return reject('decode_error', R.error);
    const middle = readDouble(MIDDLE);
    if (R.pos < 0) return reject('decode_error', R.error);
    const lower = readDouble(LOWER);
    if (R.pos < 0) return reject('decode_error', R.error);
    iv.bollinger = { upper, middle, lower };
  }
  const bad = trailing();
  if (bad !== undefined) return reject('decode_error', bad);

  const c: Candle = {
    symbol,
    intervalMs: intervalMs as DurationMs,
    start: startMs as EventTimeMs,
    open: open as Price,
    high: high as Price,
    low: low as Price,
    close: close as Price,
    volume: volume as Quantity,
    vwap: vwap as Price,
    trades,
    final: fb === 1,
    indicators: iv,
  };
  // Every rule of checkCandle, as comparisons that NaN fails; anything else goes to checkCandle.
  const rsi = iv.rsi;
  const bb = iv.bollinger;
  if (
    symbolClean &&
    intervalMs >= 1 &&
    intervalMs <= MAX_INTERVAL_MS &&
    startMs >= MIN_TIME_MS &&
    startMs <= MAX_TIME_MS &&
    open > 0 &&
    close > 0 &&
    low > 0 &&
    high < Number.POSITIVE_INFINITY &&
    low <= open &&
    low <= close &&
    high >= open &&
    high >= close &&
    volume >= 0 &&
    volume < Number.POSITIVE_INFINITY &&
    vwap >= 0 &&
    vwap < Number.POSITIVE_INFINITY &&
    trades >= 0 &&
    M.clean &&
    (rsi === undefined || (rsi >= 0 && rsi <= 100)) &&
    (bb === undefined ||
      (Number.isFinite(bb.upper) && Number.isFinite(bb.middle) && Number.isFinite(bb.lower)))
  ) {
    return accept(c);
  }
  return checkCandle(c) ?? accept(c);
};

/**
 * The verdict for a framed Candle v1 record, or undefined when the bytes are anything else (not bytes,
 * above `cap`, a short or foreign header): the caller then asks the avsc path, which words those cases.
 */
export const decodeCandleFast = (b: Uint8Array, cap: number): Verdict<Candle> | undefined =>
  FAST_CANDLE_ID >= 0 && framed(b, FAST_CANDLE_ID, cap) ? readCandle(b, HEADER_BYTES) : undefined;

// ---- writing ------------------------------------------------------------------------------------------

/** Union index 0 (null) and 1 as zigzag varints; a boolean is the raw byte 0 or 1. */
const NULL_BRANCH = 0x00;
const VALUE_BRANCH = 0x02;

const writeByte = (b: number): void => {
  room(1);
  W.out[W.w++] = b;
};

/** avsc's unwrapped-union bucket "object" (map and record branches): not null, an array or a Buffer. */
const objectBranch = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

const writeOptionalMap = (field: string, v: unknown): void => {
  if (v === undefined || v === null) {
    writeByte(NULL_BRANCH);
    return;
  }
  if (!objectBranch(v)) {
    invalid(field, v);
    return;
  }
  writeByte(VALUE_BRANCH);
  const keys = Object.keys(v);
  const n = keys.length;
  if (n > 0) {
    writeLong(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      writeString(field, k);
      writeDouble(field, v[k]);
    }
  }
  writeByte(0);
};

const writeIndicators = (iv: unknown): void => {
  // encodeCandle always wrote a missing indicators object as {} (all null); null itself avsc refuses.
  if (iv === undefined) {
    room(4);
    for (let i = 0; i < 4; i++) W.out[W.w++] = NULL_BRANCH;
    return;
  }
  if (iv === null) {
    invalid('indicators', iv);
    return;
  }
  // avsc reads the fields off whatever it is given: a number or a string has none, all null.
  const o = iv as IndicatorValues;
  writeOptionalMap('indicators.sma', o.sma);
  writeOptionalMap('indicators.ema', o.ema);
  const rsi = o.rsi as unknown;
  if (rsi === undefined || rsi === null) writeByte(NULL_BRANCH);
  else if (typeof rsi === 'number') {
    writeByte(VALUE_BRANCH);
    writeDouble('indicators.rsi', rsi);
  } else invalid('indicators.rsi', rsi);
  const bb = o.bollinger as unknown;
  if (bb === undefined || bb === null) writeByte(NULL_BRANCH);
  else if (objectBranch(bb)) {
    writeByte(VALUE_BRANCH);
    writeDouble('indicators.bollinger.upper', bb.upper);
    writeDouble('indicators.bollinger.middle', bb.middle);
    writeDouble('indicators.bollinger.lower', bb.lower);
  } else invalid('indicators.bollinger', bb);
};

/** A framed Candle v1 record (header with `id`); throws VALIDATION_FAILED like the avsc path. */
export const writeCandle = (c: Candle, id: number, name: string, limit: number): Buffer => {
  begin(id, name, limit);
  if (notRecord(c)) invalid('record', c);
  writeString('symbol', c.symbol);
  writeLong(checkedLong('intervalMs', c.intervalMs));
  writeLong(checkedLong('start', c.start));
  writeDouble('open', c.open);
  writeDouble('high', c.high);
  writeDouble('low', c.low);
  writeDouble('close', c.close);
  writeDouble('volume', c.volume);
  writeDouble('vwap', c.vwap);
  writeLong(checkedLong('trades', c.trades));
  const f = c.final as unknown;
  if (typeof f !== 'boolean') invalid('final', f);
  writeByte(f === true ? 1 : 0);
  writeIndicators(c.indicators);
  return finish();
};

/** A framed Candle v1 record of at most `cap` bytes; throws TickstreamError VALIDATION_FAILED. */
export const encodeCandleFast = (c: Candle, cap: number): Buffer => {
  if (CANDLE === undefined) {
    throw new Error('codec-fast-candle: schemas/ has no Candle schema the fast writer implements');
  }
  return writeCandle(c, CANDLE.id, CANDLE.subject, cap);
};
