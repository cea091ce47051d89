// The on-disk frame of the durable bus: one frame per partition per `send`, like Kafka's record batch.
//
//   frame   u32 bodyLength | u32 crc32(body) | body
//   body    u32 magic "TSB1" | u32 count | f64 baseOffset | count × record
//   record  f64 timestamp | u32 keyLength | u32 valueLength | key (UTF-8) | value
//
// All little-endian. Offsets are implied (baseOffset + index), so a frame is contiguous by construction.
// One CRC per batch rather than per record: zlib.crc32 per 70-byte record measured ~0.76 µs on this
// machine (call + subarray), one call over a 1000-record batch ~0.075 µs per record. A torn write loses
// the whole batch, which was never acknowledged (send resolves after the write returns).

import { crc32 } from 'node:zlib';
import { TickstreamError } from '../../domain/errors.ts';

export const FRAME_PREFIX = 8;
export const BODY_HEADER = 16;
export const FRAME_HEADER = FRAME_PREFIX + BODY_HEADER;
export const RECORD_HEADER = 16;
export const BATCH_MAGIC = 0x31425354; // "TSB1" read as little-endian u32

/** Writes a key as UTF-8; short ASCII keys (symbols, user ids) in a JS loop, cheaper than a native call. */
const writeKey = (bytes: Buffer, key: string, at: number): number => {
  const n = key.length;
  if (n <= 32) {
    let i = 0;
    for (; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) break;
      bytes[at + i] = c;
    }
    if (i === n) return n;
  }
  return bytes.write(key, at, 'utf8');
};

/**
 * Decodes keys while recovering, sharing one string per distinct key (keys repeat: symbols, users) and
 * skipping the UTF-8 decoder for short ASCII keys already seen: a hash of the bytes picks a slot whose
 * string is compared byte for byte.
 */
export class KeyDecoder {
  private readonly slots: string[] = new Array<string>(1 << 14).fill('');
  private readonly shared = new Map<string, string>();

  decode(data: Buffer, from: number, to: number): string {
    const n = to - from;
    if (n === 0) return '';
    if (n <= 32) {
      let h = 0x811c9dc5;
      let ascii = true;
      for (let i = from; i < to; i++) {
        const b = data[i]!;
        if (b >= 0x80) ascii = false;
        h = Math.imul(h ^ b, 0x01000193);
      }
      if (ascii) {
        const slot = (h >>> 0) & (this.slots.length - 1);
        const known = this.slots[slot]!;
        if (known.length === n) {
          let same = true;
          for (let i = 0; i < n; i++) {
            if (known.charCodeAt(i) !== data[from + i]) {
              same = false;
              break;
            }
          }
          if (same) return known;
        }
        const key = data.toString('latin1', from, to);
        this.slots[slot] = key;
        return key;
      }
    }
    const key = data.toString('utf8', from, to);
    const known = this.shared.get(key);
    if (known !== undefined) return known;
    if (this.shared.size < 1 << 16) this.shared.set(key, key);
    return key;
  }
}

/** Encodes one batch into a reused buffer: begin, add each record, finish. */
export class FrameWriter {
  bytes: Buffer;
  private view: DataView;
  private pos = 0;
  private count = 0;

