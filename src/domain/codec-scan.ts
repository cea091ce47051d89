// A bounds-checking pre-scan of an Avro body, compiled once per schema from the avsc Type.
//
// Why: avsc trusts the lengths and counts it reads. A 5-byte body declaring an array of 50,000,000
// nulls makes it allocate and fill a 50M-element array; a huge string length makes it read past the
// end and return garbage. The scan walks the bytes the way the decoder will, without allocating, and
// rejects anything avsc would over-allocate on or misread: lengths and block counts that cannot fit in
// the remaining bytes, varints longer than their type allows, int and long values out of range,
// enum and union indices out of range, booleans other than 0/1, invalid UTF-8 in strings. Only a body
// that passes is handed to avsc, so avsc's allocations are bounded by the (already capped) byte count.
import { isUtf8 } from 'node:buffer';
import type { Type } from 'avsc';
import { MAX_LONG } from './validate.ts';

export interface ScanState {
  /** Exclusive end of the body in the buffer. */
  end: number;
  /** Remaining number of array/map items allowed in this body (bounds zero-byte items such as null). */
  budget: number;
  /** Last varint value read. */
  n: number;
  /** What went wrong, when a scanner returned -1. */
  error: string;
}

/** Returns the position after the value, or -1 with `st.error` set. */
export type Scanner = (buf: Uint8Array, pos: number, st: ScanState) => number;

const fail = (st: ScanState, error: string): number => {
  st.error = error;
  return -1;
};

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** Reads a zigzag varint into st.n; at most maxBytes bytes (5 for int, 10 for long). */
const readVarint = (buf: Uint8Array, pos: number, st: ScanState, maxBytes: number, what: string): number => {
  // The low 28 bits as an int, the rest as a float: exact for every value a safe long can encode.
  let lo = 0;
  let hi = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i === maxBytes) return fail(st, `${what}: varint longer than ${maxBytes} bytes at ${pos}`);
    if (pos >= st.end) return fail(st, `${what}: truncated varint`);
    const b = buf[pos++]!;
    if (i < 4) lo |= (b & 0x7f) << (7 * i);
    else {
      hi += (b & 0x7f) * mul;
      mul *= 128;
    }
    if ((b & 0x80) === 0) break;
  }
  // Zigzag: even n → n/2, odd n → -(n+1)/2; with n = hi·2^28 + lo the magnitude is hi·2^27 + ⌈lo/2⌉.
  if (hi > 2 ** 26) return fail(st, `${what}: value beyond 2^53`);
  const mag = hi * 2 ** 27 + (lo >>> 1) + (lo & 1);
  // avsc refuses longs beyond ±(2^53 - 2) (precision loss); so do we, with a clearer message.
  if (mag > MAX_LONG) return fail(st, `${what}: value beyond 2^53 - 2`);
  st.n = (lo & 1) === 1 ? -mag : mag;
  return pos;
};

const readLong = (buf: Uint8Array, pos: number, st: ScanState, what: string): number =>
  readVarint(buf, pos, st, 10, what);

const readInt = (buf: Uint8Array, pos: number, st: ScanState, what: string): number => {
  const p = readVarint(buf, pos, st, 5, what);
  if (p >= 0 && (st.n < INT_MIN || st.n > INT_MAX)) return fail(st, `${what}: int out of 32-bit range`);
  return p;
};

/** Length-prefixed bytes; with utf8, the content must be valid UTF-8 (ASCII checked inline, the rest natively). */
const scanBlob = (buf: Uint8Array, pos: number, st: ScanState, what: string, utf8: boolean): number => {
  const p = readLong(buf, pos, st, what);
  if (p < 0) return p;
  const len = st.n;
  if (len < 0) return fail(st, `${what}: negative length ${len}`);
  if (len > st.end - p) return fail(st, `${what}: length ${len} exceeds the ${st.end - p} remaining bytes`);
  const end = p + len;
  if (utf8) {
    for (let i = p; i < end; i++) {
      if (buf[i]! >= 0x80) {
        if (!isUtf8(buf.subarray(p, end))) return fail(st, `${what}: invalid UTF-8`);
        break;
      }
    }
  }
  return end;
};

/** Smallest encoded size of a value of this type: bounds how many items a block count can honestly claim. */
const minSize = (t: Type): number => {
  const x = t as unknown as Record<string, unknown>;
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return x.size as number;
    case 'record':
    case 'error':
      return (x.fields as { type: Type }[]).reduce((s, f) => s + minSize(f.type), 0);
    case 'union:unwrapped':
    case 'union:wrapped':
      return 1 + Math.min(...(x.types as Type[]).map(minSize));
    default:
      return 1; // boolean, int, long, enum, string, bytes (length 0 is one byte), array and map (terminating 0)
  }
};

