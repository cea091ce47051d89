// Short ASCII strings decoded from bytes (symbols, record keys) through a small cache: a market has a few
// hundred symbols and every record repeats one, so decoding hands back the same string object instead of
// allocating a new one per record. Besides the allocation, a Map lookup by that string (the symbol's index)
// then reuses the hash V8 caches in the string rather than hashing a fresh copy each time.
// Direct-mapped by an FNV-1a hash of the bytes; a slot holds the last string that hashed to it, compared
// byte by byte before it is returned, so a collision only costs a decode.

const SLOTS = 4096; // power of two
/** Longer strings or non-ASCII bytes are decoded normally. */
const MAX_LEN = 32;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

export class StringInterner {
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

  /** The UTF-8 string of b[start, end): the cached object when it is short and ASCII. */
  decode(b: Uint8Array, start: number, end: number): string {
    const len = end - start;
    if (len > MAX_LEN) return utf8.decode(b.subarray(start, end));
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x80) return utf8.decode(b.subarray(start, end));
      h = Math.imul(h ^ c, 0x01000193);
    }
    const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
    const s = this.slots[slot];
    if (s !== undefined && s.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (s.charCodeAt(i) !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return s;
    }
    // ASCII: latin1 gives the same characters as UTF-8
    const fresh = len === 0 ? '' : latin1.decode(b.subarray(start, end));
    this.slots[slot] = fresh;
    return fresh;
  }
}

/** One cache shared by the decoders of a process (symbols are the same everywhere). */
export const sharedInterner = new StringInterner();