  constructor(initial = 1 << 16) {
    this.bytes = Buffer.allocUnsafe(Math.max(initial, FRAME_HEADER));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  begin(baseOffset: number): void {
    this.pos = FRAME_HEADER;
    this.count = 0;
    this.view.setFloat64(FRAME_PREFIX + 8, baseOffset, true);
  }

  add(key: string, value: Uint8Array, timestamp: number): void {
    // Upper bound of the key's UTF-8 length (3 bytes per UTF-16 unit) so no byteLength pass is needed.
    this.ensure(this.pos + RECORD_HEADER + key.length * 3 + value.length);
    const at = this.pos;
    const view = this.view;
    const keyLength = writeKey(this.bytes, key, at + RECORD_HEADER);
    view.setFloat64(at, timestamp, true);
    view.setUint32(at + 8, keyLength, true);
    view.setUint32(at + 12, value.length, true);
    const v = at + RECORD_HEADER + keyLength;
    this.bytes.set(value, v);
    this.pos = v + value.length;
    this.count++;
  }

  /** Writes the header and CRC; returns the frame's length in `bytes` (which starts at 0). */
  finish(): number {
    const view = this.view;
    const length = this.pos;
    if (length - FRAME_PREFIX > 0xffffffff) {
      throw new TickstreamError('VALIDATION_FAILED', 'one send holds over 4 GiB for one partition');
    }
    view.setUint32(0, length - FRAME_PREFIX, true);
    view.setUint32(FRAME_PREFIX, BATCH_MAGIC, true);
    view.setUint32(FRAME_PREFIX + 4, this.count, true);
    view.setUint32(4, crc32(this.bytes.subarray(FRAME_PREFIX, length)), true);
    return length;
  }

  private ensure(need: number): void {
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.bytes.copy(grown, 0, 0, this.pos);
    this.bytes = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}

/** Receives the records of a scanned segment, in offset order. */
export type RecordVisitor = (key: string, data: Buffer, from: number, to: number, timestamp: number) => void;

export interface ScanResult {
  /** Bytes of valid frames from the start of the buffer. */
  validEnd: number;
  /** Offset after the last valid record. */
  nextOffset: number;
  /** Why the frame at `validEnd` is invalid; undefined when the whole buffer was valid. */
  problem: string | undefined;
}

/**
 * Checks one frame at `at` without visiting its records: returns its length, or a reason it is invalid.
 * `expected` is the base offset it must have (undefined: any base offset above `after`).
 */
export const checkFrame = (
  data: Buffer,
  at: number,
  expected: number | undefined,
  after = -1,
): number | string => {
  if (data.length - at < FRAME_HEADER) return 'partial frame header';
  const bodyLength = data.readUInt32LE(at);
  if (bodyLength < BODY_HEADER) return `frame length ${bodyLength} too small`;
  if (data.readUInt32LE(at + FRAME_PREFIX) !== BATCH_MAGIC) return 'bad frame magic';
  const base = data.readDoubleLE(at + FRAME_PREFIX + 8);
  if (expected !== undefined ? base !== expected : !(Number.isSafeInteger(base) && base > after)) {
    return `frame base offset ${base}, expected ${expected ?? `> ${after}`}`;
  }
  const end = at + FRAME_PREFIX + bodyLength;
  if (end > data.length) return `partial frame (${bodyLength} bytes declared, ${data.length - at - 8} left)`;
  if (crc32(data.subarray(at + FRAME_PREFIX, end)) !== data.readUInt32LE(at + 4)) return 'CRC mismatch';
  return end - at;
};

/**
 * Walks the frames of one segment from its start, visiting every record of every valid frame, and stops
 * at the first invalid one (a CRC-valid frame whose records do not exactly fill it is invalid too).
 */
export const scanFrames = (
  data: Buffer,
  baseOffset: number,
  visit: RecordVisitor,
  keys: KeyDecoder,
): ScanResult => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let offset = baseOffset;
  while (pos < data.length) {
    const checked = checkFrame(data, pos, offset);
    if (typeof checked === 'string') return { validEnd: pos, nextOffset: offset, problem: checked };
    const end = pos + checked;
    const count = view.getUint32(pos + FRAME_PREFIX + 4, true);
    // Validate the record layout before visiting any record, so a bad frame contributes nothing.
    let r = pos + FRAME_HEADER;
    for (let i = 0; i < count; i++) {
      if (end - r < RECORD_HEADER) {
        r = -1;
        break;
      }
      r += RECORD_HEADER + view.getUint32(r + 8, true) + view.getUint32(r + 12, true);
      if (r > end) break;
    }
    if (count === 0 || r !== end) {
      return { validEnd: pos, nextOffset: offset, problem: 'records do not fill their frame' };
    }
    r = pos + FRAME_HEADER;
    for (let i = 0; i < count; i++) {
      const timestamp = view.getFloat64(r, true);
      const keyLength = view.getUint32(r + 8, true);
      const valueLength = view.getUint32(r + 12, true);
      const k = r + RECORD_HEADER;
      const v = k + keyLength;
      visit(keys.decode(data, k, v), data, v, v + valueLength, timestamp);
      r = v + valueLength;
    }
    offset += count;
    pos = end;
  }
  return { validEnd: pos, nextOffset: offset, problem: undefined };
};

/**
 * Whether any valid frame starts after `from` (with a base offset above `after`). Used to tell a torn tail
 * (nothing valid follows: truncate) from corruption in the middle (valid data follows: refuse). Only runs
 * on recovery after an invalid frame, so a byte-by-byte search is affordable.
 */
export const validFrameAfter = (data: Buffer, from: number, after: number): number => {
  for (let at = from; at + FRAME_HEADER <= data.length; at++) {
    if (data.readUInt32LE(at + FRAME_PREFIX) !== BATCH_MAGIC) continue;
    if (typeof checkFrame(data, at, undefined, after) === 'number') return at;
  }
  return -1;
};