/** Array and map blocks: count (negative: followed by a byte size), items; a zero count ends the list. */
const scanBlocks = (item: Scanner, itemMin: number, what: string): Scanner => {
  const per = Math.max(1, itemMin);
  // Labels built once: a template literal in the loop would build a string per decoded record.
  const countLabel = `${what} block count`;
  const sizeLabel = `${what} block size`;
  return (buf, pos, st) => {
    for (;;) {
      pos = readLong(buf, pos, st, countLabel);
      if (pos < 0) return pos;
      let count = st.n;
      if (count === 0) return pos;
      if (count < 0) {
        count = -count;
        pos = readLong(buf, pos, st, sizeLabel);
        if (pos < 0) return pos;
        if (st.n < 0 || st.n > st.end - pos) return fail(st, `${what}: block size ${st.n} does not fit`);
      }
      // The check that matters: before any item is read (and before avsc allocates), the claimed count
      // must fit in the bytes that are left.
      if (count * per > st.end - pos) {
        return fail(st, `${what}: block of ${count} items cannot fit in ${st.end - pos} remaining bytes`);
      }
      st.budget -= count;
      if (st.budget < 0) return fail(st, `${what}: more items than the record has bytes`);
      for (let i = 0; i < count; i++) {
        pos = item(buf, pos, st);
        if (pos < 0) return pos;
      }
    }
  };
};

/** Compiles a scanner for an avsc Type. Schemas must not be recursive (ours are not). */
export const compileScanner = (t: Type, path = '', depth = 0): Scanner => {
  if (depth > 32) throw new Error(`schema too deep or recursive at ${path}`);
  const x = t as unknown as Record<string, unknown>;
  const what = path === '' ? t.typeName : path;
  switch (t.typeName) {
    case 'null':
      return (_buf, pos) => pos;
    case 'boolean':
      return (buf, pos, st) => {
        if (pos >= st.end) return fail(st, `${what}: truncated`);
        const b = buf[pos]!;
        return b === 0 || b === 1 ? pos + 1 : fail(st, `${what}: boolean byte ${b}`);
      };
    case 'int':
      return (buf, pos, st) => readInt(buf, pos, st, what);
    case 'long':
      return (buf, pos, st) => readLong(buf, pos, st, what);
    case 'float':
    case 'double': {
      const size = t.typeName === 'float' ? 4 : 8;
      return (_buf, pos, st) => (pos + size <= st.end ? pos + size : fail(st, `${what}: truncated`));
    }
    case 'string':
      return (buf, pos, st) => scanBlob(buf, pos, st, what, true);
    case 'bytes':
      return (buf, pos, st) => scanBlob(buf, pos, st, what, false);
    case 'fixed': {
      const size = x.size as number;
      return (_buf, pos, st) => (pos + size <= st.end ? pos + size : fail(st, `${what}: truncated`));
    }
    case 'enum': {
      const n = (x.symbols as string[]).length;
      return (buf, pos, st) => {
        const p = readInt(buf, pos, st, what);
        if (p < 0) return p;
        return st.n >= 0 && st.n < n ? p : fail(st, `${what}: enum index ${st.n} not in 0..${n - 1}`);
      };
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (x.types as Type[]).map((b, i) => compileScanner(b, `${what}<${i}>`, depth + 1));
      return (buf, pos, st) => {
        const p = readLong(buf, pos, st, what);
        if (p < 0) return p;
        const branch = branches[st.n];
        return branch === undefined
          ? fail(st, `${what}: union index ${st.n} out of range`)
          : branch(buf, p, st);
      };
    }
    case 'record':
    case 'error': {
      const fields = (x.fields as { name: string; type: Type }[]).map((f) =>
        compileScanner(f.type, path === '' ? f.name : `${path}.${f.name}`, depth + 1),
      );
      return (buf, pos, st) => {
        for (let i = 0; i < fields.length && pos >= 0; i++) pos = fields[i]!(buf, pos, st);
        return pos;
      };
    }
    case 'array': {
      const items = x.itemsType as Type;
      return scanBlocks(compileScanner(items, `${what}[]`, depth + 1), minSize(items), what);
    }
    case 'map': {
      const values = x.valuesType as Type;
      const value = compileScanner(values, `${what}{}`, depth + 1);
      const keyLabel = `${what} key`;
      const entry: Scanner = (buf, pos, st) => {
        const p = scanBlob(buf, pos, st, keyLabel, true);
        return p < 0 ? p : value(buf, p, st);
      };
      return scanBlocks(entry, 1 + minSize(values), what);
    }
    default:
      throw new Error(`no scanner for Avro type ${t.typeName} at ${what}`);
  }
};
