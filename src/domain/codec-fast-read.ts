// Hand-written Avro readers for the two hot records, Trade (schemas/trade.v1.avsc) and Fill
// (schemas/fill.v1.avsc), bodies only (the Confluent header is handled in codec-fast.ts).
//
// Why: the guarded avsc path (bounds pre-scan, avsc, plain-object copy, record checks) walks every body
// twice and allocates avsc's record instance besides the result. These readers walk it once and do the
// pre-scan's checks inline, in the same order and with the same detail texts (codec-scan.ts), so a
// verdict is the same whichever path produced it: varints at most 10 bytes (5 for int), longs within
// ±(2^53 − 2), ints within 32 bits, string lengths and array block counts and sizes within the remaining
// bytes, array items within the record's byte budget, enum indices in range, valid UTF-8, no trailing
// bytes. Like avsc (and the pre-scan) they accept non-canonical varints and do not check that a negative
// block count's byte size matches the items that follow.
//
// Allocation: the result (verdict, record, strings, conditions array) and nothing else. Doubles go
// through an 8-byte scratch aliased by a Float64Array (cheaper than a DataView per record); short ASCII
// strings are built from char codes, the rest by a fatal TextDecoder.
//
// Record checks: while reading, each field is compared with the rules of checkTrade/checkFill (tokens
// printable ASCII within their lengths, positive finite prices and sizes, times in range...). A record
// that passes them all is accepted at once; any other is handed to checkTrade/checkFill, which decide
// and word the rejection exactly as on the avsc path.
//
// The reader state and primitives (S, readVarint, readInt, readDouble, readString, start, trailing) are exported
// for the other hand-written readers (codec-fast-candle.ts, codec-fast-alert.ts), which share them.
import type { EventTimeMs, Fill, Price, Quantity, Side, Trade } from './types.ts';
import {
  accept,
  checkFill,
  checkTrade,
  MAX_CONDITION_LEN,
  MAX_CONDITIONS,
  MAX_FILL_ID_LEN,
  MAX_LONG,
  MAX_SYMBOL_LEN,
  MAX_TIME_MS,
  MIN_TIME_MS,
  reject,
  type Verdict,
} from './validate.ts';

// ---- reader state (decoding is synchronous: one record at a time) ---------------------------------

interface ReaderState {
  buf: Uint8Array;
  /** Next byte to read; -1 once a read failed (then `error` says why). */
  pos: number;
  end: number;
  /** Array items still allowed in this record (the pre-scan's budget: the record's byte count). */
  budget: number;
  error: string;
  /** Whether the last string read was a token: 1+ bytes, all printable ASCII 0x21..0x7e. */
  token: boolean;
  /** Whether every condition of the last conditions array read passes checkTrade's rule. */
  conditionsClean: boolean;
}

// One object rather than module-level lets: faster in an A/B here (property loads on a constant-shape
// object instead of context slots with hole checks). It holds the last input until the next call.
export const S: ReaderState = {
  buf: new Uint8Array(0),
  pos: 0,
  end: 0,
  budget: 0,
  error: '',
  token: false,
  conditionsClean: true,
};

export const fail = (detail: string): number => {
  S.error = detail;
  S.pos = -1;
  return 0;
};

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** Zigzag varint of at most maxBytes bytes, exact for every safe long; the pre-scan's arithmetic and texts. */
export const readVarint = (maxBytes: number, what: string): number => {
  // One byte (-64..63: counts, lengths, enum indices, small ints) here, small enough to be inlined.
  const p = S.pos;
  const b0 = p < S.end ? S.buf[p]! : 0x80;
  if (b0 >= 0x80) return readVarintLong(maxBytes, what);
  S.pos = p + 1;
  return (b0 & 1) === 1 ? -((b0 >>> 1) + 1) : b0 >>> 1;
};

