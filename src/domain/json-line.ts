// Bounded JSON parsing for untrusted text (HTTP bodies, file lines, websocket frames).
//
// JSON.parse silently keeps the last of two equal keys, so {"price":1,"price":1000} would mean whatever
// the last writer wanted while a log or another parser shows the first. We reject such text. The check
// is a linear scan over text JSON.parse has already accepted (so it only has to track strings and
// nesting, not validate), with an explicit stack instead of recursion: no regular expression, no
// backtracking, no stack overflow on deep nesting.
import { Buffer } from 'node:buffer';
import { reject, type Verdict } from './validate.ts';

export const DEFAULT_MAX_JSON_BYTES = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

/** The first key that occurs twice in one object, at any depth, of valid JSON text; undefined if none. */
export const findDuplicateKey = (text: string): string | undefined => {
  const stack: (Set<string> | null)[] = []; // a Set of keys seen per open object, null per open array
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      i = start;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) break;
      }
      if (expectKey) {
        const keys = stack[stack.length - 1];
        const raw = text.slice(start, i);
        // "\u0070rice" and "price" are the same key: compare decoded keys.
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (keys?.has(key)) return key;
        keys?.add(key);
        expectKey = false;
      }
    } else if (c === LBRACE) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === LBRACKET) {
      stack.push(null);
      expectKey = false;
    } else if (c === RBRACE || c === RBRACKET) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return undefined;
};

/**
 * Parses one JSON document of at most maxBytes UTF-8 bytes. Too large → 'oversized' (checked before
 * parsing); not JSON or a key repeated within an object → 'decode_error'.
 */
export function parseJsonLine(text: string, maxBytes: number = DEFAULT_MAX_JSON_BYTES): Verdict<unknown> {
  if (typeof text !== 'string') return reject('decode_error', 'not a string');
  // A UTF-16 code unit is 1..3 UTF-8 bytes (surrogate pairs: 2 units, 4 bytes), so the exact byte count
  // is only needed in between.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes)) {
    return reject('oversized', `JSON text longer than ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return reject('decode_error', `invalid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  // Only objects can have duplicate keys; skip the scan for scalars.
  if (typeof value === 'object' && value !== null) {
    const dup = findDuplicateKey(text);
    if (dup !== undefined) return reject('decode_error', `duplicate key ${JSON.stringify(dup.slice(0, 40))}`);
  }
  return { ok: true, value };
}
