// Hand-written Avro writers for Trade (schemas/trade.v1.avsc) and Fill (schemas/fill.v1.avsc), with the
// Confluent header, producing the same bytes as avsc (its varint arithmetic, its string encoding
// including the treatment of lone surrogates) and refusing the values avsc refuses: non-strings where
// strings go, non-numbers for doubles, longs that are not integers within ±(2^53 − 2), ints outside
// 32 bits, sides other than buy/sell, conditions that are not an array of strings. They differ from
// avsc in two places, both on values no valid record has: longs below −2^52 are written exactly (avsc
// rounds them to a positive number), and a side that is a key of Object.prototype ("constructor") is
// refused (avsc writes it as "buy").
//
// Records are written into one scratch buffer that grows (doubling, up to the caller's cap) and is kept;
// each call returns an exact-length copy.
//
// The writer state and primitives are exported for the other hand-written writers (codec-fast-candle.ts,
// codec-fast-alert.ts).
import { TickstreamError } from './errors.ts';
import type { Fill, Trade } from './types.ts';
import { show } from './validate.ts';

interface WriterState {
  /** The scratch: grows, is kept. */
  out: Buffer;
  /** Next byte to write. */
  w: number;
  cap: number;
  subject: string;
}

// One object rather than module-level lets, as in codec-fast-read.ts.
export const S: WriterState = { out: Buffer.allocUnsafe(256), w: 0, cap: 0, subject: '' };

export const invalid = (field: string, v: unknown): never => {
  throw new TickstreamError('VALIDATION_FAILED', `cannot encode ${S.subject}: invalid ${field}: ${show(v)}`);
};

const tooBig = (): never => {
  throw new TickstreamError('VALIDATION_FAILED', `${S.subject} would exceed ${S.cap} bytes`);
};

/** Varints reserve their longest size; the scratch may run this far past the cap without an error. */
const SLACK = 10;

/**
 * Makes room for n more bytes, growing the scratch. Refuses a record once it certainly exceeds the cap
 * (strings and doubles reserve exactly their size, varints at most SLACK more); finish() checks exactly.
 */
export const room = (n: number): void => {
  const need = S.w + n;
  if (need <= S.out.length) return;
  if (need > S.cap + SLACK) tooBig();
  let size = S.out.length * 2;
  while (size < need) size *= 2;
  const next = Buffer.allocUnsafe(Math.min(size, S.cap + SLACK));
  S.out.copy(next, 0, 0, S.w);
  S.out = next;
};

/**
 * Zigzag varint of a safe long: avsc's bytes (integer arithmetic below 2^30), except that it stays exact
 * for negative values below -2^52, where avsc computes 2|n| − 1 in floating point, rounds it to even and
 * so writes a different (positive) number.
 */
export const writeLong = (n: number): void => {
  room(10);
  const o = S.out;
  let w = S.w;
  if (n >= -1073741824 && n < 1073741824) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      o[w++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    o[w] = m;
    S.w = w + 1;
    return;
  }
  // Beyond 30 bits: the zigzag value z = hi·2^28 + lo in two integers (no float modulo, which is slow).
  // 2|n| is even and exact up to 2^54; for negative n, z = 2|n| − 1 is formed by borrowing from hi.
  const f = n >= 0 ? n * 2 : -n * 2;
  let hi = Math.floor(f / 2 ** 28);
  let lo = f - hi * 2 ** 28;
  if (n < 0) {
    lo -= 1;
    if (lo < 0) {
      lo += 2 ** 28;
      hi -= 1;
    }
  }
  // z >= 2^31 here, so hi >= 1: all four low digits carry the continuation bit.
  o[w] = (lo & 0x7f) | 0x80;
  o[w + 1] = ((lo >>> 7) & 0x7f) | 0x80;
  o[w + 2] = ((lo >>> 14) & 0x7f) | 0x80;
  o[w + 3] = ((lo >>> 21) & 0x7f) | 0x80;
  w += 4;
  while (hi > 0x7f) {
    o[w++] = (hi & 0x7f) | 0x80;
    hi >>>= 7;
  }
  o[w] = hi;
  S.w = w + 1;
};

export const checkedLong = (field: string, v: unknown): number => {
  if (typeof v !== 'number' || v % 1 !== 0 || !(v >= -9007199254740990 && v <= 9007199254740990)) {
    return invalid(field, v);
  }
  return v;
};

export const checkedInt = (field: string, v: unknown): number =>
  v === ((v as number) | 0) ? (v as number) : invalid(field, v);

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const writeDouble = (field: string, v: unknown): void => {
  if (typeof v !== 'number') invalid(field, v);
  room(8);
  f64[0] = v as number;
  const o = S.out;
  const w = S.w;
  if (LITTLE_ENDIAN) {
    o[w] = f64Bytes[0]!;
    o[w + 1] = f64Bytes[1]!;
    o[w + 2] = f64Bytes[2]!;
    o[w + 3] = f64Bytes[3]!;
    o[w + 4] = f64Bytes[4]!;
    o[w + 5] = f64Bytes[5]!;
    o[w + 6] = f64Bytes[6]!;
    o[w + 7] = f64Bytes[7]!;
  } else {
    for (let i = 0; i < 8; i++) o[w + i] = f64Bytes[7 - i]!;
  }
  S.w = w + 8;
};

