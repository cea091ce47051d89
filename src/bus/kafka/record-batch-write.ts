// Kafka record batches (magic 2) written in one pass into a pre-sized buffer: the byte layout of
// @platformatic/kafka 2.12's createRecordsBatch (protocol/records.js), without its per-record Writer,
// DynamicBuffer chunks, BigInt varints and copies.
//
// Two passes over a partition's messages: planRecords measures each record (varint sizes) into reused
// typed arrays, writeRecords then writes them at known positions. writeBatchHeader fills the 61-byte
// header around a records section and computes the CRC-32C with the library's own crc32c (crc32c.ts).
//
// Layout (Kafka's DefaultRecordBatch):
//   baseOffset int64 (0) | length int32 | partitionLeaderEpoch int32 | magic int8 (2) | crc uint32 |
//   attributes int16 | lastOffsetDelta int32 | firstTimestamp int64 | maxTimestamp int64 |
//   producerId int64 | producerEpoch int16 | firstSequence int32 | recordCount int32 | records
// CRC-32C covers attributes … end. A record: length varint | attributes int8 (0) | timestampDelta varlong |
// offsetDelta varint | key (varint length, -1 = null) | value (same) | header count varint | headers.
//
// Timestamp deltas are zigzag varlongs written with number arithmetic, right over the whole safe-integer
// range (the library's encoder zigzags with `>> 31n` and stops its varint at 32 bits, so a delta beyond
// ±2^31 ms comes out wrong); beyond the safe range, BigInt, wrapped to int64 like Java's long arithmetic.

import type { MessageRecord } from '@platformatic/kafka';
import { crc32cOf } from './crc32c.ts';
import { BATCH_HEADER_SIZE, CRC_FROM } from './record-batch-layout.ts';

const MAGIC = 2;

/** Zigzag of a 32-bit signed integer, as an unsigned 32-bit number. */
const zigzag32 = (v: number): number => ((v << 1) ^ (v >> 31)) >>> 0;

/** Bytes of the unsigned varint of `u` (0 ≤ u < 2^32). */
export const uvarintSize = (u: number): number =>
  u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5;

/** Writes the unsigned varint of `u` (0 ≤ u < 2^32) at `pos`; returns the position after it. */
export const writeUVarInt = (buf: Buffer, pos: number, u: number): number => {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
};

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/**
 * Bytes of the zigzag varlong of `d`, a safe integer. Outside the int32 range, zigzag(d) = 2m + s with
 * m = d ≥ 0 ? d : -d - 1 and s the sign bit: 2m + s may exceed 2^53, so it is never formed; its first
 * varint byte holds s and the low 6 bits of m, the rest is the varint of floor(m / 64) (< 2^47).
 */
export const varlongSize = (d: number): number => {
  if (d >= INT32_MIN && d <= INT32_MAX) return uvarintSize(zigzag32(d));
  let rest = Math.floor((d >= 0 ? d : -d - 1) / 64);
  let n = 2;
  while (rest >= 0x80) {
    rest = Math.floor(rest / 0x80);
    n++;
  }
  return n;
};

/** Writes the zigzag varlong of `d`, a safe integer (see varlongSize). */
export const writeVarLong = (buf: Buffer, pos: number, d: number): number => {
  if (d >= INT32_MIN && d <= INT32_MAX) return writeUVarInt(buf, pos, zigzag32(d));
  const negative = d < 0;
  const m = negative ? -d - 1 : d;
  let rest = Math.floor(m / 64);
  buf[pos++] = ((m - rest * 64) << 1) | (negative ? 1 : 0) | 0x80;
  while (rest >= 0x80) {
    const next = Math.floor(rest / 0x80);
    buf[pos++] = (rest - next * 0x80) | 0x80;
    rest = next;
  }
  buf[pos++] = rest;
  return pos;
};