const readVarintLong = (maxBytes: number, what: string): number => {
  const s = S.buf;
  const end = S.end;
  let p = S.pos;
  // The low 28 bits as an int, the rest as a float.
  let lo = 0;
  let hi = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i === maxBytes) return fail(`${what}: varint longer than ${maxBytes} bytes at ${p}`);
    if (p >= end) return fail(`${what}: truncated varint`);
    const b = s[p++]!;
    if (i < 4) lo |= (b & 0x7f) << (7 * i);
    else {
      hi += (b & 0x7f) * mul;
      mul *= 128;
    }
    if ((b & 0x80) === 0) break;
  }
  if (hi > 2 ** 26) return fail(`${what}: value beyond 2^53`);
  // With n = hi·2^28 + lo, the zigzag magnitude is hi·2^27 + ⌈lo/2⌉.
  const mag = hi * 2 ** 27 + (lo >>> 1) + (lo & 1);
  if (mag > MAX_LONG) return fail(`${what}: value beyond 2^53 - 2`);
  S.pos = p;
  return (lo & 1) === 1 ? -mag : mag;
};

export const readInt = (what: string): number => {
  const n = readVarint(5, what);
  if (S.pos >= 0 && (n < INT_MIN || n > INT_MAX)) return fail(`${what}: int out of 32-bit range`);
  return n;
};

// An 8-byte scratch seen as one double; the byte order of typed arrays is the platform's.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const readDouble = (what: string): number => {
  const p = S.pos;
  if (p + 8 > S.end) return fail(`${what}: truncated`);
  const s = S.buf;
  if (LITTLE_ENDIAN) {
    f64Bytes[0] = s[p]!;
    f64Bytes[1] = s[p + 1]!;
    f64Bytes[2] = s[p + 2]!;
    f64Bytes[3] = s[p + 3]!;
    f64Bytes[4] = s[p + 4]!;
    f64Bytes[5] = s[p + 5]!;
    f64Bytes[6] = s[p + 6]!;
    f64Bytes[7] = s[p + 7]!;
  } else {
    for (let i = 0; i < 8; i++) f64Bytes[7 - i] = s[p + i]!;
  }
  S.pos = p + 8;
  return f64[0]!;
};

/** ASCII strings up to this many bytes (every symbol and condition) are built from char codes. */
const SHORT_STRING = 16;
// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is kept, as avsc keeps it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const readString = (what: string): string => {
  const len = readVarint(10, what);
  if (S.pos < 0) return '';
  if (len < 0) {
    fail(`${what}: negative length ${len}`);
    return '';
  }
  const p = S.pos;
  if (len > S.end - p) {
    fail(`${what}: length ${len} exceeds the ${S.end - p} remaining bytes`);
    return '';
  }
  const e = p + len;
  S.pos = e;
  const s = S.buf;
  let printable = len > 0;
  if (len <= SHORT_STRING) {
    // One pass: build while checking; leave for the UTF-8 decoder at the first non-ASCII byte.
    let r = '';
    let i = p;
    for (; i < e; i++) {
      const c = s[i]!;
      if (c < 0x21 || c > 0x7e) {
        printable = false;
        if (c >= 0x80) break;
      }
      r += String.fromCharCode(c);
    }
    if (i === e) {
      S.token = printable;
      return r;
    }
    printable = false;
  } else {
    for (let i = p; i < e && printable; i++) {
      const c = s[i]!;
      if (c < 0x21 || c > 0x7e) printable = false;
    }
  }
  S.token = printable;
  try {
    return utf8.decode(s.subarray(p, e));
  } catch {
    fail(`${what}: invalid UTF-8`);
    return '';
  }
};

export const start = (b: Uint8Array, at: number): void => {
  S.buf = b;
  S.pos = at;
  S.end = b.length;
  S.budget = b.length;
  S.error = '';
};

/** After the last field: the body must end exactly at the end of the bytes. */
export const trailing = (): string | undefined => {
  if (S.pos < 0) return S.error;
  return S.pos === S.end ? undefined : `${S.end - S.pos} trailing bytes after the record`;
};