export const writeString = (field: string, v: unknown): void => {
  if (typeof v !== 'string') {
    invalid(field, v);
    return;
  }
  const n = v.length;
  // ASCII first (every token): the byte length is the character count.
  const mark = S.w;
  writeLong(n);
  room(n);
  const o = S.out;
  const w = S.w;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x80) {
      S.w = mark;
      writeUnicode(v);
      return;
    }
    o[w + i] = c;
  }
  S.w = w + n;
};

/** avsc's Tap#writeString for non-ASCII text: its own encoder up to 64 bytes, Buffer's above. */
const writeUnicode = (s: string): void => {
  const len = Buffer.byteLength(s);
  writeLong(len);
  room(len);
  const o = S.out;
  if (len > 64) {
    o.write(s, S.w, len, 'utf8');
    S.w += len;
    return;
  }
  // Like avsc, a lone surrogate is written as its own 3-byte sequence here (not as U+FFFD): same bytes.
  let p = S.w;
  for (let i = 0; i < s.length; i++) {
    let c1 = s.charCodeAt(i);
    // NaN past the end, like avsc's lookahead (NaN & 0xfc00 is 0: not a low surrogate).
    const c2 = s.charCodeAt(i + 1);
    if (c1 < 0x80) o[p++] = c1;
    else if (c1 < 0x800) {
      o[p++] = (c1 >> 6) | 0xc0;
      o[p++] = (c1 & 0x3f) | 0x80;
    } else if ((c1 & 0xfc00) === 0xd800 && (c2 & 0xfc00) === 0xdc00) {
      c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
      i++;
      o[p++] = (c1 >> 18) | 0xf0;
      o[p++] = ((c1 >> 12) & 0x3f) | 0x80;
      o[p++] = ((c1 >> 6) & 0x3f) | 0x80;
      o[p++] = (c1 & 0x3f) | 0x80;
    } else {
      o[p++] = (c1 >> 12) | 0xe0;
      o[p++] = ((c1 >> 6) & 0x3f) | 0x80;
      o[p++] = (c1 & 0x3f) | 0x80;
    }
  }
  S.w += len;
};

export const begin = (id: number, name: string, limit: number): void => {
  S.subject = name;
  S.cap = limit;
  S.w = 0;
  room(5);
  S.out[0] = 0;
  S.out[1] = id >>> 24;
  S.out[2] = (id >>> 16) & 0xff;
  S.out[3] = (id >>> 8) & 0xff;
  S.out[4] = id & 0xff;
  S.w = 5;
};

export const finish = (): Buffer => {
  const w = S.w;
  if (w > S.cap) tooBig();
  const r = Buffer.allocUnsafe(w);
  // A byte loop beats Buffer#copy's native call for records this small (most trades are under 64 bytes).
  if (w <= 64) {
    const o = S.out;
    for (let i = 0; i < w; i++) r[i] = o[i]!;
  } else S.out.copy(r, 0, 0, w);
  return r;
};

export const notRecord = (v: unknown): boolean => typeof v !== 'object' || v === null;

/** A framed Trade v1 record (header with `id`); throws VALIDATION_FAILED like the avsc path. */
export const writeTrade = (t: Trade, id: number, name: string, limit: number): Buffer => {
  begin(id, name, limit);
  if (notRecord(t)) invalid('record', t);
  writeString('symbol', t.symbol);
  writeDouble('price', t.price);
  writeDouble('size', t.size);
  writeLong(checkedLong('time', t.time));
  const cs = t.conditions as unknown;
  if (!Array.isArray(cs)) return invalid('conditions', cs);
  const n = cs.length;
  if (n > 0) {
    writeLong(n);
    for (let i = 0; i < n; i++) writeString('conditions[]', cs[i]);
  }
  writeLong(0);
  writeLong(checkedLong('seq', t.seq));
  return finish();
};

/** A framed Fill v1 record (header with `id`); throws VALIDATION_FAILED like the avsc path. */
export const writeFill = (f: Fill, id: number, name: string, limit: number): Buffer => {
  begin(id, name, limit);
  if (notRecord(f)) invalid('record', f);
  writeString('fillId', f.fillId);
  writeLong(checkedInt('user', f.user));
  writeString('symbol', f.symbol);
  const side = f.side as unknown;
  writeLong(side === 'buy' ? 0 : side === 'sell' ? 1 : invalid('side', side));
  writeDouble('quantity', f.quantity);
  writeDouble('price', f.price);
  writeLong(checkedLong('time', f.time));
  return finish();
};