/** Zigzag of an int64 (`d` wrapped to 64 bits first, as Java's long subtraction would). */
const zigzag64Big = (d: bigint): bigint => {
  const v = BigInt.asIntN(64, d);
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
};

const bigVarlongSize = (d: bigint): number => {
  let u = zigzag64Big(d);
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
};

const writeBigVarLong = (buf: Buffer, pos: number, d: bigint): number => {
  let u = zigzag64Big(d);
  while (u >= 0x80n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
};

/** Bytes of a nullable byte string: varint length (-1 for null), then the bytes. */
const bytesSize = (b: Uint8Array | null | undefined): number =>
  b == null ? 1 : uvarintSize(zigzag32(b.length)) + b.length;

const writeBytes = (buf: Buffer, pos: number, b: Uint8Array | null | undefined): number => {
  if (b == null) {
    buf[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  const n = b.length;
  pos = writeUVarInt(buf, pos, zigzag32(n));
  // A loop beats TypedArray#set's call overhead for short keys (symbols, user ids).
  if (n <= 16) for (let i = 0; i < n; i++) buf[pos + i] = b[i]!;
  else buf.set(b, pos);
  return pos + n;
};

// Per-record scratch, reused across calls and grown by doubling: the body size of each record and its
// timestamp delta (NaN where the delta is outside the safe-integer range: BigInt path).
let bodySizes = new Int32Array(1024);
let deltas = new Float64Array(1024);

const ensureScratch = (n: number): void => {
  if (n <= bodySizes.length) return;
  let size = bodySizes.length;
  while (size < n) size *= 2;
  const s = new Int32Array(size);
  s.set(bodySizes);
  bodySizes = s;
  const d = new Float64Array(size);
  d.set(deltas);
  deltas = d;
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** What planRecords learned about one partition's messages. */
export interface RecordsPlan {
  /** Bytes of the records section (uncompressed). */
  size: number;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
}

const isBytes = (b: unknown): b is Uint8Array | null | undefined => b == null || b instanceof Uint8Array;

/** Header entries of a record: a Map of nullable byte strings (what the Producer builds), else undefined. */
const headersOf = (h: unknown): Map<unknown, unknown> | null | undefined =>
  h == null ? null : h instanceof Map ? h : undefined;

/**
 * Measures the records of `messages` (one partition, in order) into the scratch slots `slot …
 * slot + messages.length - 1`. Returns undefined when a message is not one this writer encodes the way
 * the library does (timestamp not a bigint, key/value/header not bytes, headers not a Map): the caller
 * then leaves the whole request to the library.
 */
export const planRecords = (messages: readonly MessageRecord[], slot: number): RecordsPlan | undefined => {
  const n = messages.length;
  ensureScratch(slot + n);
  const first = messages[0]!.timestamp as unknown;
  if (typeof first !== 'bigint') return undefined;
  const firstN = Number(first);
  const firstSafe = firstN >= -MAX_SAFE && firstN <= MAX_SAFE;
  let maxN = firstN;
  let maxIndex = 0;
  let anyUnsafe = !firstSafe;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    const ts = m.timestamp as unknown;
    if (typeof ts !== 'bigint') return undefined;
    const key = m.key as unknown;
    const value = m.value as unknown;
    if (!(isBytes(key) && isBytes(value))) return undefined;
    const tsN = Number(ts);
    let d = tsN - firstN;
    let deltaSize: number;
    if (firstSafe && tsN >= -MAX_SAFE && tsN <= MAX_SAFE && d >= -MAX_SAFE && d <= MAX_SAFE) {
      deltaSize = varlongSize(d);
    } else {
      anyUnsafe = true;
      d = Number.NaN;
      deltaSize = bigVarlongSize(ts - (first as bigint));
    }
    if (tsN > maxN) {
      maxN = tsN;
      maxIndex = i;
    }
    let body = 1 + deltaSize + uvarintSize(zigzag32(i)) + bytesSize(key) + bytesSize(value);
    const headers = headersOf(m.headers);
    if (headers === undefined) return undefined;
    if (headers === null || headers.size === 0) body += 1;
    else {
      body += uvarintSize(zigzag32(headers.size));
      for (const [hk, hv] of headers) {
        if (!(isBytes(hk) && isBytes(hv))) return undefined;
        body += bytesSize(hk) + bytesSize(hv);
      }
    }
    bodySizes[slot + i] = body;
    deltas[slot + i] = d;
    size += uvarintSize(zigzag32(body)) + body;
  }
  let maxTimestamp = messages[maxIndex]!.timestamp as bigint;
  if (anyUnsafe) {
    // Doubles may tie or misorder timestamps beyond 2^53: compare the bigints (the library's own order).
    maxTimestamp = first;
    for (let i = 1; i < n; i++) {
      const ts = messages[i]!.timestamp as bigint;
      if (ts > maxTimestamp) maxTimestamp = ts;
    }
  }
  return { size, firstTimestamp: first, maxTimestamp };
};

/**
 * Writes the records planned by planRecords (same messages, same slot) at `pos`; returns the position
 * after them. Must follow its planRecords call before any other planRecords call reuses the slots.
 */
export const writeRecords = (
  buf: Buffer,
  pos: number,
  messages: readonly MessageRecord[],
  slot: number,
  firstTimestamp: bigint,
): number => {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    pos = writeUVarInt(buf, pos, zigzag32(bodySizes[slot + i]!));
    buf[pos++] = 0; // record attributes: unused
    const d = deltas[slot + i]!;
    pos = !Number.isNaN(d)
      ? writeVarLong(buf, pos, d)
      : writeBigVarLong(buf, pos, (m.timestamp as bigint) - firstTimestamp);
    pos = writeUVarInt(buf, pos, zigzag32(i));
    pos = writeBytes(buf, pos, m.key);
    pos = writeBytes(buf, pos, m.value);
    const headers = m.headers;
    if (headers == null || headers.size === 0) buf[pos++] = 0;
    else {
      pos = writeUVarInt(buf, pos, zigzag32(headers.size));
      for (const [hk, hv] of headers) {
        pos = writeBytes(buf, pos, hk);
        pos = writeBytes(buf, pos, hv);
      }
    }
  }
  return pos;
};

/** The batch header's fields other than those derived from the records. */
export interface BatchFields {
  /** Compression bits (0-2) and the transactional bit (4). */
  attributes: number;
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  partitionLeaderEpoch: number;
}

/**
 * Writes the header of a batch that starts at `start` and whose records section (`recordsSize` bytes,
 * compressed or not) is already in place right after it, then the CRC. Returns the end of the batch.
 */
export const writeBatchHeader = (
  buf: Buffer,
  start: number,
  fields: BatchFields,
  count: number,
  plan: RecordsPlan,
  recordsSize: number,
): number => {
  const end = start + BATCH_HEADER_SIZE + recordsSize;
  buf.fill(0, start, start + 8); // baseOffset: the broker assigns it
  buf.writeInt32BE(end - start - 12, start + 8);
  buf.writeInt32BE(fields.partitionLeaderEpoch, start + 12);
  buf.writeInt8(MAGIC, start + 16);
  buf.writeInt16BE(fields.attributes, start + 21);
  buf.writeInt32BE(count - 1, start + 23);
  buf.writeBigInt64BE(plan.firstTimestamp, start + 27);
  buf.writeBigInt64BE(plan.maxTimestamp, start + 35);
  buf.writeBigInt64BE(fields.producerId, start + 43);
  buf.writeInt16BE(fields.producerEpoch, start + 51);
  buf.writeInt32BE(fields.firstSequence, start + 53);
  buf.writeInt32BE(count, start + 57);
  buf.writeUInt32BE(crc32cOf(buf.subarray(start + CRC_FROM, end)), start + 17);
  return end;
};