// ---- Trade ------------------------------------------------------------------------------------------

/** Reads the conditions array (blocks of strings) into `out`; false with `error` set on failure. */
const readConditions = (out: string[]): boolean => {
  S.conditionsClean = true;
  for (;;) {
    let count = readVarint(10, 'conditions block count');
    if (S.pos < 0) return false;
    if (count === 0) return true;
    if (count < 0) {
      count = -count;
      const size = readVarint(10, 'conditions block size');
      if (S.pos < 0) return false;
      if (size < 0 || size > S.end - S.pos) {
        fail(`conditions: block size ${size} does not fit`);
        return false;
      }
    }
    // Each string takes at least its length byte: a count that cannot fit is refused before reading.
    if (count > S.end - S.pos) {
      fail(`conditions: block of ${count} items cannot fit in ${S.end - S.pos} remaining bytes`);
      return false;
    }
    S.budget -= count;
    if (S.budget < 0) {
      fail('conditions: more items than the record has bytes');
      return false;
    }
    for (let i = 0; i < count; i++) {
      const c = readString('conditions[]');
      if (S.pos < 0) return false;
      if (!S.token || c.length > MAX_CONDITION_LEN) S.conditionsClean = false;
      out.push(c);
    }
  }
};

/** Decodes a Trade v1 body that starts at `at` and runs to the end of `b`. */
export const readTrade = (b: Uint8Array, at: number): Verdict<Trade> => {
  start(b, at);
  const symbol = readString('symbol');
  if (S.pos < 0) return reject('decode_error', S.error);
  let clean = S.token && symbol.length <= MAX_SYMBOL_LEN;
  const price = readDouble('price');
  if (S.pos < 0) return reject('decode_error', S.error);
  const size = readDouble('size');
  if (S.pos < 0) return reject('decode_error', S.error);
  const time = readVarint(10, 'time');
  if (S.pos < 0) return reject('decode_error', S.error);
  const conditions: string[] = [];
  if (!readConditions(conditions)) return reject('decode_error', S.error);
  clean = clean && S.conditionsClean;
  const seq = readVarint(10, 'seq');
  const bad = trailing();
  if (bad !== undefined) return reject('decode_error', bad);
  const t: Trade = {
    symbol,
    price: price as Price,
    size: size as Quantity,
    time: time as EventTimeMs,
    conditions,
    seq,
  };
  if (
    clean &&
    price > 0 &&
    price < Number.POSITIVE_INFINITY &&
    size > 0 &&
    size < Number.POSITIVE_INFINITY &&
    time >= MIN_TIME_MS &&
    time <= MAX_TIME_MS &&
    conditions.length <= MAX_CONDITIONS &&
    seq >= 0
  ) {
    return accept(t);
  }
  return checkTrade(t) ?? accept(t);
};

// ---- Trade, the consumer's hot path --------------------------------------------------------------------

/** The fields of the last trade readCleanTrade accepted; the symbol stays bytes of the record. */
export interface CleanTrade {
  symbolAt: number;
  symbolEnd: number;
  price: number;
  size: number;
  time: number;
  seq: number;
}

/** readCleanTrade's result: one object, overwritten by each call (decoding is synchronous). */
export const CLEAN_TRADE: CleanTrade = { symbolAt: 0, symbolEnd: 0, price: 0, size: 0, time: 0, seq: 0 };

/**
 * Reads a Trade v1 body (from `at` to the end of `b`) into CLEAN_TRADE without building anything: no
 * strings, no conditions array, no record, no verdict. True only for a record readTrade accepts at once
 * (tokens within their lengths, prices and sizes positive and finite, time in range, seq ≥ 0, the
 * conditions in positive-count blocks, no trailing bytes); false says nothing but "ask readTrade", which
 * decides and words the verdict. Why: decoding into a symbol string, a conditions array, the record and
 * its verdict, then the symbol's Map lookup, took ~28 % of the consume path's CPU in a profile.
 */
export const readCleanTrade = (b: Uint8Array, at: number): boolean => {
  start(b, at);
  const symbolAt = readToken(MAX_SYMBOL_LEN);
  if (symbolAt < 0) return false;
  const symbolEnd = S.pos;
  // every read checked before the next: a read at -1 would start over at byte 0
  const price = readDouble('price');
  if (S.pos < 0) return false;
  const size = readDouble('size');
  if (S.pos < 0) return false;
  const time = readVarint(10, 'time');
  if (S.pos < 0) return false;
  let conditions = 0;
  for (;;) {
    const count = readVarint(10, 'conditions block count');
    if (S.pos < 0 || count < 0) return false;
    if (count === 0) break;
    conditions += count;
    if (conditions > MAX_CONDITIONS) return false;
    for (let i = 0; i < count; i++) if (readToken(MAX_CONDITION_LEN) < 0) return false;
  }
  const seq = readVarint(10, 'seq');
  if (S.pos !== S.end) return false; // a failed read (-1) or trailing bytes
  if (
    !(price > 0 && price < Number.POSITIVE_INFINITY && size > 0 && size < Number.POSITIVE_INFINITY) ||
    time < MIN_TIME_MS ||
    time > MAX_TIME_MS ||
    seq < 0
  )
    return false;
  const t = CLEAN_TRADE;
  t.symbolAt = symbolAt;
  t.symbolEnd = symbolEnd;
  t.price = price;
  t.size = size;
  t.time = time;
  t.seq = seq;
  return true;
};

/** A string that is a token (1..max printable ASCII bytes), skipped: its start, or -1 for anything else. */
const readToken = (max: number): number => {
  const len = readVarint(10, 'token');
  const p = S.pos;
  if (p < 0 || len < 1 || len > max || len > S.end - p) return -1;
  const s = S.buf;
  const e = p + len;
  for (let i = p; i < e; i++) {
    const c = s[i]!;
    if (c < 0x21 || c > 0x7e) return -1;
  }
  S.pos = e;
  return p;
};

// ---- Fill -------------------------------------------------------------------------------------------

const SIDES: readonly Side[] = ['buy', 'sell'];

/** Decodes a Fill v1 body that starts at `at` and runs to the end of `b`. */
export const readFill = (b: Uint8Array, at: number): Verdict<Fill> => {
  start(b, at);
  const fillId = readString('fillId');
  if (S.pos < 0) return reject('decode_error', S.error);
  let clean = S.token && fillId.length <= MAX_FILL_ID_LEN;
  const user = readInt('user');
  if (S.pos < 0) return reject('decode_error', S.error);
  const symbol = readString('symbol');
  if (S.pos < 0) return reject('decode_error', S.error);
  clean = clean && S.token && symbol.length <= MAX_SYMBOL_LEN;
  const index = readInt('side');
  if (S.pos < 0) return reject('decode_error', S.error);
  if (index < 0 || index > 1) return reject('decode_error', `side: enum index ${index} not in 0..1`);
  const quantity = readDouble('quantity');
  if (S.pos < 0) return reject('decode_error', S.error);
  const price = readDouble('price');
  if (S.pos < 0) return reject('decode_error', S.error);
  const time = readVarint(10, 'time');
  const bad = trailing();
  if (bad !== undefined) return reject('decode_error', bad);
  const f: Fill = {
    fillId,
    user,
    symbol,
    side: SIDES[index]!,
    quantity: quantity as Quantity,
    price: price as Price,
    time: time as EventTimeMs,
  };
  if (
    clean &&
    user >= 0 &&
    quantity > 0 &&
    quantity < Number.POSITIVE_INFINITY &&
    price > 0 &&
    price < Number.POSITIVE_INFINITY &&
    time >= MIN_TIME_MS &&
    time <= MAX_TIME_MS
  ) {
    return accept(f);
  }
  return checkFill(f) ?? accept(f);
};
